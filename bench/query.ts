/**
 * Chart queries from hourly rollups (store/rollup.ts) for a 100-desk site: a year of
 * `readings_1h` points, as `rollupHours` writes them (tags site, zone, desk, device,
 * category, carrier; fields `<metric>_{mean,min,max,sum,count}`), then the store queries
 * behind a 30-day hourly chart and a 1-year daily chart, each timed over repeated runs.
 */
import type { SiteFile } from '../devices/site.ts';
import { HOUR_MS, ROLLUP_AGGREGATES, floorHour, rollupMeasurement } from '../store/rollup.ts';
import type { AggregateQuery, Point, TimeSeriesStore } from '../store/types.ts';
import { MEASUREMENT_READINGS } from '../ingest/types.ts';
import { DEVICE_KINDS } from '../devices/kinds.ts';
import { deviceCategory } from '../devices/site.ts';
import { median } from './stats.ts';

const DAY_MS = 24 * HOUR_MS;
export const ROLLUP = rollupMeasurement(MEASUREMENT_READINGS);

/** Writes `days` of hourly rollups ending at the last closed hour before `now`; returns points written. */
export async function fillRollups(store: TimeSeriesStore, site: SiteFile, days: number, now: number): Promise<number> {
  const end = floorHour(now);
  const start = end - days * DAY_MS;
  const deskZone = new Map(site.desks.map((d) => [d.id, d.zone]));
  const series = site.devices
    .filter((d) => d.kind !== 'badge_reader')
    .map((d, i) => {
      const tags: Record<string, string> = { site: site.id };
      const zone = d.zone ?? (d.desk ? deskZone.get(d.desk) : undefined);
      if (zone) tags.zone = zone;
      if (d.desk) tags.desk = d.desk;
      tags.device = d.id;
      const category = deviceCategory(d);
      if (category) tags.category = category;
      if (d.carrier) tags.carrier = d.carrier;
      const metric = DEVICE_KINDS[d.kind].metrics.includes('power_w' as never) ? 'power_w' : 'occupied';
      return { tags, metric, phase: i % 7 };
    });
  // Series by series, each in time order: the store's key order, which makes the fill a run
  // of appends instead of a scatter over a growing table (40 s → a few s for SQLite).
  let batch: Point[] = [];
  let written = 0;
  for (const s of series) {
    for (let t = start; t < end; t += HOUR_MS) {
      const hour = (t / HOUR_MS) % 24;
      const working = hour >= 8 && hour < 18;
      // A plausible shape, not a model: busy office hours, a quiet night, a little variation.
      const base = s.metric === 'occupied' ? (working ? 0.6 : 0.02) : s.tags.category === 'main' ? (working ? 9_000 : 2_500) : working ? 60 + s.phase * 5 : 4;
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
  return written + batch.length;
}

export interface ChartQuery {
  name: string;
  /** Windows × series the chart draws. */
  shape: string;
  query: AggregateQuery;
}

export function chartQueries(site: string, now: number): ChartQuery[] {
  const end = floorHour(now);
  const q = (over: number, every: number, by: string[], where: Record<string, string>): AggregateQuery => ({
    measurement: ROLLUP,
    field: 'power_w_mean',
    from: end - over,
    to: end,
    every,
    // Sum of the devices' hourly mean power: the group's power, and per day its energy in Wh.
    fn: 'sum',
    where: { site, ...where },
    by,
  });
  return [
    { name: '30-day hourly chart: desk power by zone', shape: '720 h × 5 zones', query: q(30 * DAY_MS, HOUR_MS, ['zone'], { category: 'desk' }) },
    { name: '30-day hourly chart: power per desk', shape: '720 h × 100 desks', query: q(30 * DAY_MS, HOUR_MS, ['desk'], { category: 'desk' }) },
    { name: '1-year daily chart: energy by category', shape: '365 d × 3 categories', query: q(365 * DAY_MS, DAY_MS, ['category'], {}) },
  ];
}

export interface QueryTiming {
  name: string;
  shape: string;
  series: number;
  points: number;
  medianMs: number;
  maxMs: number;
  runs: number;
}

/** Times each chart query `repeats` times after one warm-up run. */
export async function timeQueries(store: TimeSeriesStore, queries: readonly ChartQuery[], repeats: number): Promise<QueryTiming[]> {
  const out: QueryTiming[] = [];
  for (const c of queries) {
    const warm = await store.queryAggregate(c.query);
    const times: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const t0 = performance.now();
      await store.queryAggregate(c.query);
      times.push(performance.now() - t0);
    }
    out.push({ name: c.name, shape: c.shape, series: warm.length, points: warm.reduce((a, s) => a + s.points.length, 0), medianMs: median(times), maxMs: Math.max(...times), runs: repeats });
  }
  return out;
}
