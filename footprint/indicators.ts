/**
 * Normalised indicators (METHODOLOGY §10): a site's metered energy and emissions per m² per
 * year, per occupied desk-hour and per member-day, and its heating energy weighted by heating
 * degree days, so that a winter and a summer month, and two spaces, compare fairly.
 *
 * Sums of the stored footprint series (the engine's figures, never recomputed). Annualising
 * uses the covered time only: an interval the engine accounted for counts, a day without
 * footprint data is left out of both the energy and the time, never averaged in as zero.
 */
import type { Carrier } from '../devices/kinds.ts';
import type { SiteFile } from '../devices/site.ts';
import type { Point } from '../store/types.ts';
import { clockOf, type LocalDay } from './clock.ts';
import { degreeDaySettings, heatingCarriers as heatingCarriersOf, type DegreeDays } from './degree-days.ts';
import { MIN_HOURS_TO_ANNUALISE } from './coverage.ts';
import { M_DAY, M_PRESENCE, M_SITE, fieldsOf } from './schema.ts';
import type { FootprintSeries } from './read.ts';

const HOUR_MS = 3_600_000;
/** Below this many degree days in the period, kWh per HDD is too unstable to show (§10). */
export const MIN_PERIOD_HDD = 10;

export interface PerUnit {
  kwh: number;
  kgco2e: number;
}

export interface HeatingIndicators {
  /** Carriers treated as space heating (§10), e.g. gas. */
  carriers: Carrier[];
  kwh: number;
  kgco2e: number;
  base_c: number;
  source: DegreeDays['source'];
  source_name: string;
  method: string;
  /** Σ HDD × covered share, over the covered days with an HDD figure; null without any. */
  hdd: number | null;
  /** Covered days that have an HDD figure. */
  hdd_days: number;
  /** Heating kWh on those days ÷ their HDD; null below MIN_PERIOD_HDD. */
  kwh_per_hdd: number | null;
  kgco2e_per_hdd: number | null;
  reference_hdd: number;
  /** Other energy annualised by covered time + heating per HDD × reference HDD, ÷ area. */
  weather_normalised_per_m2_yr: PerUnit | null;
  basis: string;
}

export interface NormalisedIndicators {
  site: string;
  area_m2: number;
  days: number;
  /** Σ over the period's intervals of Δt × measured ÷ (measured + missing) energy, in days. */
  covered_days: number;
  /** covered_days ÷ days. */
  coverage: number;
  kwh: number;
  kgco2e: number;
  by_carrier: Partial<Record<Carrier, PerUnit>>;
  /** Period total ÷ area × 365 ÷ covered days; null with no covered time. */
  per_m2_yr: PerUnit | null;
  /** 365 ÷ covered days: multiplies a period figure into a yearly one; null below a day of covered time. */
  annualisation: number | null;
  annualisation_basis: string;
  /** Desk-session hours of members plus unidentified occupants at desks. */
  desk_hours: number;
  per_desk_hour: PerUnit | null;
  /** A member present on a local day (any hours) is one member-day. */
  member_days: number;
  per_member_day: PerUnit | null;
  heating: HeatingIndicators | null;
  /**
   * Per m² per year with heating weather-normalised: the degree-day figure; the plain figure
   * for a site with no heating carrier (nothing to normalise); null when heating could not
   * be normalised (no degree days, or too few).
   */
  weather_normalised_per_m2_yr: PerUnit | null;
  weather_normalisation: 'degree_days' | 'no_heating_carrier' | 'unavailable';
  methodology: 'METHODOLOGY.md §10';
}

/**
 * The indicators of `days` (whole local days of the site) from its footprint series and,
 * when the site has a degree-day source, its daily HDD.
 */
export function normalisedIndicators(site: SiteFile, days: readonly LocalDay[], series: Pick<FootprintSeries, 'site' | 'days' | 'presence'>, hdd?: DegreeDays): NormalisedIndicators {
  const clock = clockOf(site);
  const from = days[0]?.start ?? 0;
  const to = days.at(-1)?.end ?? 0;
  const inRange = (p: Point) => p.ts >= from && p.ts < to;
  const dayKey = (ts: number) => clock.day(ts).key;
  const settings = degreeDaySettings(site);
  const heatingCarriers = new Set<Carrier>(hdd && settings ? settings.heating_carriers : []);

  // Coverage (§10): per interval, the share of the energy its meters were expected to report
  // that they did, measured ÷ (measured + missing), over every carrier's meters; an interval
  // with neither (meters reporting 0 W) is covered, one the engine never accounted is not.
  const intervalEnergy = new Map<number, { measured: number; missing: number }>();
  const byCarrier: Partial<Record<Carrier, PerUnit>> = {};
  const heatingByDay = new Map<string, PerUnit>();
  let kwh = 0, kgco2e = 0;
  for (const p of series.site) {
    if (!inRange(p)) continue;
    const c = p.tags.carrier as Carrier;
    const x = fieldsOf(p, M_SITE);
    const iv = intervalEnergy.get(p.ts) ?? { measured: 0, missing: 0 };
    iv.measured += x.measured_kwh ?? 0;
    iv.missing += x.missing_kwh ?? 0;
    intervalEnergy.set(p.ts, iv);
    const e = x.metered_kwh ?? 0;
    const kg = x.kgco2e ?? 0;
    const acc = (byCarrier[c] ??= { kwh: 0, kgco2e: 0 });
    acc.kwh += e;
    acc.kgco2e += kg;
    kwh += e;
    kgco2e += kg;
    if (heatingCarriers.has(c)) {
      const d = dayKey(p.ts);
      const h = heatingByDay.get(d) ?? { kwh: 0, kgco2e: 0 };
      h.kwh += e;
      h.kgco2e += kg;
      heatingByDay.set(d, h);
    }
  }
  const coveredHoursByDay = new Map<string, number>();
  let coveredHours = 0;
  for (const [ts, e] of intervalEnergy) {
    const h = clock.intervalHours * (e.measured + e.missing > 0 ? e.measured / (e.measured + e.missing) : 1);
    coveredHoursByDay.set(dayKey(ts), (coveredHoursByDay.get(dayKey(ts)) ?? 0) + h);
    coveredHours += h;
  }
  const coveredDays = coveredHours / 24;
  // Less than a day of covered time is too little to annualise (footprint/coverage.ts, the
  // report's rule too): the yearly figures say "not enough data" rather than scale a few hours.
  const perYear = coveredHours >= MIN_HOURS_TO_ANNUALISE ? 365 / coveredDays : null;

  let deskHours = 0;
  for (const p of series.presence) {
    if (!inRange(p)) continue;
    const f = fieldsOf(p, M_PRESENCE);
    deskHours += (f.desk_session_hours ?? 0) + (f.unidentified_hours ?? 0);
  }
  const isMember = (account: string) => account !== site.operator && !account.startsWith('_');
  let memberDays = 0;
  for (const p of series.days) if (inRange(p) && isMember(p.tags.account ?? '') && (fieldsOf(p, M_DAY).hours ?? 0) > 0) memberDays++;

  const per = (n: number): PerUnit | null => (n > 0 ? { kwh: kwh / n, kgco2e: kgco2e / n } : null);
  const perM2Yr: PerUnit | null = perYear === null ? null : { kwh: (kwh / site.area_m2) * perYear, kgco2e: (kgco2e / site.area_m2) * perYear };

  let heating: HeatingIndicators | null = null;
  if (hdd && settings) {
    let hddSum = 0, hddDays = 0, hKwh = 0, hKg = 0, hKwhOnHddDays = 0, hKgOnHddDays = 0;
    for (const h of heatingByDay.values()) (hKwh += h.kwh), (hKg += h.kgco2e);
    for (const d of days) {
      const covered = coveredHoursByDay.get(d.key) ?? 0;
      const value = hdd.byDay.get(d.key);
      if (covered === 0 || value === undefined) continue;
      hddDays++;
      // A partly covered day counts the part of its HDD that its energy figures cover.
      hddSum += value * Math.min(1, covered / ((d.end - d.start) / HOUR_MS));
      hKwhOnHddDays += heatingByDay.get(d.key)?.kwh ?? 0;
      hKgOnHddDays += heatingByDay.get(d.key)?.kgco2e ?? 0;
    }
    const stable = hddSum >= MIN_PERIOD_HDD;
    const kwhPerHdd = stable ? hKwhOnHddDays / hddSum : null;
    const kgPerHdd = stable ? hKgOnHddDays / hddSum : null;
    const ref = settings.reference_hdd;
    heating = {
      carriers: [...heatingCarriers].sort(),
      kwh: hKwh,
      kgco2e: hKg,
      base_c: hdd.base_c,
      source: hdd.source,
      source_name: hdd.from,
      method: hdd.method,
      hdd: hddDays > 0 ? hddSum : null,
      hdd_days: hddDays,
      kwh_per_hdd: kwhPerHdd,
      kgco2e_per_hdd: kgPerHdd,
      reference_hdd: ref,
      weather_normalised_per_m2_yr: kwhPerHdd === null || kgPerHdd === null || perYear === null ? null : {
        kwh: ((kwh - hKwh) * perYear + kwhPerHdd * ref) / site.area_m2,
        kgco2e: ((kgco2e - hKg) * perYear + kgPerHdd * ref) / site.area_m2,
      },
      basis: `${[...heatingCarriers].join(' and ') || 'no carrier'} as space heating: kWh on the ${hddDays} covered days with degree days ÷ their ${round1(hddSum)} HDD (base ${hdd.base_c} °C), × ${ref} HDD of the reference year; other energy × 365 ÷ ${round1(coveredDays)} covered days`,
    };
  }

  const noHeating = heatingCarriersOf(site).length === 0;
  const normalised = noHeating ? perM2Yr : heating?.weather_normalised_per_m2_yr ?? null;
  return {
    site: site.id,
    area_m2: site.area_m2,
    days: days.length,
    covered_days: coveredDays,
    coverage: days.length > 0 ? coveredDays / days.length : 0,
    kwh,
    kgco2e,
    by_carrier: byCarrier,
    per_m2_yr: perM2Yr,
    annualisation: perYear,
    annualisation_basis: perYear === null
      ? `not enough data to annualise: ${round1(coveredHours)} h of covered time (of ${days.length} days); at least ${MIN_HOURS_TO_ANNUALISE} h needed`
      : `period total ÷ ${site.area_m2} m² × 365 ÷ ${round1(coveredDays)} covered days (of ${days.length}); days without footprint data are left out, not counted as zero`,
    desk_hours: deskHours,
    per_desk_hour: per(deskHours),
    member_days: memberDays,
    per_member_day: per(memberDays),
    heating,
    weather_normalised_per_m2_yr: normalised,
    weather_normalisation: noHeating ? 'no_heating_carrier' : normalised ? 'degree_days' : 'unavailable',
    methodology: 'METHODOLOGY.md §10',
  };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
