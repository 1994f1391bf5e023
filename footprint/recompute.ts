/**
 * Batch recompute (issue 3, item 6): the footprint of whole local calendar months rebuilt
 * from the raw readings and check-ins in the store (layout and codec in events.ts), through the
 * same engine and the same event order as the live path.
 *
 * Months are the unit because the pool (M4) is monthly: a recompute of any range covers
 * every month it touches. A month that has not ended by `now` is computed up to `now` and
 * stays provisional. Each month starts from a fresh engine, warmed with each meter's last
 * readings before the month (so a counter difference or a power trapezoid across the month
 * boundary is spread as live; presence needs no warm-up, since sessions and occupied
 * stretches end at local midnight).
 */
import type { SiteFile } from '../devices/site.ts';
import type { Point, TimeSeriesStore } from '../store/types.ts';
import { SiteFootprintEngine, feed, type MonthConservation } from './engine.ts';
import { MEASUREMENT_CHECKINS, MEASUREMENT_READINGS, compareEvents, pointToReadings, pointsToEvents, type EnrichedReading, type FootprintEvent } from './events.ts';
import { readPoints, windows } from './read.ts';

const DAY_MS = 86_400_000;
/** Raw data is read and fed in windows of this length, so a month never sits in memory. */
const WINDOW_MS = 6 * 3_600_000;
/** How far back to look for a meter's last reading before a month. */
const WARMUP_STEPS_MS = [DAY_MS, 7 * DAY_MS, 35 * DAY_MS];
/** How far past a month's end to look for a meter's next reading. */
const LOOKAHEAD_MS = 35 * DAY_MS;
const LOOKAHEAD_STEPS_MS = [3_600_000, DAY_MS, LOOKAHEAD_MS];
const ENERGY_METRICS = new Set(['energy_wh', 'power_w']);

export interface RecomputeOptions {
  store: TimeSeriesStore;
  site: SiteFile;
  /** Any instant in the first month to recompute. */
  from: number;
  /** Exclusive end; every month overlapping [from, to) is recomputed. */
  to: number;
  /** Months not ended by `now` are computed up to `now`. Default Date.now(). */
  now?: number;
  /** Write the points to the store (default), or only return them. */
  write?: boolean;
  /** Progress in ms of data time processed out of the total. */
  onProgress?: (done: number, total: number) => void;
}

export interface RecomputeResult {
  months: { start: number; end: number; final: boolean }[];
  /** Points produced (returned when `write` is false, else empty). */
  points: Point[];
  pointsWritten: number;
  eventsRead: number;
  conservation: MonthConservation[];
}

export async function recompute(opts: RecomputeOptions): Promise<RecomputeResult> {
  const { store, site } = opts;
  const now = opts.now ?? Date.now();
  const write = opts.write ?? true;
  const probe = new SiteFootprintEngine(site);
  const months: { start: number; end: number; final: boolean }[] = [];
  // "Months" are billing periods (§2 M4): calendar months unless the site sets a start day.
  for (let m = probe.clock.periodStart(opts.from); m < opts.to && m < now; m = probe.clock.nextPeriodStart(m)) {
    const monthEnd = probe.clock.nextPeriodStart(m);
    months.push({ start: m, end: Math.min(monthEnd, now), final: monthEnd <= now });
  }
  const total = months.reduce((a, m) => a + (m.end - m.start), 0);
  let done = 0;
  const result: RecomputeResult = { months, points: [], pointsWritten: 0, eventsRead: 0, conservation: [] };

  for (const month of months) {
    const engine = new SiteFootprintEngine(site, { outputFrom: month.start });
    for (const e of await warmupEvents(store, site, month.start)) feed(engine, e);
    engine.coverFrom(month.start);
    for (const [w, wEnd] of windows(month.start, month.end, WINDOW_MS)) {
      const events = await readEvents(store, site.id, w, wEnd);
      result.eventsRead += events.length;
      for (const e of events) feed(engine, e);
      done += wEnd - w;
      opts.onProgress?.(done, total);
      const pts = engine.drainPoints();
      if (write) {
        if (pts.length) await store.write(pts);
        result.pointsWritten += pts.length;
      } else result.points.push(...pts);
    }
    // A counter difference or power trapezoid that crosses the month's end also lands in
    // its last intervals: feed each meter's first readings after the end, as the live
    // engine would have seen them. The input is then known up to the look-ahead horizon.
    let knownUpTo = month.end;
    if (month.final) {
      knownUpTo = Math.min(now, month.end + LOOKAHEAD_MS);
      for (const e of await lookaheadEvents(store, site, month.end, knownUpTo)) feed(engine, e);
    }
    engine.finish(month.end, knownUpTo);
    const pts = engine.drainPoints();
    if (write) {
      if (pts.length) await store.write(pts);
      result.pointsWritten += pts.length;
    } else result.points.push(...pts);
    result.conservation.push(...engine.conservation);
  }
  return result;
}

/**
 * Feeds a live engine (created with `outputFrom: monthStart`) the stored input of
 * [monthStart, upTo): the meters' last readings before the month, then the month window by
 * window, closing intervals as a live engine would. Used to warm a live engine up after a
 * restart, so the open month's pool and hours are whole. Returns the events fed.
 */
export async function replayMonth(store: TimeSeriesStore, site: SiteFile, engine: SiteFootprintEngine, monthStart: number, upTo: number, latenessMs: number): Promise<number> {
  let n = 0;
  for (const e of await warmupEvents(store, site, monthStart)) feed(engine, e);
  engine.coverFrom(monthStart);
  for (const [w, wEnd] of windows(monthStart, upTo, WINDOW_MS)) {
    const events = await readEvents(store, site.id, w, wEnd);
    for (const e of events) feed(engine, e);
    n += events.length;
    // The same closing rule as live: the watermark trails the newest event by the lateness.
    if (events.length) engine.advance(events[events.length - 1]!.ts - latenessMs);
  }
  return n;
}

/** Readings and check-ins in [from, to), in the canonical order. */
export async function readEvents(store: TimeSeriesStore, site: string, from: number, to: number): Promise<FootprintEvent[]> {
  const where = { site };
  return pointsToEvents(await readPoints(store, MEASUREMENT_READINGS, where, from, to, to - from), await readPoints(store, MEASUREMENT_CHECKINS, where, from, to, to - from));
}

/** Each energy or grid device's last reading of each metric before `monthStart`. */
async function warmupEvents(store: TimeSeriesStore, site: SiteFile, monthStart: number): Promise<FootprintEvent[]> {
  const wanted = new Set(site.devices.filter((d) => d.carrier !== undefined || d.kind === 'grid_feed').map((d) => d.id));
  const last = new Map<string, EnrichedReading>();
  let windowEnd = monthStart;
  for (const back of WARMUP_STEPS_MS) {
    const windowStart = monthStart - back;
    const remaining = [...wanted].filter((d) => ![...last.keys()].some((k) => k.startsWith(`${d}\u0000`)));
    if (remaining.length === 0) break;
    const pts = await readPoints(store, MEASUREMENT_READINGS, { site: site.id }, windowStart, windowEnd, windowEnd - windowStart);
    for (const p of pts) {
      if (!remaining.includes(p.tags.device ?? '')) continue;
      for (const r of pointToReadings(p)) {
        if (r.metric !== 'energy_wh' && r.metric !== 'power_w' && r.metric !== 'grid_intensity_g_per_kwh') continue;
        const key = `${r.device}\u0000${r.metric}`;
        const prev = last.get(key);
        if (!prev || r.ts >= prev.ts) last.set(key, r);
      }
    }
    windowEnd = windowStart;
  }
  return [...last.values()].map((r) => ({ type: 'reading' as const, ts: r.ts, reading: r })).sort(compareEvents);
}

/** Each meter's first reading of each energy metric at or after `monthEnd` (before `horizon`). */
async function lookaheadEvents(store: TimeSeriesStore, site: SiteFile, monthEnd: number, horizon: number): Promise<FootprintEvent[]> {
  const meters = site.devices.filter((d) => d.carrier !== undefined).map((d) => d.id);
  const first = new Map<string, EnrichedReading>();
  const found = new Set<string>();
  let windowStart = monthEnd;
  for (const ahead of LOOKAHEAD_STEPS_MS) {
    const windowEnd = Math.min(monthEnd + ahead, horizon);
    if (windowEnd <= windowStart || meters.every((m) => found.has(m))) break;
    for (const p of await readPoints(store, MEASUREMENT_READINGS, { site: site.id }, windowStart, windowEnd, windowEnd - windowStart)) {
      for (const r of pointToReadings(p)) {
        if (!ENERGY_METRICS.has(r.metric) || !meters.includes(r.device)) continue;
        const key = `${r.device}\u0000${r.metric}`;
        const prev = first.get(key);
        if (!prev || r.ts < prev.ts) first.set(key, r);
        found.add(r.device);
      }
    }
    windowStart = windowEnd;
  }
  return [...first.values()].map((r) => ({ type: 'reading' as const, ts: r.ts, reading: r })).sort(compareEvents);
}
