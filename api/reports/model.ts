/**
 * The impact report for funders (METHODOLOGY.md §6): one site, one period of whole local
 * days, built from the stored footprint series. Every renderer (JSON, CSV, PDF) reads this
 * one object, so the three formats cannot disagree.
 *
 * No member is named: members appear as counts, and in the per-member table as anonymous
 * ids (`member-01`…) numbered by footprint within this report.
 */
import type { Carrier } from '../../devices/kinds.ts';
import { deviceCategory, deviceScope, type FactorSet, type SiteFile } from '../../devices/site.ts';
import { clockOf, type LocalDay } from '../../footprint/clock.ts';
import { SCENARIOS, factorSetFor, type Scenario } from '../../footprint/emissions.ts';
import { ACCOUNT_UNALLOCATED, ENGINE_VERSION, FIELD, M_DAY, M_MONTH, M_PRESENCE, M_SITE, addPresenceHours, fieldsOf, newPresenceHours, type DayFields } from '../../footprint/schema.ts';
import { coverageOf, localDays, type Coverage } from '../../footprint/coverage.ts';
import { attributedReading, siteSums } from '../../footprint/figures.ts';
import type { LiveDays } from '../../footprint/read.ts';
import type { Point, TimeSeriesStore } from '../../store/types.ts';
import { methodologyDocument, type MethodologyDocument } from './methodology.ts';
import { readFootprintSeries } from '../../footprint/read.ts';
import { billReconciliation, figures, type BillReconciliation } from '../../footprint/figures.ts';
import { scope2Summary, type Scope2Summary } from '../../footprint/scope2.ts';
import { readDegreeDays } from '../../footprint/degree-days.ts';
import { normalisedIndicators, type NormalisedIndicators } from '../../footprint/indicators.ts';
import { spread, type Spread } from './stats.ts';

export const REPORT_FORMAT = 'deskprint-impact-report/1';
/** Changes whenever the report's content or layout changes for the same data. */
export const REPORT_GENERATOR = 'deskprint-reports/1.0.0';

/** §6: what the inventory leaves out, in the words a funder reads. */
export const EXCLUSIONS = [
  { item: 'Commuting', why: 'travel to and from the space is not metered here' },
  { item: 'Home energy', why: "members' energy at home on days they work from home" },
  { item: 'Embodied carbon', why: 'of the building, furniture and equipment' },
  { item: 'Cleaning', why: 'contracted cleaning services and their consumables' },
] as const;

export const AVOIDED_LABEL = 'estimated avoided emissions, outside the inventory';

export type ScenarioValues = Record<Scenario, number>;

export interface CarrierUse {
  /** Desk meters (M2), given to the people at the desk. */
  direct: number;
  /** Zone- and site-scoped sub-meters (M3), shared by those present. */
  shared: number;
  /** Standby, empty intervals and the main meter's unsub-metered remainder (M4 pool). */
  pooled: number;
}

export interface DailyRow {
  /** Local date, YYYY-MM-DD. */
  date: string;
  start: number;
  /** Metered energy per carrier (M6 metered total), kWh. */
  kwh: Partial<Record<Carrier, number>>;
  kgco2e_by_carrier: Partial<Record<Carrier, number>>;
  use: Partial<Record<Carrier, CarrierUse>>;
  kwh_total: number;
  kgco2e: number;
  /** Members with time present that day. */
  members_present: number;
  member_hours: number;
  /** Desk-session hours plus unidentified occupants' hours at desks. */
  desk_hours: number;
  /** Members' footprint of record (direct + shared + pool share), kgCO2e. */
  members_kgco2e: number;
  baseline_kgco2e: ScenarioValues;
  avoided_kgco2e: ScenarioValues;
  /** False while the day's month is open (pool share provisional). */
  final: boolean;
  /** The site's bill for the day, in `cost.currency` (METHODOLOGY §8); null without tariffs. */
  cost: number | null;
  /** §9: the day's Scope 2 emissions, location-based and market-based, kgCO2e. */
  scope2_location_kgco2e: number;
  scope2_market_kgco2e: number;
  /** Hours of the day with data (`coverage.by_day`); with none, the day's figures are missing, not zero. */
  hours_with_data: number;
}

export interface AnonymousMember {
  /** `member-01`…, by footprint (largest first) within this report. */
  id: string;
  days_present: number;
  hours: number;
  kwh: Partial<Record<Carrier, number>>;
  kwh_total: number;
  kwh_direct: number;
  kwh_shared: number;
  kwh_pool: number;
  kgco2e: number;
  baseline_kgco2e: ScenarioValues;
  avoided_kgco2e: ScenarioValues;
  /** Cost share of record, in `cost.currency` (§8); null without tariffs. */
  cost: number | null;
}

export interface ConservationLine {
  carrier: Carrier;
  metered_kwh: number;
  direct_kwh: number;
  shared_kwh: number;
  pooled_kwh: number;
  /** metered − (direct + shared + pooled), interval by interval: 0 up to rounding for any period. */
  residual_kwh: number;
  relative_residual: number;
  /** Negative main-meter residuals clamped to 0 (§2), kWh. */
  clamped_kwh: number;
  /** Footprints of record on the period's days (members + operator) and the unallocated pool. */
  allocated_kwh: number;
  unallocated_kwh: number;
  /** The monthly M6 check of each closed month starting in the period. */
  months: { month: string; metered_kwh: number; residual_kwh: number; clamped_kwh: number; inside_period: boolean }[];
}

export interface ImpactReport {
  format: typeof REPORT_FORMAT;
  generator: typeof REPORT_GENERATOR;
  generated_at: string;
  site: { id: string; name: string; timezone: string; area_m2: number; zones: number; desks: number };
  period: {
    /** Start of the first local day and end of the last, ISO 8601 UTC. */
    from: string;
    to: string;
    first_day: string;
    last_day: string;
    days: number;
    /** 365 ÷ covered days (§10; `indicators.annualisation`): multiplies a period figure into a yearly one; null with less than a day of covered time. */
    annualisation: number | null;
    /** Every day of the period belongs to a closed month. */
    final: boolean;
    /**
     * When the period runs into today: the end of the last closed accounting interval, ISO
     * 8601 UTC. Figures are `attributed` (FIGURE_BASES) up to then, final after the
     * lateness window; the live view's "Today so far" is metered up to now. Else null.
     */
    attributed_up_to: string | null;
  };
  boundary: {
    area_m2: number;
    carriers: Carrier[];
    meters: { category: string; carrier: Carrier; scope: string; count: number }[];
    included: string;
    excluded: { item: string; why: string }[];
  };
  energy: {
    by_carrier: { carrier: Carrier; kwh: number; kgco2e: number; kg_per_kwh: number; use: CarrierUse }[];
    kwh: number;
    kgco2e: number;
    /** Supplementary electricity figure from time-varying grid intensity (§3); null without a feed. */
    grid_kgco2e: number | null;
  };
  /** Which days and hours of the period have data (footprint/coverage.ts). */
  coverage: Coverage;
  /** Annualised over the hours with data (`period.annualisation`); null: not enough data. */
  intensity: {
    kwh_per_m2_yr: number | null;
    kgco2e_per_m2_yr: number | null;
    by_carrier: Partial<Record<Carrier, number | null>>;
    basis: string;
  };
  /** §10: per m² per year on covered time, per desk-hour, per member-day, heating per HDD. */
  indicators: NormalisedIndicators;
  people: {
    members_served: number;
    member_days: number;
    member_hours: number;
    desks: number;
    desk_hours: number;
    /** Days with anybody present. */
    open_days: number;
    /** desk_hours ÷ (desks × Σ over open days of min(h_std, the day's hours with data)); null without such hours. */
    desk_occupancy: number | null;
    occupancy_basis: string;
    /** Largest half-hourly average headcount. */
    peak_headcount: number;
    unidentified_hours: number;
    entrance_hours: number;
  };
  per_member_day: {
    basis: string;
    kwh: Spread;
    kgco2e: Spread;
    hours: Spread;
    baseline_central_kgco2e: Spread;
    avoided_central_kgco2e: Spread;
  };
  allocation: {
    members: { kwh: number; kgco2e: number };
    operator: { kwh: number; kgco2e: number };
    unallocated: { kwh: number; kgco2e: number };
  };
  avoided: {
    label: typeof AVOIDED_LABEL;
    note: string;
    scenarios: Record<Scenario, {
      a_po_m2: number;
      s_sp: number;
      baseline_kgco2e: number;
      members_kgco2e: number;
      avoided_kgco2e: number;
      /** avoided ÷ baseline; may be negative. */
      reduction: number;
    }>;
    parameters: { h_std_h: number; d_work: number; eui_el_kwh_m2: number; eui_fuel_kwh_m2: number; fuel_carrier: string };
  };
  /**
   * §9: Scope 1 and dual Scope 2 (GHG Protocol Scope 2 Guidance; ESRS E1-6), each labelled
   * with its basis. The `energy` block's kgCO2e is the location-based inventory.
   */
  scope2: Scope2Summary & { location_basis: string; market_basis: string };
  /** §8: the bill, itemised per carrier, and where it went; null when the site prices no energy. */
  cost: (BillReconciliation & { per_member_day: Spread }) | null;
  data_quality: {
    measured_share: Partial<Record<Carrier, number | null>>;
    sensor_confirmed_share: number | null;
    /** Desk-hours with an occupancy sensor's state unknown after a missed heartbeat (METHODOLOGY §1, §5). */
    sensor_unknown_hours: number;
    conservation: ConservationLine[];
    factor_sets: { name: string; year: number; basis: string; source: string; unit: string; electricity: number; gas: number | null; heat: number | null }[];
    engine_version: string;
    provisional_days: number;
    raw_data: string;
  };
  daily: DailyRow[];
  members: AnonymousMember[];
  methodology: MethodologyDocument;
}

export interface BuildReportOptions {
  store: TimeSeriesStore;
  site: SiteFile;
  /** Any instants; the period is widened to whole local days. */
  from: number;
  to: number;
  /** The generated-at time, the only thing that may differ between two renders of the same data. */
  generatedAt: number;
  engine?: LiveDays;
  onProgress?: (done: number, total: number) => void;
}

/** Whole local days covering [from, to): from the start of from's day to the end of (to − 1)'s day. */
export function reportPeriod(site: SiteFile, from: number, to: number): { from: number; to: number; days: LocalDay[] } {
  const days = localDays(clockOf(site), from, to);
  return { from: days[0]!.start, to: days.at(-1)!.end, days };
}

export async function buildImpactReport(o: BuildReportOptions): Promise<ImpactReport> {
  const { site } = o;
  const period = reportPeriod(site, o.from, o.to);
  const clock = clockOf(site);
  const carriers = siteCarriers(site);
  const series = await readFootprintSeries({
    store: o.store, site, from: period.from, to: period.to, monthsFrom: clock.periodStart(period.from),
    ...(o.engine ? { engine: o.engine } : {}), ...(o.onProgress ? { onProgress: o.onProgress } : {}),
  });

  const indicators = normalisedIndicators(site, period.days, series, await readDegreeDays(o.store, site, period.days));

  const dayIndex = new Map(period.days.map((d, i) => [d.key, i] as const));
  const daily: DailyRow[] = period.days.map((d) => emptyDay(d, carriers));
  const rowOf = (ts: number): DailyRow | undefined => {
    const i = dayIndex.get(clock.day(ts).key);
    return i === undefined ? undefined : daily[i];
  };

  // Site series: metered totals, their use and data quality, per carrier (the sums the site
  // footprint route serves, footprint/figures.ts), and per day.
  const sums = siteSums(series.site, carriers);
  let gridSeen = false;
  for (const p of series.site) {
    const c = p.tags.carrier as Carrier;
    const row = rowOf(p.ts);
    if (!sums.has(c) || !row) continue;
    const x = fieldsOf(p, M_SITE);
    if (x.grid_kgco2e !== undefined) gridSeen = true;
    const kwh = x.metered_kwh ?? 0;
    const kg = x.kgco2e ?? 0;
    row.kwh[c] = (row.kwh[c] ?? 0) + kwh;
    row.kgco2e_by_carrier[c] = (row.kgco2e_by_carrier[c] ?? 0) + kg;
    row.kwh_total += kwh;
    row.kgco2e += kg;
    if (x.cost !== undefined) row.cost = (row.cost ?? 0) + x.cost;
    const use = row.use[c]!;
    use.direct += x.direct_kwh ?? 0;
    use.shared += x.shared_kwh ?? 0;
    use.pooled += x.pool_kwh ?? 0;
  }

  // Presence series: desk-hours, sensor confirmation, headcount.
  const presence = { ...newPresenceHours(), peak: 0 };
  const openDays = new Set<string>();
  for (const p of series.presence) {
    const row = rowOf(p.ts);
    if (!row) continue;
    const f = fieldsOf(p, M_PRESENCE);
    addPresenceHours(presence, f);
    presence.peak = Math.max(presence.peak, f.people ?? 0);
    row.desk_hours += (f.desk_session_hours ?? 0) + (f.unidentified_hours ?? 0);
    if ((f.hours_total ?? 0) > 0 || (f.unidentified_hours ?? 0) > 0) openDays.add(row.date);
  }

  // Day series: the footprint of record per account.
  const isMember = (account: string) => account !== site.operator && !account.startsWith('_');
  const memberAcc = new Map<string, MemberAcc>();
  const memberDays: Point[] = [];
  const operator = { kwh: 0, kgco2e: 0 };
  const unallocated = { kwh: 0, kgco2e: 0 };
  const allocatedByCarrier = new Map<Carrier, number>();
  const daysByAccount = new Map<string, Point[]>();
  const unallocatedByCarrier = new Map<Carrier, number>();
  let provisionalDays = new Set<string>();
  for (const p of series.days) {
    const row = rowOf(p.ts);
    if (!row) continue;
    const account = p.tags.account ?? '';
    const f = fieldsOf(p, M_DAY);
    if (f.final !== 1) {
      row.final = false;
      provisionalDays.add(row.date);
    }
    const kwh = carriers.reduce((a, c) => a + (f[FIELD.kwh(c)] ?? 0), 0);
    let own = daysByAccount.get(account);
    if (!own) daysByAccount.set(account, (own = []));
    own.push(p);
    if (account === ACCOUNT_UNALLOCATED) {
      unallocated.kwh += kwh;
      unallocated.kgco2e += f.kgco2e ?? 0;
      for (const c of carriers) unallocatedByCarrier.set(c, (unallocatedByCarrier.get(c) ?? 0) + (f[FIELD.kwh(c)] ?? 0));
      continue;
    }
    for (const c of carriers) allocatedByCarrier.set(c, (allocatedByCarrier.get(c) ?? 0) + (f[FIELD.kwh(c)] ?? 0));
    if (!isMember(account)) {
      operator.kwh += kwh;
      operator.kgco2e += f.kgco2e ?? 0;
      continue;
    }
    let m = memberAcc.get(account);
    if (!m) memberAcc.set(account, (m = newMemberAcc(carriers)));
    m.days += (f.hours ?? 0) > 0 ? 1 : 0;
    m.hours += f.hours ?? 0;
    for (const c of carriers) m.kwh[c] = (m.kwh[c] ?? 0) + (f[FIELD.kwh(c)] ?? 0);
    m.kwh_total += kwh;
    m.kwh_direct += f.kwh_direct ?? 0;
    m.kwh_shared += f.kwh_shared ?? 0;
    m.kwh_pool += f.kwh_pool ?? 0;
    m.kgco2e += f.kgco2e ?? 0;
    if (f.cost !== undefined) m.cost = (m.cost ?? 0) + f.cost;
    for (const s of SCENARIOS) {
      m.baseline[s] += f[FIELD.baseline(s)] ?? 0;
      m.avoided[s] += f[FIELD.avoided(s)] ?? 0;
      row.baseline_kgco2e[s] += f[FIELD.baseline(s)] ?? 0;
      row.avoided_kgco2e[s] += f[FIELD.avoided(s)] ?? 0;
    }
    row.members_kgco2e += f.kgco2e ?? 0;
    row.member_hours += f.hours ?? 0;
    if ((f.hours ?? 0) > 0) {
      row.members_present += 1;
      memberDays.push(p);
    }
  }

  const members = anonymise(memberAcc, carriers);
  const scope2 = scope2Summary(site, carriers, daily.map((d, i) => ({ key: d.date, year: period.days[i]!.year, kwh: d.kwh, kgco2e: d.kgco2e_by_carrier })));
  daily.forEach((d, i) => {
    d.scope2_location_kgco2e = scope2.daily[i]!.scope2_location_kgco2e;
    d.scope2_market_kgco2e = scope2.daily[i]!.scope2_market_kgco2e;
  });
  const sharesOf = (account: string) => figures(daysByAccount.get(account) ?? [], carriers);
  const bill = billReconciliation(site, sums, {
    members: [...daysByAccount.keys()].filter(isMember).map(sharesOf),
    operator: sharesOf(site.operator),
    unallocated: sharesOf(ACCOUNT_UNALLOCATED),
  });
  const sumMembers = (pick: (m: AnonymousMember) => number) => members.reduce((a, m) => a + pick(m), 0);
  const byCarrier = carriers.map((c) => {
    const s = sums.get(c)!;
    const kwh = s.metered_kwh ?? 0;
    const kg = s.kgco2e ?? 0;
    return { carrier: c, kwh, kgco2e: kg, kg_per_kwh: kwh > 0 ? kg / kwh : factorSetFor(site.factors, period.days[0]!.year)[c] ?? 0, use: { direct: s.direct_kwh ?? 0, shared: s.shared_kwh ?? 0, pooled: s.pool_kwh ?? 0 } };
  });
  const totalKwh = byCarrier.reduce((a, c) => a + c.kwh, 0);
  const totalKg = byCarrier.reduce((a, c) => a + c.kgco2e, 0);
  const coverage = coverageOf(series.site, period.days, clock.intervalMs, o.generatedAt);
  // One annualisation for every yearly figure: the indicators' covered time (§10).
  const yearly = indicators.annualisation;
  const perM2Yr = (v: number) => (yearly === null ? null : (v / site.area_m2) * yearly);
  const hStd = site.baseline.h_std_h;
  const deskHours = presence.desk + presence.unidentified;
  // Desks are available for h_std hours on a day anybody came, but only the hours with data
  // can show them in use: a day with one hour of readings offers one hour, not h_std.
  const coveredOf = new Map(coverage.by_day.map((d) => [d.date, d.hours_with_data]));
  const availableHours = [...openDays].reduce((a, day) => a + Math.min(hStd, coveredOf.get(day) ?? 0), 0);
  const available = site.desks.length * availableHours;
  for (const row of daily) row.hours_with_data = coveredOf.get(row.date) ?? 0;

  const scenarios = Object.fromEntries(SCENARIOS.map((s) => {
    const baseline = sumMembers((m) => m.baseline_kgco2e[s]);
    const avoided = sumMembers((m) => m.avoided_kgco2e[s]);
    return [s, {
      a_po_m2: site.baseline.scenarios[s].a_po_m2,
      s_sp: site.baseline.scenarios[s].s_sp,
      baseline_kgco2e: baseline,
      members_kgco2e: baseline - avoided,
      avoided_kgco2e: avoided,
      reduction: baseline > 0 ? avoided / baseline : 0,
    }];
  })) as ImpactReport['avoided']['scenarios'];

  const monthFinal = new Map<string, Point>();
  for (const p of series.months) if (p.fields.final === 1) monthFinal.set(clock.day(p.ts).month, p);
  const conservation: ConservationLine[] = carriers.map((c) => {
    const s = sums.get(c)!;
    const metered = s.metered_kwh ?? 0;
    const direct = s.direct_kwh ?? 0;
    const shared = s.shared_kwh ?? 0;
    const pooled = s.pool_kwh ?? 0;
    const residual = metered - direct - shared - pooled;
    return {
      carrier: c, metered_kwh: metered, direct_kwh: direct, shared_kwh: shared, pooled_kwh: pooled,
      residual_kwh: residual, relative_residual: metered > 0 ? Math.abs(residual) / metered : 0, clamped_kwh: s.clamped_kwh ?? 0,
      allocated_kwh: allocatedByCarrier.get(c) ?? 0, unallocated_kwh: unallocatedByCarrier.get(c) ?? 0,
      months: [...monthFinal.entries()].map(([month, p]) => {
        const x = fieldsOf(p, M_MONTH);
        return {
          month,
          metered_kwh: x[FIELD.meteredKwh(c)] ?? 0,
          residual_kwh: x[FIELD.residualKwh(c)] ?? 0,
          clamped_kwh: x[FIELD.clampedKwh(c)] ?? 0,
          inside_period: p.ts >= period.from && clock.nextPeriodStart(p.ts) <= period.to,
        };
      }),
    };
  });

  const measured: Partial<Record<Carrier, number | null>> = {};
  for (const c of carriers) {
    const s = sums.get(c)!;
    const m = s.measured_kwh ?? 0;
    const missing = s.missing_kwh ?? 0;
    measured[c] = m + missing > 0 ? m / (m + missing) : null;
  }

  const years = [...new Set(period.days.map((d) => d.year))];
  const factorSets = [...new Map(years.map((y) => factorSetFor(site.factors, y)).map((f) => [f.name, f] as const)).values()];
  const pmd = (pick: (f: DayFields) => number) => spread(memberDays.map((p) => pick(fieldsOf(p, M_DAY))));
  provisionalDays = new Set([...provisionalDays].sort());

  return {
    format: REPORT_FORMAT,
    generator: REPORT_GENERATOR,
    generated_at: new Date(o.generatedAt).toISOString(),
    site: { id: site.id, name: site.name, timezone: site.timezone, area_m2: site.area_m2, zones: site.zones.length, desks: site.desks.length },
    period: {
      from: new Date(period.from).toISOString(),
      to: new Date(period.to).toISOString(),
      first_day: period.days[0]!.key,
      last_day: period.days.at(-1)!.key,
      days: period.days.length,
      annualisation: yearly,
      final: provisionalDays.size === 0,
      attributed_up_to: period.to > o.generatedAt
        ? new Date(attributedReading(series.site, carriers, period.from, o.generatedAt, clock.intervalMs).up_to).toISOString()
        : null,
    },
    boundary: {
      area_m2: site.area_m2,
      carriers,
      meters: meterSummary(site),
      included: `All ${carriers.join(' and ')} metered at the site (incoming supply and sub-meters), over the ${fmtArea(site.area_m2)} m² gross internal area, on every day of the period.`,
      excluded: EXCLUSIONS.map((e) => ({ ...e })),
    },
    energy: {
      by_carrier: byCarrier,
      kwh: totalKwh,
      kgco2e: totalKg,
      grid_kgco2e: gridSeen ? sums.get('electricity')?.grid_kgco2e ?? 0 : null,
    },
    coverage,
    // Annualised on the covered time (§10), so days without data are not averaged in as zero.
    intensity: {
      kwh_per_m2_yr: indicators.per_m2_yr?.kwh ?? null,
      kgco2e_per_m2_yr: indicators.per_m2_yr?.kgco2e ?? null,
      by_carrier: Object.fromEntries(byCarrier.map((c) => [c.carrier, perM2Yr(c.kwh)])),
      basis: `÷ ${fmtArea(site.area_m2)} m²; ${indicators.annualisation_basis} (${coverage.text})`,
    },
    indicators,
    people: {
      members_served: members.filter((m) => m.days_present > 0).length,
      member_days: memberDays.length,
      member_hours: sumMembers((m) => m.hours),
      desks: site.desks.length,
      desk_hours: deskHours,
      open_days: openDays.size,
      desk_occupancy: available > 0 ? deskHours / available : null,
      occupancy_basis: available > 0
        ? `desk-hours used (members' desk sessions and unidentified occupants) ÷ (${site.desks.length} desks × ${fmtArea(availableHours)} h: up to ${hStd} h with data on each of ${openDays.size} days with anybody present)`
        : 'not enough data: no hours with data on a day anybody was present',
      peak_headcount: presence.peak,
      unidentified_hours: presence.unidentified,
      entrance_hours: presence.entrance,
    },
    per_member_day: {
      basis: 'one value per member per day present; quartiles by linear interpolation (spreadsheet QUARTILE.INC)',
      kwh: pmd((f) => carriers.reduce((a, c) => a + (f[FIELD.kwh(c)] ?? 0), 0)),
      kgco2e: pmd((f) => f.kgco2e ?? 0),
      hours: pmd((f) => f.hours ?? 0),
      baseline_central_kgco2e: pmd((f) => f[FIELD.baseline('central')] ?? 0),
      avoided_central_kgco2e: pmd((f) => f[FIELD.avoided('central')] ?? 0),
    },
    allocation: {
      members: { kwh: sumMembers((m) => m.kwh_total), kgco2e: sumMembers((m) => m.kgco2e) },
      operator,
      unallocated,
    },
    avoided: {
      label: AVOIDED_LABEL,
      note: 'What members would have emitted in private offices, less what they emitted here. Estimated from the parameters below, reported beside the inventory and never subtracted from it. The low scenario gives the smallest baseline.',
      scenarios,
      parameters: {
        h_std_h: site.baseline.h_std_h, d_work: site.baseline.d_work, eui_el_kwh_m2: site.baseline.eui_el_kwh_m2,
        eui_fuel_kwh_m2: site.baseline.eui_fuel_kwh_m2, fuel_carrier: site.baseline.fuel_carrier,
      },
    },
    scope2: {
      ...scope2,
      location_basis: `location-based: grid-average factors (${factorSets.map((f) => f.name).join(', ')}) for every kWh, whatever the contract`,
      market_basis: 'market-based: the contractual instruments and supplier rates in force, the residual mix for the rest (GHG Protocol Scope 2 Guidance, Table 6.3)',
    },
    cost: bill && { ...bill, per_member_day: pmd((f) => f.cost ?? 0) },
    data_quality: {
      measured_share: measured,
      sensor_confirmed_share: presence.desk > 0 ? presence.sensor / presence.desk : null,
      sensor_unknown_hours: presence.sensor_unknown,
      conservation,
      factor_sets: factorSets.map(factorLine),
      engine_version: ENGINE_VERSION,
      provisional_days: provisionalDays.size,
      raw_data: `GET /api/sites/${site.id}/export?from=${new Date(period.from).toISOString()}&to=${new Date(period.to).toISOString()}&format=csv`,
    },
    daily,
    members,
    methodology: methodologyDocument(),
  };
}

// ------------------------------------------------------------------ helpers

interface MemberAcc {
  days: number;
  hours: number;
  kwh: Partial<Record<Carrier, number>>;
  kwh_total: number;
  kwh_direct: number;
  kwh_shared: number;
  kwh_pool: number;
  kgco2e: number;
  baseline: ScenarioValues;
  avoided: ScenarioValues;
  cost: number | null;
}

function newMemberAcc(carriers: readonly Carrier[]): MemberAcc {
  return {
    days: 0, hours: 0, kwh: Object.fromEntries(carriers.map((c) => [c, 0])), kwh_total: 0, kwh_direct: 0, kwh_shared: 0, kwh_pool: 0, kgco2e: 0,
    baseline: { low: 0, central: 0, high: 0 }, avoided: { low: 0, central: 0, high: 0 }, cost: null,
  };
}

/**
 * Members ordered by footprint (then hours), numbered member-01…: stable for the same data,
 * and the order carries nothing about who they are. The real id only breaks exact ties.
 */
function anonymise(acc: ReadonlyMap<string, MemberAcc>, carriers: readonly Carrier[]): AnonymousMember[] {
  const sorted = [...acc.entries()].sort((a, b) => b[1].kgco2e - a[1].kgco2e || b[1].hours - a[1].hours || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const width = Math.max(2, String(sorted.length).length);
  return sorted.map(([, m], i) => ({
    id: `member-${String(i + 1).padStart(width, '0')}`,
    days_present: m.days,
    hours: m.hours,
    kwh: Object.fromEntries(carriers.map((c) => [c, m.kwh[c] ?? 0])),
    kwh_total: m.kwh_total,
    kwh_direct: m.kwh_direct,
    kwh_shared: m.kwh_shared,
    kwh_pool: m.kwh_pool,
    kgco2e: m.kgco2e,
    baseline_kgco2e: { ...m.baseline },
    avoided_kgco2e: { ...m.avoided },
    cost: m.cost,
  }));
}

function emptyDay(d: LocalDay, carriers: readonly Carrier[]): DailyRow {
  return {
    date: d.key, start: d.start,
    kwh: Object.fromEntries(carriers.map((c) => [c, 0])),
    kgco2e_by_carrier: Object.fromEntries(carriers.map((c) => [c, 0])),
    use: Object.fromEntries(carriers.map((c) => [c, { direct: 0, shared: 0, pooled: 0 }])),
    kwh_total: 0, kgco2e: 0, members_present: 0, member_hours: 0, desk_hours: 0, members_kgco2e: 0,
    baseline_kgco2e: { low: 0, central: 0, high: 0 }, avoided_kgco2e: { low: 0, central: 0, high: 0 }, final: true, cost: null,
    scope2_location_kgco2e: 0, scope2_market_kgco2e: 0, hours_with_data: 0,
  };
}

/** Carriers the site's meters use, in a fixed order. */
export function siteCarriers(site: SiteFile): Carrier[] {
  const used = new Set(site.devices.map((d) => d.carrier).filter((c): c is Carrier => c !== undefined));
  return (['electricity', 'gas', 'heat'] as const).filter((c) => used.has(c));
}

function meterSummary(site: SiteFile): ImpactReport['boundary']['meters'] {
  const counts = new Map<string, { category: string; carrier: Carrier; scope: string; count: number }>();
  for (const d of site.devices) {
    const category = deviceCategory(d);
    if (d.carrier === undefined || category === null || category === undefined) continue;
    const scope = category === 'main' ? 'site supply' : deviceScope(d);
    const key = `${category}|${d.carrier}|${scope}`;
    const e = counts.get(key) ?? { category, carrier: d.carrier, scope, count: 0 };
    e.count++;
    counts.set(key, e);
  }
  return [...counts.values()].sort((a, b) => (a.carrier + a.category < b.carrier + b.category ? -1 : 1));
}

function factorLine(f: FactorSet): ImpactReport['data_quality']['factor_sets'][number] {
  return { name: f.name, year: f.year, basis: f.basis, source: f.source, unit: f.unit, electricity: f.electricity, gas: f.gas ?? null, heat: f.heat ?? null };
}

function fmtArea(m2: number): string {
  return new Intl.NumberFormat('en-GB', { maximumFractionDigits: 1 }).format(m2);
}
