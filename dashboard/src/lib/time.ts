/**
 * Local days and months at a site, in the browser: the footprint is kept in the site's
 * local days (METHODOLOGY §1), whatever zone the viewer is in. The same two-step offset
 * refinement as the server's LocalClock, so a DST day starts at the right instant.
 */

const partsCache = new Map<string, Intl.DateTimeFormat>();

function partsFormat(timeZone: string): Intl.DateTimeFormat {
  let f = partsCache.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    partsCache.set(timeZone, f);
  }
  return f;
}

export interface WallDate {
  year: number;
  /** 0-based, as `Date`. */
  month: number;
  date: number;
}

/** Local time minus UTC at `ts`, ms. */
export function offsetMs(ts: number, timeZone: string): number {
  const whole = Math.floor(ts / 1000) * 1000;
  const v: Record<string, number> = {};
  for (const p of partsFormat(timeZone).formatToParts(whole)) v[p.type] = Number(p.value);
  return Date.UTC(v.year!, v.month! - 1, v.day!, v.hour!, v.minute!, v.second!) - whole;
}

export function wallDate(ts: number, timeZone: string): WallDate {
  const local = new Date(ts + offsetMs(ts, timeZone));
  return { year: local.getUTCFullYear(), month: local.getUTCMonth(), date: local.getUTCDate() };
}

/** The instant of local midnight on a (possibly un-normalised) wall date. */
export function localMidnight(year: number, month: number, date: number, timeZone: string): number {
  const wall = Date.UTC(year, month, date);
  let t = wall - offsetMs(wall, timeZone);
  t = wall - offsetMs(t, timeZone);
  return t;
}

export function dayStart(ts: number, timeZone: string): number {
  const d = wallDate(ts, timeZone);
  return localMidnight(d.year, d.month, d.date, timeZone);
}

/** Local midnight `days` days after the local day of `ts` (negative for earlier days). */
export function addDays(ts: number, days: number, timeZone: string): number {
  const d = wallDate(ts, timeZone);
  return localMidnight(d.year, d.month, d.date + days, timeZone);
}

export function monthStart(ts: number, timeZone: string, monthsAhead = 0): number {
  const d = wallDate(ts, timeZone);
  return localMidnight(d.year, d.month + monthsAhead, 1, timeZone);
}

export function yearStart(ts: number, timeZone: string): number {
  return localMidnight(wallDate(ts, timeZone).year, 0, 1, timeZone);
}

/** `YYYY-MM-DD` of the local day of `ts`, for date inputs. */
export function isoDate(ts: number, timeZone: string): string {
  const d = wallDate(ts, timeZone);
  return `${d.year}-${String(d.month + 1).padStart(2, '0')}-${String(d.date).padStart(2, '0')}`;
}

/** Local midnight of a `YYYY-MM-DD` date; null when it is not one. */
export function parseIsoDate(value: string, timeZone: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return null;
  return localMidnight(Number(m[1]), Number(m[2]) - 1, Number(m[3]), timeZone);
}

/** `YYYY-MM` of the local month of `ts`, for month inputs. */
export function isoMonth(ts: number, timeZone: string): string {
  const d = wallDate(ts, timeZone);
  return `${d.year}-${String(d.month + 1).padStart(2, '0')}`;
}

/** Local midnight starting a `YYYY-MM` month; null when it is not one. */
export function parseIsoMonth(value: string, timeZone: string): number | null {
  const m = /^(\d{4})-(\d{2})$/.exec(value);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) return null;
  return localMidnight(Number(m[1]), Number(m[2]) - 1, 1, timeZone);
}
