/**
 * Today's energy as every view shows it (issue 22): one server-side read of the figures the
 * live card, the comparison with last week, the member and impact views and the reports
 * draw, each with its basis (`FIGURE_BASES`), so two numbers for "today's energy" are either
 * the same or say why they differ ("metered so far" up to now against "attributed" up to the
 * last closed interval).
 */
import type { SiteFile } from '../devices/site.ts';
import type { Point, TimeSeriesStore } from '../store/types.ts';
import { clockOf } from './clock.ts';
import { UNITS, attributedReading, carriersOf, type EnergyReading, type TodayResponse } from './figures.ts';
import { readPoints, type LiveDays } from './read.ts';
import { FIGURE_BASES, M_SITE } from './schema.ts';

export interface ReadTodayOptions {
  store: TimeSeriesStore;
  site: SiteFile;
  now: number;
  engine?: LiveDays | undefined;
}

export async function readToday(o: ReadTodayOptions): Promise<TodayResponse> {
  const clock = clockOf(o.site);
  const carriers = carriersOf([o.site]);
  const day = clock.day(o.now);
  const [y, m, d] = day.key.split('-').map(Number) as [number, number, number];
  const weekAgo = clock.localMidnight(y, m - 1, d - 7);
  const weekAgoEnd = clock.localMidnight(y, m - 1, d - 6);
  const iv = clock.intervalMs;
  const where = { site: o.site.id };
  const today = await readPoints(o.store, M_SITE, where, day.start, Math.min(day.end, o.now));
  const attributed = attributedReading(today, carriers, day.start, Math.min(day.end, o.now), iv);
  const lastWeek = await readPoints(o.store, M_SITE, where, weekAgo, weekAgoEnd);
  // Like for like: last week over the same part of the day as today's attributed figure.
  const sameTime = attributedReading(lastWeek, carriers, weekAgo, weekAgo + (attributed.up_to - day.start), iv);
  const wholeDay = attributedReading(lastWeek, carriers, weekAgo, weekAgoEnd, iv);
  const change = (pick: (r: EnergyReading) => number) => {
    const base = pick(sameTime);
    return base > 0 && attributed.up_to > day.start ? pick(attributed) / base - 1 : null;
  };
  return {
    site: o.site.id,
    at: o.now,
    units: UNITS,
    day: { from: day.start, to: day.end },
    metered: o.engine?.today?.(o.site.id) ?? null,
    attributed,
    last_week: { same_time: sameTime, whole_day: wholeDay },
    change: { kwh: change((r) => r.kwh), kgco2e: change((r) => r.kgco2e) },
  };
}

/** The live engine's figure of today so far (readings up to `now`) as a `metered_so_far` reading. */
export function meteredReading(site: SiteFile, now: number, value: { kwh: number; kgco2e: number; by_carrier: Record<string, number> }): EnergyReading<'metered_so_far'> {
  return { basis: 'metered_so_far', label: FIGURE_BASES.metered_so_far.label, from: clockOf(site).day(now).start, up_to: now, has_data: value.kwh > 0, ...value };
}

/**
 * How far the attributed figures of [from, to) go when the range runs into today: the end
 * of the last closed interval stored (null when the range ends before today).
 */
export function attributedUpTo(sitePoints: readonly Point[], site: SiteFile, from: number, to: number, now: number): number | null {
  const clock = clockOf(site);
  const start = Math.max(from, clock.day(now).start);
  const end = Math.min(to, now);
  if (to <= clock.day(now).start || end <= start) return null;
  const points = sitePoints.filter((p) => p.ts >= start && p.ts < end);
  return attributedReading(points, carriersOf([site]), start, end, clock.intervalMs).up_to;
}
