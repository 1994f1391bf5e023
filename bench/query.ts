/**
 * Chart queries for a 100-desk site as the series API answers them
 * (`GET /api/sites/:site/series`, api/routes/core.ts `querySiteSeries`): a year of hourly
 * rollups `readings_1h` as `rollupHours` writes them (tags site, zone, desk, device, kind,
 * category, carrier; fields `<metric>_{mean,min,max,sum,count}`; the hours marked as rolled
 * up), raw readings for the open hour and for the partial hour at each chart's start, then
 * a 30-day hourly chart and a 1-year daily chart up to now, each timed over repeated runs.
 * The day rollups `readings_1d` are made from the hour rollups by `rollupDays`.
 */
import type { SiteFile } from '../devices/site.ts';
import { DAY_MS, HOUR_MS, READINGS_ROLLUP, ROLLUP_AGGREGATES, floorHour, markRolledUp, rollupDays, rollupMeasurement } from '../store/rollup.ts';
import type { Point, TimeSeriesStore } from '../store/types.ts';
import { MEASUREMENT_READINGS } from '../ingest/types.ts';
import { tagsOf } from '../ingest/pipeline.ts';
import { DEVICE_KINDS } from '../devices/kinds.ts';
import { querySiteSeries, type SiteSeriesQuery } from '../api/routes/core.ts';
import { Registry } from '../store/registry.ts';
import { median } from './stats.ts';

export const ROLLUP = rollupMeasurement(MEASUREMENT_READINGS);

/** Store tags of each device as ingest writes them: the registry's device, through `tagsOf`. */
function deviceSeries(site: SiteFile) {
  const registry = new Registry();
  registry.loadSite(site);
  return site.devices
    .filter((d) => d.kind !== 'badge_reader')
    .map((d, i) => {
      const tags = tagsOf(registry.device(site.id, d.id)!);
      const metric = DEVICE_KINDS[d.kind].metrics.includes('power_w' as never) ? 'power_w' : 'occupied';
      return { tags, metric, phase: i % 7, cadenceMs: DEVICE_KINDS[d.kind].cadenceS * 1000 };
    });
}

/** A plausible shape, not a model: busy office hours, a quiet night, a little variation. */
function level(s: ReturnType<typeof deviceSeries>[number], t: number): number {
  const hour = (t / HOUR_MS) % 24;
  const working = hour >= 8 && hour < 18;
  return s.metric === 'occupied' ? (working ? 0.6 : 0.02) : s.tags.category === 'main' ? (working ? 9_000 : 2_500) : working ? 60 + s.phase * 5 : 4;
}

/** Writes `days` of hourly rollups ending at the last closed hour before `now`, and marks those hours rolled up; returns points written. */
export async function fillRollups(store: TimeSeriesStore, site: SiteFile, days: number, now: number): Promise<number> {
  const end = floorHour(now);
  const start = end - days * DAY_MS;
  // Series by series, each in time order: the store's key order, which makes the fill a run
  // of appends instead of a scatter over a growing table (40 s → a few s for SQLite).
  let batch: Point[] = [];
  let written = 0;
  for (const s of deviceSeries(site)) {
    for (let t = start; t < end; t += HOUR_MS) {
      const base = level(s, t);
      const fields: Record<string, number> = {};
      const count = s.metric === 'occupied' ? 60 : 120;
      for (const fn of ROLLUP_AGGREGATES) {
        fields[`${s.metric}_${fn}`] = fn === 'count' ? count : fn === 'sum' ? base * count : fn === 'min' ? base * 0.5 : fn === 'max' ? base * 1.5 : base;
      }
      batch.push({ measurement: ROLLUP, tags: s.tags, fields, ts: t });
      if (batch.length >= 20_000) {
        await store.write(batch);
        written += batch.length;
        batch = [];
      }
    }
  }
  if (batch.length) await store.write(batch);
  await markRolledUp(store, MEASUREMENT_READINGS, READINGS_ROLLUP.fields, start, end);
  return written + batch.length;
}

/** Raw readings at each device's cadence in [from, to); returns points written. */
export async function fillRaw(store: TimeSeriesStore, site: SiteFile, from: number, to: number): Promise<number> {
  const points: Point[] = [];
  for (const s of deviceSeries(site)) {
    for (let t = from - (from % s.cadenceMs); t < to; t += s.cadenceMs) {
      if (t >= from) points.push({ measurement: MEASUREMENT_READINGS, tags: s.tags, fields: { [s.metric]: level(s, t) * (0.9 + 0.2 * Math.random()) }, ts: t });
    }
  }
  await store.write(points);
  return points.length;
}

export interface ChartQuery {
  name: string;
  /** Windows × series the chart draws. */
  shape: string;
  /** What the API is asked. */
  request: string;
  query: SiteSeriesQuery;
}

/**
 * The charts, as the dashboard asks for them: mean power per group (the API sums its
 * devices' means), from `now` back 30 days by hour and 365 days by day.
 */
export function chartQueries(site: string, now: number): ChartQuery[] {
  const q = (over: number, every: number, by: string[], where: Record<string, string>): SiteSeriesQuery => ({ metric: 'power_w', fn: 'mean', from: now - over, to: now, every, by, where: { site, ...where } });
  return [
    { name: '30-day hourly chart: desk power by zone', shape: '721 h × 5 zones', request: 'metric=power_w&by=zone&category=desk&every=1h&from=now-30d', query: q(30 * DAY_MS, HOUR_MS, ['zone'], { category: 'desk' }) },
    { name: '30-day hourly chart: power per desk', shape: '721 h × 100 desks', request: 'metric=power_w&by=desk&category=desk&every=1h&from=now-30d', query: q(30 * DAY_MS, HOUR_MS, ['desk'], { category: 'desk' }) },
    { name: '1-year daily chart: power by category', shape: '366 d × 2 categories (main meters left out)', request: 'metric=power_w&by=category&every=1d&from=now-365d', query: q(365 * DAY_MS, DAY_MS, ['category'], {}) },
  ];
}

/**
 * Fills a store for the charts: a year of hour rollups, the day rollups `rollupDays` makes
 * of them, raw readings for the open hour and for the hour each chart starts in.
 */
export async function fillForCharts(store: TimeSeriesStore, site: SiteFile, now: number): Promise<void> {
  await fillRollups(store, site, 365, now);
  await rollupDays(store, { ...READINGS_ROLLUP, fields: ['power_w', 'occupied'] }, { from: floorHour(now) - 365 * DAY_MS, now });
  await fillRaw(store, site, floorHour(now), now);
  for (const c of chartQueries(site.id, now)) await fillRaw(store, site, c.query.from, floorHour(c.query.from) + HOUR_MS);
}

export interface QueryTiming {
  name: string;
  shape: string;
  request: string;
  series: number;
  points: number;
  medianMs: number;
  maxMs: number;
  runs: number;
}

/** Times the series API's function for each chart `repeats` times after one warm-up run. */
export async function timeQueries(store: TimeSeriesStore, site: SiteFile, queries: readonly ChartQuery[], repeats: number): Promise<QueryTiming[]> {
  const registry = new Registry();
  registry.loadSite(site);
  const deps = { registry, store };
  const out: QueryTiming[] = [];
  for (const c of queries) {
    const warm = await querySiteSeries(deps, site.id, c.query);
    const times: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const t0 = performance.now();
      await querySiteSeries(deps, site.id, c.query);
      times.push(performance.now() - t0);
    }
    out.push({ name: c.name, shape: c.shape, request: c.request, series: warm.length, points: warm.reduce((a, s) => a + s.points.length, 0), medianMs: median(times), maxMs: Math.max(...times), runs: repeats });
  }
  return out;
}
