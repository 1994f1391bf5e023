/**
 * Report periods of a schedule: local calendar months (`2026-01`) or ISO weeks from Monday
 * (`2026-W05`), in the site's time zone.
 */
import type { SiteFile } from '../../devices/site.ts';
import { clockOf } from '../../footprint/clock.ts';

export const SCHEDULES = ['monthly', 'weekly', 'off'] as const;
export type Schedule = (typeof SCHEDULES)[number];

export interface ReportPeriod {
  id: string;
  from: number;
  to: number;
}

/** A period id; also what keeps a path parameter out of other directories. */
export const PERIOD_ID = /^\d{4}-(0[1-9]|1[0-2]|W(0[1-9]|[1-4]\d|5[0-3]))$/;

/** The `count` most recent periods that ended at or before `now`, oldest first. */
export function closedPeriods(site: SiteFile, schedule: Exclude<Schedule, 'off'>, now: number, count: number): ReportPeriod[] {
  const clock = clockOf(site);
  const out: ReportPeriod[] = [];
  let end = schedule === 'monthly' ? clock.monthStart(now) : clock.weekStart(now);
  for (let i = 0; i < count; i++) {
    const start = schedule === 'monthly' ? clock.monthStart(end - 1) : clock.weekStart(end - 1);
    out.unshift({ id: periodId(site, schedule, start), from: start, to: end });
    end = start;
  }
  return out;
}

/** The period an id names, or null when the id is malformed. */
export function periodOf(site: SiteFile, id: string): ReportPeriod | null {
  if (!PERIOD_ID.test(id)) return null;
  const clock = clockOf(site);
  const year = Number(id.slice(0, 4));
  if (id[5] === 'W') {
    // ISO 8601: week 1 holds the year's first Thursday, so it holds 4 January.
    const jan4 = clock.localMidnight(year, 0, 4);
    const from = clock.weekStart(jan4 + 12 * 3_600_000) + (Number(id.slice(6)) - 1) * 7 * 86_400_000;
    const monday = clock.weekStart(from + 12 * 3_600_000);
    const next = clock.weekStart(monday + 8 * 86_400_000);
    return periodId(site, 'weekly', monday) === id ? { id, from: monday, to: next } : null;
  }
  const from = clock.localMidnight(year, Number(id.slice(5)) - 1, 1);
  return { id, from, to: clock.nextMonthStart(from) };
}

export function periodId(site: SiteFile, schedule: Exclude<Schedule, 'off'>, start: number): string {
  const day = clockOf(site).day(start + 12 * 3_600_000);
  if (schedule === 'monthly') return day.month;
  // The ISO week-numbering year is the year of the week's Thursday.
  const [y, m, d] = day.key.split('-').map(Number) as [number, number, number];
  const thursday = new Date(Date.UTC(y, m - 1, d + 3));
  const jan1 = Date.UTC(thursday.getUTCFullYear(), 0, 1);
  const week = Math.floor((thursday.getTime() - jan1) / 86_400_000 / 7) + 1;
  return `${thursday.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

/**
 * A date without a time (`2026-07-01`) means the site's local midnight, so `--to 2026-08-01`
 * ends a July report at local midnight, not at UTC midnight (01:00 in a UTC+1 summer).
 * Anything else is left to the caller's parser (null).
 */
export function localMidnightOf(site: SiteFile, text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return null;
  return clockOf(site).localMidnight(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
}
