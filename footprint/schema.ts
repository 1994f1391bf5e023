/**
 * The footprint series the engine writes (documented in docs/footprint.md). Every field is
 * a float; a field never changes type. Accounts are member ids, the site's operator id, and
 * two reserved names that no id can take (ids start with [a-z0-9]).
 */

import type { Carrier } from '../devices/kinds.ts';
import type { Point } from '../store/types.ts';
import type { Scenario } from './emissions.ts';

/** Changes whenever a result for the same input may change; reported with every figure (§5). */
export const ENGINE_VERSION = 'footprint-engine/1.0.0 (METHODOLOGY.md §1–5)';

/** Per account and accounting interval: direct + shared energy, carbon, baseline accrual. */
export const M_INTERVAL = 'footprint_interval';
/** Per account and local day: the footprint of record, including the day's pool share. */
export const M_DAY = 'footprint_day';
/** Per account and local calendar month: pool share and hours; `_site` holds conservation. */
export const M_MONTH = 'footprint_month';
/** Per site, carrier and interval: metered total, residual, pool, data quality. */
export const M_SITE = 'footprint_site';
/** Per site and interval: headcount and desk-hours (sensor-confirmed share, §5). */
export const M_PRESENCE = 'footprint_presence';
/** One point per presence session used, at its start. */
export const M_SESSION = 'footprint_session';

/** Interval energy waiting for the monthly pool (M4). */
export const ACCOUNT_POOL = '_pool';
/** Pool energy of a month with nobody present (M4 "unallocated"). */
export const ACCOUNT_UNALLOCATED = '_unallocated';
/** Site-level month totals (conservation, M6). */
export const ACCOUNT_SITE = '_site';

export const FOOTPRINT_MEASUREMENTS = [M_INTERVAL, M_DAY, M_MONTH, M_SITE, M_PRESENCE, M_SESSION] as const;

// ------------------------------------------------------------------ field catalogue

/**
 * The fields of each footprint series (docs/footprint.md "Series written"), typed, and the
 * only place the per-carrier and per-scenario field names are built. The engine writes
 * these shapes and the API, reports and CSV read them through `fieldsOf`, so renaming a
 * field here is a compile error wherever it is used.
 */
type PerCarrier<P extends string> = { [C in Carrier as `${P}_${C}`]?: number };
type PerScenario<P extends string> = { [S in Scenario as `${P}_${S}`]?: number };

/** The names of the per-carrier (`<c>`) and per-scenario (`<s>`) fields. */
export const FIELD = {
  /** Energy of one carrier (interval, day): direct + shared (+ pool share on a day). */
  kwh: (c: Carrier) => `kwh_${c}` as const,
  /** Pool share of one carrier (day, month). */
  kwhPool: (c: Carrier) => `kwh_pool_${c}` as const,
  baseline: (s: Scenario) => `baseline_kgco2e_${s}` as const,
  avoided: (s: Scenario) => `avoided_kgco2e_${s}` as const,
  reduction: (s: Scenario) => `reduction_${s}` as const,
  /** Month totals of the `_site` account (M6). */
  meteredKwh: (c: Carrier) => `metered_kwh_${c}` as const,
  poolKwh: (c: Carrier) => `pool_kwh_${c}` as const,
  unallocatedKwh: (c: Carrier) => `unallocated_kwh_${c}` as const,
  clampedKwh: (c: Carrier) => `clamped_kwh_${c}` as const,
  residualKwh: (c: Carrier) => `conservation_residual_kwh_${c}` as const,
  /** Cost of one carrier in the site's currency, VAT included (day: with the pool share, §8). */
  cost: (c: Carrier) => `cost_${c}` as const,
  /** Month totals of the `_site` account (§8 bill reconciliation). */
  billCost: (c: Carrier) => `cost_bill_${c}` as const,
  unallocatedCost: (c: Carrier) => `cost_unallocated_${c}` as const,
  costResidual: (c: Carrier) => `cost_residual_${c}` as const,
};

/** `footprint_interval`, per account (`_pool`: `kwh_<c>` and `kgco2e` only). */
export type IntervalFields = {
  hours?: number;
  kwh_direct?: number;
  kwh_shared?: number;
  kgco2e?: number;
  grid_kgco2e?: number;
  /** Cost of direct + shared energy, VAT included (`_pool`: the pooled energy and standing charges), §8. */
  cost?: number;
} & PerCarrier<'kwh'> & PerScenario<'baseline_kgco2e'> & PerScenario<'avoided_kgco2e'>;

/** `footprint_day`, per account: the footprint of record. */
export type DayFields = {
  hours?: number;
  /** 1 once the month is closed (final pool shares), else 0. */
  final?: number;
  kwh_direct?: number;
  kwh_shared?: number;
  kwh_pool?: number;
  kgco2e?: number;
  grid_kgco2e?: number;
  /** Cost share of record (§8): direct + shared + pool share incl. standing charges, VAT included. */
  cost?: number;
  cost_pool?: number;
} & PerCarrier<'kwh'> & PerCarrier<'kwh_pool'> & PerCarrier<'cost'> & PerScenario<'baseline_kgco2e'> & PerScenario<'avoided_kgco2e'> & PerScenario<'reduction'>;

/** `footprint_site`, per carrier and interval. */
export type SiteFields = {
  metered_kwh?: number;
  main_kwh?: number;
  sub_kwh?: number;
  residual_kwh?: number;
  clamped_kwh?: number;
  pool_kwh?: number;
  direct_kwh?: number;
  shared_kwh?: number;
  measured_kwh?: number;
  missing_kwh?: number;
  missing_devices?: number;
  kgco2e?: number;
  grid_kgco2e?: number;
  /** The interval's bill (§8): energy + levies + standing charge + VAT = cost. */
  cost?: number;
  cost_energy?: number;
  cost_levies?: number;
  cost_standing?: number;
  cost_vat?: number;
  /** Metered energy with no tariff period in force (before the first `from`): no cost. */
  unpriced_kwh?: number;
};

/** `footprint_month`: per account (hours, pool shares), and the `_site` account's M6 totals. */
export type MonthFields = {
  hours?: number;
  hours_total?: number;
  final?: number;
} & PerCarrier<'kwh_pool'> & PerCarrier<'metered_kwh'> & PerCarrier<'pool_kwh'> & PerCarrier<'unallocated_kwh'>
  & PerCarrier<'clamped_kwh'> & PerCarrier<'conservation_residual_kwh'>
  & PerCarrier<'cost_bill'> & PerCarrier<'cost_unallocated'> & PerCarrier<'cost_residual'>;

/** `footprint_presence`, per interval. */
export type PresenceFields = {
  people?: number;
  hours_total?: number;
  desk_session_hours?: number;
  desk_session_hours_sensor?: number;
  entrance_session_hours?: number;
  unidentified_hours?: number;
  /** Desk-session hours while the desk's occupancy sensor missed its heartbeat (METHODOLOGY §1, §5). */
  sensor_unknown_hours?: number;
};

/** Presence hours summed over `footprint_presence` points (data quality, METHODOLOGY §5). */
export interface PresenceHours {
  desk: number;
  sensor: number;
  entrance: number;
  unidentified: number;
  sensor_unknown: number;
}

export function newPresenceHours(): PresenceHours {
  return { desk: 0, sensor: 0, entrance: 0, unidentified: 0, sensor_unknown: 0 };
}

/** Adds one presence point's hours to `acc`. */
export function addPresenceHours(acc: PresenceHours, f: PresenceFields): void {
  acc.desk += f.desk_session_hours ?? 0;
  acc.sensor += f.desk_session_hours_sensor ?? 0;
  acc.entrance += f.entrance_session_hours ?? 0;
  acc.unidentified += f.unidentified_hours ?? 0;
  acc.sensor_unknown += f.sensor_unknown_hours ?? 0;
}

/** `footprint_session`, one per presence session, at its start. */
export type SessionFields = {
  end?: number;
  hours?: number;
};

export interface SeriesFields {
  [M_INTERVAL]: IntervalFields;
  [M_DAY]: DayFields;
  [M_MONTH]: MonthFields;
  [M_SITE]: SiteFields;
  [M_PRESENCE]: PresenceFields;
  [M_SESSION]: SessionFields;
}

/** A stored footprint point's fields, typed by its series. */
export function fieldsOf<M extends keyof SeriesFields>(p: Point, _measurement: M): SeriesFields[M] {
  return p.fields as SeriesFields[M];
}

// ------------------------------------------------------------------ figure bases (issue 22)

/**
 * What a figure on a view is a reading of. The same quantity over the same period is one
 * number everywhere; two readings may differ only when their bases differ, and every view
 * and report names the basis beside the number (docs/footprint.md "One figure, one number").
 */
export const FIGURE_BASES = {
  /** The live view's "Today so far": every reading received, up to now. */
  metered_so_far: {
    label: 'metered so far',
    note: 'every meter reading received up to now, including readings still inside the lateness window; provisional',
  },
  /** What the footprint engine has closed: comparisons, the member and impact views, reports. */
  attributed: {
    label: 'attributed',
    note: 'closed accounting intervals only; final once the lateness window has passed (and, for members, once the month has closed)',
  },
} as const;

export type FigureBasis = keyof typeof FIGURE_BASES;
