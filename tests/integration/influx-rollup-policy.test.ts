/**
 * Rollups in a retention policy of their own on InfluxDB (store/influx/split.ts), against
 * the local influxd 1.6: raw readings stay in the database's default policy, rollups and
 * their marks go to `deskprint_rollups` (year-long shard groups); a database an earlier
 * deskprint filled with everything in the default policy has its rollups copied over once;
 * a user who may not create policies gets everything in the default policy, working.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInfluxStore, ROLLUP_RETENTION_POLICY } from '../../store/influx/index.ts';
import { HOUR_MS, READINGS_ROLLUP, ROLLUP_MARKS, rollupHours } from '../../store/rollup.ts';
import type { Point, TimeSeriesStore } from '../../store/types.ts';
import { startInfluxd, type Influxd } from '../support/influxd.ts';

const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);
const ADMIN = { username: 'admin', password: 'policy-test' };

/** Two desks, a reading every 10 minutes for three hours. */
function raw(): Point[] {
  const out: Point[] = [];
  for (const desk of ['d1', 'd2']) {
    for (let m = 0; m < 180; m += 10) out.push({ measurement: 'readings', tags: { site: 'demo', desk, device: `plug-${desk}` }, fields: { power_w: 10 + m / 10 }, ts: T0 + m * 60_000 });
  }
  return out;
}

let influxd: Influxd;
let spoolRoot: string;
let n = 0;
beforeAll(async () => {
  influxd = await startInfluxd({ admin: ADMIN });
  spoolRoot = await mkdtemp(path.join(tmpdir(), 'deskprint-policy-'));
}, 60_000);
afterAll(async () => {
  await influxd?.cleanup();
  await rm(spoolRoot, { recursive: true, force: true });
});

async function freshDatabase(): Promise<string> {
  const database = `policy_${++n}`;
  await influxd.query(`CREATE DATABASE "${database}"`);
  return database;
}

function open(database: string, opts: { rollupRetentionPolicy?: null; user?: { username: string; password: string } } = {}): TimeSeriesStore {
  const { user = ADMIN, ...rest } = opts;
  return createInfluxStore({ url: influxd.url, database, ...user, spoolDir: path.join(spoolRoot, `${database}-${Math.random()}`), flushIntervalMs: 10, ...rest });
}

/** Points of a measurement in one retention policy. */
async function countIn(database: string, policy: string, measurement: string): Promise<number> {
  const body = await influxd.query(`SELECT * FROM "${database}"."${policy}"."${measurement}"`);
  return body.results?.[0]?.series?.[0]?.values.length ?? 0;
}

async function policies(database: string): Promise<Record<string, string>> {
  const body = await influxd.query(`SHOW RETENTION POLICIES ON "${database}"`);
  return Object.fromEntries((body.results?.[0]?.series?.[0]?.values ?? []).map((row) => [String(row[0]), String(row[2])]));
}

const hourly = (store: TimeSeriesStore) =>
  store.queryRollup!({ measurement: 'readings_1h', field: 'power_w', from: T0, to: T0 + 3 * HOUR_MS, every: HOUR_MS, period: HOUR_MS, fn: 'mean', by: ['desk'] });

describe('InfluxDB rollups in their own retention policy', () => {
  it('keeps raw readings in the default policy and rollups and marks in deskprint_rollups, with year-long shard groups', async () => {
    const database = await freshDatabase();
    const store = open(database);
    await store.init();
    try {
      await store.write(raw());
      await rollupHours(store, READINGS_ROLLUP, { from: T0, now: T0 + 3 * HOUR_MS });
      await store.close();
      expect(await policies(database)).toMatchObject({ autogen: '168h0m0s', [ROLLUP_RETENTION_POLICY]: '8736h0m0s' });
      expect(await countIn(database, 'autogen', 'readings')).toBe(36);
      expect(await countIn(database, ROLLUP_RETENTION_POLICY, 'readings')).toBe(0);
      expect(await countIn(database, ROLLUP_RETENTION_POLICY, 'readings_1h')).toBe(6);
      expect(await countIn(database, 'autogen', 'readings_1h')).toBe(0);
      expect(await countIn(database, ROLLUP_RETENTION_POLICY, ROLLUP_MARKS)).toBeGreaterThan(0);
      expect(await countIn(database, 'autogen', ROLLUP_MARKS)).toBe(0);
      // Read back through a new store: the chart's rollup read finds them.
      const again = open(database);
      await again.init();
      const series = await hourly(again);
      await again.close();
      expect(series.map((s) => s.tags.desk)).toEqual(['d1', 'd2']);
      expect(series[0]!.points.map((p) => p.value)).toEqual([12.5, 18.5, 24.5]);
    } finally {
      await store.close();
    }
  });

  it('copies the rollups an earlier deskprint kept in the default policy once, and not again', async () => {
    const database = await freshDatabase();
    const before = open(database, { rollupRetentionPolicy: null });
    await before.init();
    await before.write(raw());
    await rollupHours(before, READINGS_ROLLUP, { from: T0, now: T0 + 3 * HOUR_MS });
    const answer = await hourly(before);
    await before.close();
    expect(await countIn(database, 'autogen', 'readings_1h')).toBe(6);

    const after = open(database);
    await after.init();
    expect(await hourly(after)).toEqual(answer);
    await after.close();
    expect(await countIn(database, ROLLUP_RETENTION_POLICY, 'readings_1h')).toBe(6);
    expect(await countIn(database, ROLLUP_RETENTION_POLICY, ROLLUP_MARKS)).toBe(await countIn(database, 'autogen', ROLLUP_MARKS));
    expect(await countIn(database, ROLLUP_RETENTION_POLICY, 'readings')).toBe(0);

    // A rollup point left in the default policy later is not copied by the next start.
    await fetch(`${influxd.url}/write?db=${database}&precision=ms&u=${ADMIN.username}&p=${ADMIN.password}`, { method: 'POST', body: `readings_1h,desk=d9 power_w_mean=1 ${T0}` });
    expect(await countIn(database, 'autogen', 'readings_1h')).toBe(7);
    const third = open(database);
    await third.init();
    await third.close();
    expect(await countIn(database, ROLLUP_RETENTION_POLICY, 'readings_1h')).toBe(6);
  });

  it('keeps everything in the default policy, working, for a user who may not create policies', async () => {
    const database = await freshDatabase();
    const user = { username: 'writer', password: 'no-admin' };
    await influxd.query(`CREATE USER "${user.username}" WITH PASSWORD '${user.password}'`).catch(() => undefined);
    await influxd.query(`GRANT ALL ON "${database}" TO "${user.username}"`);
    const store = open(database, { user });
    await store.init();
    try {
      expect(store.health().lastError?.message).toMatch(/retention policy "deskprint_rollups" cannot be used/);
      await store.write(raw());
      await rollupHours(store, READINGS_ROLLUP, { from: T0, now: T0 + 3 * HOUR_MS });
      expect((await hourly(store))[0]!.points.map((p) => p.value)).toEqual([12.5, 18.5, 24.5]);
    } finally {
      await store.close();
    }
    expect(Object.keys(await policies(database))).toEqual(['autogen']);
    expect(await countIn(database, 'autogen', 'readings_1h')).toBe(6);
  });
});
