/**
 * The footprint series the engine writes (documented in docs/footprint.md). Every field is
 * a float; a field never changes type. Accounts are member ids, the site's operator id, and
 * two reserved names that no id can take (ids start with [a-z0-9]).
 */

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
