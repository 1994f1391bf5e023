/**
 * The series API from rollups (store/rollup.ts `querySeries`, behind
 * GET /api/sites/:site/series): the same answers as raw readings alone, on a SQLite file
 * and on a real InfluxDB (tests/support/influxd.ts), from hour and day rollups. Raw readings for two and a half days,
 * answers taken raw first (nothing rolled up), then after the rollup, then after the raw
 * readings of the rolled-up hours are deleted (so only the rollup can give them); the open
 * hour and hours never rolled up still come from raw readings.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { querySiteSeries, type SiteSeriesQuery } from '../../api/routes/core.ts';
import type { SeriesResponse } from '../../devices/api-types.ts';
import { benchSite } from '../../bench/site.ts';
import { createInfluxStore } from '../../store/influx/index.ts';
import { Registry } from '../../store/registry.ts';
import { DAY_MS, HOUR_MS, READINGS_ROLLUP, floorHour, planSeries, rollupHours, runRollup } from '../../store/rollup.ts';
import { SqliteStore } from '../../store/sqlite.ts';
import type { Point, TimeSeriesStore } from '../../store/types.ts';
import { startInfluxd, type Influxd } from '../support/influxd.ts';

const MIN = 60_000;
const DAY = 24 * HOUR_MS;
/** Wednesday 7 January 2026 10:25 UTC: the hour from 10:00 is open. */
const NOW = Date.UTC(2026, 0, 7, 10, 25, 0);
const START = Date.UTC(2026, 0, 5, 0, 0, 0);
const SITE = 'rs';

/** 22 desks in two zones: plugs, occupancy sensors, two lighting circuits, a main meter. */
const site = benchSite(SITE, 22);
const registry = new Registry();
registry.loadSite(site);

/**
 * Readings from START to NOW at uneven times and values, as ingest stores them (tags from
 * the registry). plug-00002 is silent from 03:00 to 07:59 on 6 January (power is carried,
 * then unknown); plug-00003 reports with another carrier tag for a day (two series of one
 * device, as after a site-file change).
 */
function readings(): Point[] {
  const out: Point[] = [];
  site.devices.forEach((d, i) => {
    const reg = registry.device(SITE, d.id)!;
    const tags: Record<string, string> = { site: SITE, device: d.id, kind: reg.kind };
    for (const k of ['zone', 'desk', 'category', 'carrier'] as const) if (reg[k]) tags[k] = reg[k]!;
    const step = (7 + (i % 5)) * MIN + (i % 3) * 1000;
    for (let t = START + i * 13_000; t < NOW; t += step) {
      if (d.id === 'plug-00002' && t >= Date.UTC(2026, 0, 6, 3) && t < Date.UTC(2026, 0, 6, 8)) continue;
      const hour = new Date(t).getUTCHours();
      const phase = Math.sin(t / 3_700_000 + i);
      const point: Point = { measurement: 'readings', tags, fields: {}, ts: t };
      if (reg.kind === 'desk_occupancy') point.fields.occupied = hour >= 8 && hour < 18 && phase > -0.3 ? 1 : 0;
      else point.fields.power_w = (reg.category === 'main' ? 4000 : 40) + 17.3 * phase + (i % 7) * 0.37;
      if (d.id === 'plug-00003' && t >= Date.UTC(2026, 0, 5, 12) && t < Date.UTC(2026, 0, 6, 12)) point.tags = { ...tags, carrier: 'solar' };
      out.push(point);
    }
  });
  return out;
}

const q = (over: Partial<SiteSeriesQuery>): SiteSeriesQuery => ({ metric: 'power_w', fn: 'mean', from: NOW - 2 * DAY, to: NOW, every: HOUR_MS, by: [], where: { site: SITE }, ...over });

/** Charts the API draws, with the paths they take: per-device power sums, plain aggregates, raw-only first/last. */
const QUERIES: [string, SiteSeriesQuery][] = [
  ['hourly desk power by zone (per device, summed)', q({ by: ['zone'], where: { site: SITE, category: 'desk' } })],
  ['hourly power per desk', q({ by: ['desk'], where: { site: SITE, category: 'desk' } })],
  ['daily power by category, range not on hour boundaries', q({ every: DAY, from: NOW - 2 * DAY - 17 * MIN, by: ['category'] })],
  ['3-hourly power, site total', q({ every: 3 * HOUR_MS, from: NOW - 47 * HOUR_MS - 30 * MIN })],
  ['hourly occupancy mean by zone (several series per group)', q({ metric: 'occupied', by: ['zone'] })],
  ['2-hourly power by zone and device (a device with two series)', q({ every: 2 * HOUR_MS, by: ['zone', 'device'], where: { site: SITE, zone: 'z1' } })],
  ['daily power sum by zone', q({ fn: 'sum', every: DAY, by: ['zone'] })],
  ['hourly power min by carrier', q({ fn: 'min', by: ['carrier'] })],
  ['daily power max by kind', q({ fn: 'max', every: DAY, by: ['kind'] })],
  ['daily power by desk over three days (whole days from the day rollup)', q({ every: DAY, from: START, by: ['desk'], where: { site: SITE, category: 'desk' } })],
  ['daily power per desk in zone z2 (one series a desk)', q({ every: DAY, from: START, by: ['desk'], where: { site: SITE, category: 'desk', zone: 'z2' } })],
  ['2-daily occupancy min by zone', q({ metric: 'occupied', fn: 'min', every: 2 * DAY, from: START, by: ['zone'] })],
  ['hourly occupancy count by desk', q({ metric: 'occupied', fn: 'count', by: ['desk'] })],
  ['daily occupancy count by zone', q({ metric: 'occupied', fn: 'count', every: DAY, from: START, by: ['zone'] })],
  ['hourly last power by category (raw only)', q({ fn: 'last', by: ['category'] })],
];

function expectSameSeries(got: SeriesResponse['series'], want: SeriesResponse['series']): void {
  expect(got.map((s) => s.tags)).toEqual(want.map((s) => s.tags));
  got.forEach((s, i) => {
    const w = want[i]!;
    expect(s.points.map((p) => p[0])).toEqual(w.points.map((p) => p[0]));
    s.points.forEach(([, v], j) => {
      const expected = w.points[j]![1];
      expect(Math.abs(v - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
    });
  });
}

let influxd: Influxd;
let dir: string;
beforeAll(async () => {
  influxd = await startInfluxd();
  dir = await mkdtemp(path.join(tmpdir(), 'deskprint-series-rollups-'));
});
afterAll(async () => {
  await influxd?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
const stores: [string, () => TimeSeriesStore][] = [
  ['SQLite file', () => new SqliteStore({ file: path.join(dir, `ts-${++n}.db`) })],
  ['InfluxDB', () => createInfluxStore({ url: influxd.url, database: `series_rollups_${++n}`, spoolDir: path.join(dir, `spool-${n}`), flushIntervalMs: 5 })],
];

describe.each(stores)('series from rollups on %s', (_name, make) => {
  let store: TimeSeriesStore;
  const raw = new Map<string, SeriesResponse['series']>();
  const all = readings();

  beforeAll(async () => {
    store = make();
    await store.init();
    for (let i = 0; i < all.length; i += 5_000) await store.write(all.slice(i, i + 5_000));
    // Nothing rolled up yet: every answer is the raw one.
    for (const [name, query] of QUERIES) {
      expect((await planSeries(store, { measurement: 'readings', field: query.metric, fn: query.fn, from: query.from, to: query.to, every: query.every }, READINGS_ROLLUP)).map((s) => s.source)).toEqual(['raw']);
      raw.set(name, await querySiteSeries({ registry, store }, SITE, query));
      expect(raw.get(name)!.length).toBeGreaterThan(0);
    }
  }, 120_000);
  afterAll(async () => {
    await store?.close();
  });

  it('answers a range with a hole in the rollup, and the hours not rolled up yet, from raw readings', async () => {
    // Rolled up: 5 January 00:00 to 6 January 06:00, then 6 January 09:00 to 7 January 06:00.
    // Not: 06:00-08:59 on the 6th (the job was down) and 06:00 to now on the 7th (not run since).
    await rollupHours(store, READINGS_ROLLUP, { from: START, now: Date.UTC(2026, 0, 6, 6) });
    await rollupHours(store, READINGS_ROLLUP, { from: Date.UTC(2026, 0, 6, 9), now: Date.UTC(2026, 0, 7, 6, 10) });
    const plan = await planSeries(store, { measurement: 'readings', field: 'power_w', fn: 'mean', from: NOW - 2 * DAY, to: NOW, every: HOUR_MS }, READINGS_ROLLUP);
    expect(plan).toEqual([
      { from: NOW - 2 * DAY, to: Date.UTC(2026, 0, 5, 11), source: 'raw' },
      { from: Date.UTC(2026, 0, 5, 11), to: Date.UTC(2026, 0, 6, 6), source: HOUR_MS },
      { from: Date.UTC(2026, 0, 6, 6), to: Date.UTC(2026, 0, 6, 9), source: 'raw' },
      { from: Date.UTC(2026, 0, 6, 9), to: Date.UTC(2026, 0, 7, 6), source: HOUR_MS },
      { from: Date.UTC(2026, 0, 7, 6), to: NOW, source: 'raw' },
    ]);
    for (const [name, query] of QUERIES) expectSameSeries(await querySiteSeries({ registry, store }, SITE, query), raw.get(name)!);
  });

  it('answers from the rollup where raw readings are gone, with the open hour from raw readings', async () => {
    await runRollup(store, [READINGS_ROLLUP], { now: NOW, lookbackMs: 3 * DAY });
    const plan = await planSeries(store, { measurement: 'readings', field: 'power_w', fn: 'mean', from: NOW - 2 * DAY, to: NOW, every: HOUR_MS }, READINGS_ROLLUP);
    expect(plan.map((s) => [s.from, s.to, s.source])).toEqual([
      [NOW - 2 * DAY, Date.UTC(2026, 0, 5, 11), 'raw'],
      [Date.UTC(2026, 0, 5, 11), floorHour(NOW), HOUR_MS],
      [floorHour(NOW), NOW, 'raw'],
    ]);
    // Daily windows: the days whose hours were all rolled up (5 and 6 January) from the day rollup.
    const daily = await planSeries(store, { measurement: 'readings', field: 'power_w', fn: 'mean', from: NOW - 2 * DAY - 17 * MIN, to: NOW, every: DAY }, READINGS_ROLLUP);
    expect(daily.map((s) => [s.from, s.to, s.source])).toEqual([
      [NOW - 2 * DAY - 17 * MIN, Date.UTC(2026, 0, 5, 11), 'raw'],
      [Date.UTC(2026, 0, 5, 11), Date.UTC(2026, 0, 6), HOUR_MS],
      [Date.UTC(2026, 0, 6), Date.UTC(2026, 0, 7), DAY_MS],
      [Date.UTC(2026, 0, 7), floorHour(NOW), HOUR_MS],
      [floorHour(NOW), NOW, 'raw'],
    ]);
    for (const [name, query] of QUERIES) expectSameSeries(await querySiteSeries({ registry, store }, SITE, query), raw.get(name)!);

    // Raw readings of the rolled-up hours deleted (raw retention), except the partial hour at
    // each query's start: the answers must not change, so they come from the rollup.
    await store.deleteBefore!('readings', floorHour(NOW) - HOUR_MS);
    await store.write(all.filter((p) => p.ts < Date.UTC(2026, 0, 5, 11) && p.ts >= Date.UTC(2026, 0, 5, 8)));
    for (const [name, query] of QUERIES) {
      if (query.fn === 'last') continue; // only raw readings answer it
      expectSameSeries(await querySiteSeries({ registry, store }, SITE, query), raw.get(name)!);
    }

    // A reading that arrives in the open hour shows at once.
    const late: Point = { measurement: 'readings', tags: { site: SITE, device: 'meter-main', kind: 'meter', category: 'main', carrier: 'electricity' }, fields: { power_w: 99_999 }, ts: NOW - 1 };
    await store.write([late]);
    const main = await querySiteSeries({ registry, store }, SITE, q({ fn: 'max', by: ['category'], where: { site: SITE, category: 'main' } }));
    expect(main[0]!.points.at(-1)).toEqual([floorHour(NOW), 99_999]);
  });
});
