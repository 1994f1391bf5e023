/**
 * Which part of a period has data (issue 22), so no view or report shows a zero for a
 * missing value and no average spreads a period's energy over time without readings:
 * an accounting interval has data when the engine stored a metered energy above zero for
 * it (a metered building never uses exactly nothing in half an hour: network, ventilation
 * and standby run around the clock). Only time that has happened counts: the rest of
 * today is not missing, it is still to come.
 */
import type { Point } from '../store/types.ts';
import type { LocalClock, LocalDay } from './clock.ts';
import { M_SITE, fieldsOf } from './schema.ts';

const HOUR_MS = 3_600_000;
const HOURS_PER_YEAR = 8760;
/**
 * Less than a day of data is not annualised: one part of a day (night, a busy morning)
 * multiplied into a year says more about the hour than about the building.
 */
export const MIN_HOURS_TO_ANNUALISE = 24;

export interface DayCoverage {
  /** Local date, YYYY-MM-DD. */
  date: string;
  start: number;
  hours: number;
  hours_with_data: number;
}

export interface Coverage {
  /** Days of the period that have begun. */
  days: number;
  days_with_data: number;
  /** Hours of the period up to now. */
  hours: number;
  hours_with_data: number;
  /** "1 of 30 days has data". */
  text: string;
  by_day: DayCoverage[];
}

/** The local days that meet [from, to): from the start of from's day to the end of (to − 1)'s day. */
export function localDays(clock: LocalClock, from: number, to: number): LocalDay[] {
  const days: LocalDay[] = [];
  for (let t = clock.day(from).start; t < to; t = clock.day(t).end) days.push(clock.day(t));
  return days;
}

/** Coverage of `days` (the period's local days) from its `footprint_site` points. */
export function coverageOf(sitePoints: readonly Point[], days: readonly LocalDay[], intervalMs: number, now: number): Coverage {
  const withData = new Set<number>();
  for (const p of sitePoints) if ((fieldsOf(p, M_SITE).metered_kwh ?? 0) > 0) withData.add(p.ts);
  const byDay: DayCoverage[] = [];
  for (const d of days) {
    if (d.start >= now) break;
    let n = 0;
    for (const ts of withData) if (ts >= d.start && ts < d.end) n++;
    byDay.push({ date: d.key, start: d.start, hours: (Math.min(d.end, now) - d.start) / HOUR_MS, hours_with_data: (n * intervalMs) / HOUR_MS });
  }
  const covered = byDay.filter((d) => d.hours_with_data > 0).length;
  return {
    days: byDay.length,
    days_with_data: covered,
    hours: byDay.reduce((a, d) => a + d.hours, 0),
    hours_with_data: byDay.reduce((a, d) => a + d.hours_with_data, 0),
    text: `${covered} of ${byDay.length} ${byDay.length === 1 ? 'day' : 'days'} ${covered === 1 ? 'has' : 'have'} data`,
    by_day: byDay,
  };
}

/** 8760 h ÷ hours with data, the factor that makes a period total a yearly one; null below a day of data. */
export function annualisation(c: Coverage): number | null {
  return c.hours_with_data >= MIN_HOURS_TO_ANNUALISE ? HOURS_PER_YEAR / c.hours_with_data : null;
}

/** How a yearly figure was annualised, or why it was not, in words for the report. */
export function annualisationBasis(c: Coverage): string {
  const h = fmtHours(c.hours_with_data);
  return annualisation(c) === null
    ? `not enough data to annualise: ${h} h with data (${c.text}); at least ${MIN_HOURS_TO_ANNUALISE} h needed`
    : `period total × 8760 h ÷ ${h} h with data (${c.text})`;
}

function fmtHours(h: number): string {
  return new Intl.NumberFormat('en-GB', { maximumFractionDigits: 1 }).format(h);
}
