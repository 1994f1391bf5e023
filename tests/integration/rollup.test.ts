/**
 * Hourly rollups and raw retention (store/rollup.ts), run against both stores to show the
 * rollup is portable: SQLite, and InfluxDB through the local influxd.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInfluxStore } from '../../store/influx/index.ts';
import { HOUR_MS, rollupHours, runRollup, type RollupSpec } from '../../store/rollup.ts';
import { SqliteStore } from '../../store/sqlite.ts';
import type { Point, TimeSeriesStore } from '../../store/types.ts';
import { startInfluxd, type Influxd } from '../support/influxd.ts';

const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);
const MIN = 60_000;
const SPEC: RollupSpec = { measurement: 'readings', fields: ['power_w'], by: ['site', 'desk'] };

/** d1 and d2, one reading every 10 minutes from 08:00 to 11:50; values are not whole. */
function raw(): Point[] {
  const out: Point[] = [];
  for (const [i, desk] of ['d1', 'd2'].entries()) {
    for (let m = 0; m < 4 * 60; m += 10) {
      out.push({ measurement: 'readings', tags: { site: 'demo', desk, device: `plug-${desk}` }, fields: { power_w: 20 * (i + 1) + m * 0.5 }, ts: T0 + m * MIN });
    }
  }
  return out;
}

function expectedHour(desk: string, hourStart: number, points = raw()) {
  const v = points.filter((p) => p.tags.desk === desk && p.ts >= hourStart && p.ts < hourStart + HOUR_MS).map((p) => p.fields.power_w!);
  const sum = v.reduce((a, b) => a + b, 0);
  return { power_w_mean: sum / v.length, power_w_min: Math.min(...v), power_w_max: Math.max(...v), power_w_sum: sum, power_w_count: v.length };
}

let influxd: Influxd;
let spoolRoot: string;
beforeAll(async () => {
  influxd = await startInfluxd();
  spoolRoot = await mkdtemp(path.join(tmpdir(), 'deskprint-rollup-'));
});
afterAll(async () => {
  await influxd?.cleanup();
  await rm(spoolRoot, { recursive: true, force: true });
});

let n = 0;
const stores: [string, () => Promise<TimeSeriesStore>][] = [
  ['sqlite', async () => new SqliteStore({ file: ':memory:' })],
  [
    'influx',
    async () => {
      const database = `rollup_${++n}`;
      return createInfluxStore({ url: influxd.url, database, spoolDir: path.join(spoolRoot, database), flushIntervalMs: 5 });
    },
  ],
];

describe.each(stores)('hourly rollup on %s', (_name, make) => {
  it('writes mean, min, max, sum and count per desk for closed hours only, and re-runs idempotently', async () => {
    const store = await make();
    await store.init();
    await store.write(raw());
    const now = T0 + 3 * HOUR_MS + 25 * MIN; // 11:25: hour 11:00 is still open
    const first = await rollupHours(store, SPEC, { from: T0, now });
    expect(first.points).toBe(3 * 2);

    const rolled = await store.queryRaw({ measurement: 'readings_1h', from: 0, to: T0 + 24 * HOUR_MS });
    expect(rolled.map((p) => [p.ts, p.tags.desk])).toEqual(
      [0, 1, 2].flatMap((h) => [[T0 + h * HOUR_MS, 'd1'], [T0 + h * HOUR_MS, 'd2']]),
    );
    for (const p of rolled) {
      expect(p.tags).toEqual({ site: 'demo', desk: p.tags.desk });
      const want = expectedHour(p.tags.desk!, p.ts);
      for (const [k, v] of Object.entries(want)) expect(p.fields[k]).toBeCloseTo(v, 9);
    }

    // A late reading for 09:05, then the same run again: the hour is updated, not doubled.
    const late: Point = { measurement: 'readings', tags: { site: 'demo', desk: 'd1', device: 'plug-d1' }, fields: { power_w: 500.25 }, ts: T0 + HOUR_MS + 5 * MIN };
    await store.write([late]);
    await rollupHours(store, SPEC, { from: T0, now });
    const again = await store.queryRaw({ measurement: 'readings_1h', from: 0, to: T0 + 24 * HOUR_MS });
    expect(again).toHaveLength(6);
    const nine = again.find((p) => p.ts === T0 + HOUR_MS && p.tags.desk === 'd1')!;
    expect(nine.fields).toMatchObject({ power_w_max: 500.25, power_w_count: 7 });
    expect(nine.fields.power_w_mean).toBeCloseTo(expectedHour('d1', T0 + HOUR_MS, [...raw(), late]).power_w_mean, 9);
    await store.close();
  });

  it('deletes raw points past retention and keeps the rollups', async () => {
    const store = await make();
    await store.init();
    await store.write(raw());
    const now = T0 + 4 * HOUR_MS + 5 * MIN; // 12:05
    // A short lookback: the hours about to be deleted are still rolled up first.
    await runRollup(store, [SPEC], { now, lookbackMs: HOUR_MS, rawRetentionMs: 2 * HOUR_MS });
    const left = await store.queryRaw({ measurement: 'readings', from: 0, to: now });
    expect(Math.min(...left.map((p) => p.ts))).toBe(T0 + 2 * HOUR_MS); // cut at 10:00
    expect(await store.queryRaw({ measurement: 'readings_1h', from: 0, to: now })).toHaveLength(4 * 2);

    // The next run must not recompute 08:00-09:59 from the raw data that is gone.
    await runRollup(store, [SPEC], { now: now + HOUR_MS, lookbackMs: 48 * HOUR_MS, rawRetentionMs: 2 * HOUR_MS });
    const eight = (await store.queryRaw({ measurement: 'readings_1h', from: T0, to: T0 + 1, where: { desk: 'd2' } }))[0]!;
    expect(eight.fields.power_w_count).toBe(6);
    await store.close();
  });
});
