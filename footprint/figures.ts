/**
 * The footprint figures the API serves (`GET /api/members/:member/footprint`,
 * `GET /api/sites/:site/footprint`): sums of the engine's day points, never recomputed, and
 * the response shapes, which the dashboard imports as types.
 */
import type { Carrier } from '../devices/kinds.ts';
import type { FactorSet, SiteFile } from '../devices/site.ts';
import type { Point } from '../store/types.ts';
import { clockOf } from './clock.ts';
import type { Coverage } from './coverage.ts';
import { SCENARIOS, factorSetFor, type Scenario } from './emissions.ts';
import { ENGINE_VERSION, FIELD, FIGURE_BASES, M_DAY, M_SITE, fieldsOf, type FigureBasis, type SiteFields } from './schema.ts';

export type ScenarioValues = Record<Scenario, number>;

/** One period's footprint of record: the sum of its day points. */
export interface FootprintFigures {
  kwh: Partial<Record<Carrier, number>>;
  kwh_total: number;
  kwh_direct: number;
  kwh_shared: number;
  kwh_pool: number;
  kwh_pool_by_carrier: Partial<Record<Carrier, number>>;
  kgco2e: number;
  /** Supplementary: electricity × time-varying grid intensity (§3), beside, never instead. */
  grid_kgco2e: number;
  hours: number;
  baseline_kgco2e: ScenarioValues;
  /** Estimated avoided emissions, outside the inventory (never netted against it). */
  avoided_kgco2e: ScenarioValues;
  reduction: ScenarioValues;
  /** False while any day in it belongs to an open month (pool share provisional). */
  final: boolean;
  days: number;
  /** Cost share of record in the site's currency, VAT included (METHODOLOGY §8); null without tariffs. */
  cost: number | null;
  cost_by_carrier: Partial<Record<Carrier, number>>;
  /** Part of `cost` that is a share of the pooled cost (standby, unmetered energy, standing charges). */
  cost_pool: number | null;
}

export interface FactorSetInfo {
  name: string;
  year: number;
  unit: string;
  basis: string;
  source: string;
  electricity: number;
  gas: number | null;
  heat: number | null;
}

/** §5: the factor sets, baseline parameters and engine version behind a figure. */
export interface MethodBlock {
  engine_version: string;
  factor_sets: FactorSetInfo[];
  baseline: ({ site: string } & SiteFile['baseline'])[];
  avoided_note: string;
}

export interface Units {
  energy: 'kWh';
  carbon: 'kgCO2e';
  hours: 'h';
}

/** `GET /api/members/:member/footprint`. */
export interface MemberFootprintResponse {
  member: string;
  sites: string[];
  from: number;
  to: number;
  every: 'day' | 'week' | 'month';
  units: Units;
  /** ISO 4217 code of every cost figure; null when the member's sites price no energy (§8). */
  currency: string | null;
  buckets: (FootprintFigures & { start: number })[];
  totals: FootprintFigures;
  /**
   * When the range runs into today: the figures are attributed (FIGURE_BASES) up to this
   * instant, the end of the last closed interval; else null.
   */
  attributed_up_to: number | null;
  /** Which days and hours of the range the site has data for (a member's zero on such a day is a real zero). */
  coverage: Coverage;
  method: MethodBlock;
}

export interface CarrierConservation {
  metered_kwh: number;
  direct_and_shared_kwh: number;
  pooled_kwh: number;
  /** metered − (direct + shared + pooled), interval by interval: 0 up to rounding for any range. */
  residual_kwh: number;
  relative_residual: number;
  /** Pool shares given to members and the operator on the range's days. */
  pool_shares_kwh: number;
  allocated_kwh: number;
  /** The pool left unallocated (M4). */
  unallocated_kwh: number;
  /** Negative main-meter residuals clamped to 0 (§2). */
  clamped_kwh: number;
  closed_months: { month_start: number; metered_kwh: number; residual_kwh: number; clamped_kwh: number }[];
}

/** One carrier's bill over a range, itemised (METHODOLOGY §8). */
export interface CarrierBill {
  energy: number;
  levies: number;
  standing: number;
  vat: number;
  total: number;
  /** Metered energy before the tariff history's first period: not priced. */
  unpriced_kwh: number;
}

/**
 * The bill of a range and where it went (§8 "Reconciliation"): Σ member shares + operator +
 * unallocated = the bill. Exact (to 1e-9) over whole billing periods; inside an open one the
 * pooled cost so far is shared by the hours so far, so it holds for the period to date too.
 */
export interface BillReconciliation {
  /** ISO 4217. */
  currency: string;
  /** True when any tariff is flagged as an estimate rather than the site's contract. */
  estimate: boolean;
  sources: { carrier: Carrier; supplier: string | null; source: string; estimate: boolean }[];
  by_carrier: Partial<Record<Carrier, CarrierBill>>;
  bill: number;
  members: number;
  operator: number;
  unallocated: number;
  /** bill − (members + operator + unallocated). */
  residual: number;
  relative_residual: number;
  /** False while a share is provisional (an open billing period). */
  final: boolean;
}

/** `GET /api/sites/:site/footprint`. */
export interface SiteFootprintResponse {
  site: string;
  from: number;
  to: number;
  units: Units;
  totals: { by_carrier: Record<string, { kwh: number; kgco2e: number; grid_kgco2e: number | null }>; kwh: number; kgco2e: number };
  allocation: { members: Record<string, FootprintFigures>; operator: FootprintFigures; unallocated: FootprintFigures };
  /** §8: null when the site prices no energy. */
  cost: BillReconciliation | null;
  conservation: Record<string, CarrierConservation>;
  /** Which days and hours of the range have data (footprint/coverage.ts). */
  coverage: Coverage;
  data_quality: {
    /** kWh from readings ÷ (readings + expected energy of `missing` stretches), per carrier. */
    measured_share: Record<string, number | null>;
    /** Desk-session hours at desks with an occupancy sensor ÷ all desk-session hours. */
    sensor_confirmed_share: number | null;
    /** Desk-hours with an occupancy sensor's state unknown after a missed heartbeat (METHODOLOGY §1, §5). */
    sensor_unknown_hours: number;
    presence_hours: { desk: number; sensor: number; entrance: number; unidentified: number; sensor_unknown: number };
    provisional: boolean;
  } & MethodBlock;
}

/**
 * One reading of a site's energy and emissions over [from, up_to), with its basis
 * (`FIGURE_BASES`): the shape every view's "today" figure comes in (issue 22).
 */
export interface EnergyReading<B extends FigureBasis = FigureBasis> {
  basis: B;
  /** `FIGURE_BASES[basis].label`, which the views print beside the number. */
  label: string;
  from: number;
  /** The reading covers [from, up_to): now for `metered_so_far`, the end of the last closed interval for `attributed`. */
  up_to: number;
  /** False: no readings in the range, so the figures below are missing, not zero (issue 22). */
  has_data: boolean;
  kwh: number;
  kgco2e: number;
  by_carrier: Record<string, number>;
}

/** `GET /api/sites/:site/today`: today's energy as each view shows it, and the comparison with last week. */
export interface TodayResponse {
  site: string;
  at: number;
  units: Units;
  /** The site's local day. */
  day: { from: number; to: number };
  /** The live view's "Today so far" (the live snapshot's `today`, same figure); null without a live engine. */
  metered: EnergyReading<'metered_so_far'> | null;
  /** Closed intervals of today, as the member view, the impact view and the reports count them. */
  attributed: EnergyReading<'attributed'>;
  last_week: {
    /** The same weekday last week over the same part of the day as `attributed` (like for like). */
    same_time: EnergyReading<'attributed'>;
    whole_day: EnergyReading<'attributed'>;
  };
  /** attributed ÷ last_week.same_time − 1; null when last week has no data to compare with. */
  change: { kwh: number | null; kgco2e: number | null };
}

export const UNITS: Units = { energy: 'kWh', carbon: 'kgCO2e', hours: 'h' };

/** Every `footprint_site` field summed per carrier: the one site-level sum the API and the reports use. */
export type SiteSums = Map<string, Required<Pick<SiteFields, 'metered_kwh' | 'kgco2e'>> & SiteFields & Record<string, number>>;

export function siteSums(points: readonly Point[], carriers: readonly Carrier[]): SiteSums {
  const out: SiteSums = new Map(carriers.map((c) => [c, { metered_kwh: 0, kgco2e: 0 }]));
  for (const p of points) {
    const acc = out.get(p.tags.carrier ?? '');
    if (!acc) continue;
    for (const [k, v] of Object.entries(p.fields)) acc[k] = (acc[k] ?? 0) + v;
  }
  return out;
}

/**
 * The attributed reading of [from, to) from `footprint_site` points: what the engine has
 * closed. `up_to` is the end of the last interval stored, so the reading says how far it goes.
 */
export function attributedReading(points: readonly Point[], carriers: readonly Carrier[], from: number, to: number, intervalMs: number): EnergyReading<'attributed'> {
  const inRange = points.filter((p) => p.ts >= from && p.ts < to);
  const sums = siteSums(inRange, carriers);
  let upTo = from;
  for (const p of inRange) if (fieldsOf(p, M_SITE).metered_kwh !== undefined) upTo = Math.max(upTo, Math.min(to, p.ts + intervalMs));
  const by_carrier = Object.fromEntries(carriers.map((c) => [c, sums.get(c)!.metered_kwh]));
  return {
    basis: 'attributed', label: FIGURE_BASES.attributed.label, from, up_to: upTo,
    has_data: inRange.some((p) => (fieldsOf(p, M_SITE).metered_kwh ?? 0) > 0),
    kwh: Object.values(by_carrier).reduce((a, b) => a + b, 0),
    kgco2e: carriers.reduce((a, c) => a + sums.get(c)!.kgco2e, 0),
    by_carrier,
  };
}

/** The sum of a set of `footprint_day` points (one account, or several). */
export function figures(days: readonly Point[], carriers: readonly Carrier[]): FootprintFigures {
  const f: FootprintFigures = {
    kwh: Object.fromEntries(carriers.map((c) => [c, 0])), kwh_total: 0, kwh_direct: 0, kwh_shared: 0, kwh_pool: 0,
    kwh_pool_by_carrier: Object.fromEntries(carriers.map((c) => [c, 0])), kgco2e: 0, grid_kgco2e: 0, hours: 0,
    baseline_kgco2e: { low: 0, central: 0, high: 0 }, avoided_kgco2e: { low: 0, central: 0, high: 0 }, reduction: { low: 0, central: 0, high: 0 },
    final: true, days: days.length, cost: null, cost_by_carrier: {}, cost_pool: null,
  };
  for (const p of days) {
    const x = fieldsOf(p, M_DAY);
    for (const c of carriers) {
      f.kwh[c]! += x[FIELD.kwh(c)] ?? 0;
      f.kwh_total += x[FIELD.kwh(c)] ?? 0;
      f.kwh_pool_by_carrier[c]! += x[FIELD.kwhPool(c)] ?? 0;
    }
    f.kwh_direct += x.kwh_direct ?? 0;
    f.kwh_shared += x.kwh_shared ?? 0;
    f.kwh_pool += x.kwh_pool ?? 0;
    f.kgco2e += x.kgco2e ?? 0;
    f.grid_kgco2e += x.grid_kgco2e ?? 0;
    f.hours += x.hours ?? 0;
    for (const s of SCENARIOS) {
      f.baseline_kgco2e[s] += x[FIELD.baseline(s)] ?? 0;
      f.avoided_kgco2e[s] += x[FIELD.avoided(s)] ?? 0;
    }
    if (x.final !== 1) f.final = false;
    if (x.cost !== undefined) {
      f.cost = (f.cost ?? 0) + x.cost;
      f.cost_pool = (f.cost_pool ?? 0) + (x.cost_pool ?? 0);
      for (const c of carriers) {
        const v = x[FIELD.cost(c)];
        if (v !== undefined) f.cost_by_carrier[c] = (f.cost_by_carrier[c] ?? 0) + v;
      }
    }
  }
  for (const s of SCENARIOS) f.reduction[s] = f.baseline_kgco2e[s] > 0 ? f.avoided_kgco2e[s] / f.baseline_kgco2e[s] : 0;
  return f;
}

/** The carriers the sites' meters use, sorted. */
export function carriersOf(sites: readonly SiteFile[]): Carrier[] {
  const set = new Set<Carrier>();
  for (const s of sites) for (const d of s.devices) if (d.carrier) set.add(d.carrier);
  return [...set].sort();
}

/** §5: factor sets (names, years, sources), baseline parameters and the engine version. */
export function methodBlock(sites: readonly SiteFile[], from: number, to: number): MethodBlock {
  const sets = new Map<string, FactorSet>();
  for (const site of sites) {
    const clock = clockOf(site);
    const y0 = clock.day(from).year;
    const y1 = clock.day(Math.max(from, to - 1)).year;
    for (let y = y0; y <= y1; y++) {
      const f = factorSetFor(site.factors, y);
      sets.set(`${site.id}:${f.name}`, f);
    }
  }
  return {
    engine_version: ENGINE_VERSION,
    factor_sets: [...sets.values()].map((f) => ({ name: f.name, year: f.year, unit: f.unit, basis: f.basis, source: f.source, electricity: f.electricity, gas: f.gas ?? null, heat: f.heat ?? null })),
    baseline: sites.map((s) => ({ site: s.id, ...s.baseline })),
    avoided_note: 'estimated avoided emissions against a private-office baseline, outside the inventory, never netted against it',
  };
}

/** The sites' common currency (ISO 4217), or null when none prices energy or they differ (costs are never summed across currencies). */
export function currencyOf(sites: readonly Pick<SiteFile, 'currency' | 'tariffs'>[]): string | null {
  const codes = new Set(sites.filter((s) => Object.values(s.tariffs).some((t) => t !== undefined)).map((s) => s.currency));
  const [only] = codes;
  return codes.size === 1 && only !== undefined ? only : null;
}

/**
 * §8: a site's bill over a range from its `footprint_site` sums per carrier, against the
 * cost shares of record of its accounts (members, operator, unallocated); null without tariffs.
 */
export function billReconciliation(
  site: SiteFile,
  siteSums: ReadonlyMap<string, SiteFields>,
  shares: { members: readonly FootprintFigures[]; operator: FootprintFigures; unallocated: FootprintFigures },
): BillReconciliation | null {
  const currency = currencyOf([site]);
  if (currency === null) return null;
  const byCarrier: Partial<Record<Carrier, CarrierBill>> = {};
  const sources: BillReconciliation['sources'] = [];
  let bill = 0;
  for (const [c, t] of Object.entries(site.tariffs) as [Carrier, SiteFile['tariffs']['electricity']][]) {
    if (!t) continue;
    sources.push({ carrier: c, supplier: t.supplier ?? null, source: t.source, estimate: t.estimate });
    const s = siteSums.get(c);
    if (!s) continue;
    byCarrier[c] = { energy: s.cost_energy ?? 0, levies: s.cost_levies ?? 0, standing: s.cost_standing ?? 0, vat: s.cost_vat ?? 0, total: s.cost ?? 0, unpriced_kwh: s.unpriced_kwh ?? 0 };
    bill += s.cost ?? 0;
  }
  const members = shares.members.reduce((a, f) => a + (f.cost ?? 0), 0);
  const operator = shares.operator.cost ?? 0;
  const unallocated = shares.unallocated.cost ?? 0;
  const residual = bill - (members + operator + unallocated);
  return {
    currency, estimate: sources.some((x) => x.estimate), sources, by_carrier: byCarrier, bill, members, operator, unallocated,
    residual, relative_residual: bill > 0 ? Math.abs(residual) / bill : 0,
    final: [...shares.members, shares.operator, shares.unallocated].every((f) => f.final),
  };
}
