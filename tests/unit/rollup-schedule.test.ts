/**
 * The rollup schedule a running deskprint uses: a catch-up run at start, then regular runs
 * that take in the hours closed since, so long charts keep reading rollups.
 */
import { describe, expect, it } from 'vitest';
import { HOUR_MS, READINGS_ROLLUP, WrittenHours, rolledUpRanges, rollupMeasurement, startRollups } from '../../store/rollup.ts';
import type { AggregateQuery, AggregatesQuery } from '../../store/types.ts';
import { SqliteStore } from '../../store/sqlite.ts';

const T0 = Date.parse('2026-03-10T00:00:00Z');
const tags = { site: 'hub', zone: 'north', desk: 'n1', device: 'plug-n1', kind: 'desk_plug', category: 'desk', carrier: 'electricity' };
const minutes = (from: number, n: number, watts: number) => Array.from({ length: n }, (_, i) => ({ measurement: 'readings', tags, fields: { power_w: watts }, ts: from + i * 60_000 }));

describe('rollup schedule', () => {
  it('catches up at start, then rolls up each hour once it has closed', async () => {
    const store = new SqliteStore({ file: ':memory:' });
    await store.init();
    await store.write(minutes(T0 + 8 * HOUR_MS, 60, 40)); // 08:00–09:00
    let now = T0 + 9 * HOUR_MS + 5 * 60_000; // 09:05
    const written = new WrittenHours();
    const rollups = startRollups(store, [READINGS_ROLLUP], { clock: () => now, everyMs: 50, written });
    await rollups.ran;
    // Every closed hour of the catch-up (48 h back) is marked, with data or not; 09:00 is open.
    expect(await rolledUpRanges(store, 'readings', 'power_w', T0, T0 + 12 * HOUR_MS)).toEqual([[T0, T0 + 9 * HOUR_MS]]);
    // 09:00–10:00 fills and closes; a regular run takes it in.
    const nine = minutes(T0 + 9 * HOUR_MS, 60, 60);
    await store.write(nine);
    written.note(nine);
    now = T0 + 10 * HOUR_MS + 60_000;
    await expect.poll(() => rolledUpRanges(store, 'readings', 'power_w', T0, T0 + 12 * HOUR_MS), { timeout: 5_000 }).toEqual([[T0, T0 + 10 * HOUR_MS]]);
    await rollups.stop();
    const hours = await store.queryRaw({ measurement: rollupMeasurement('readings'), from: T0, to: T0 + 12 * HOUR_MS });
    expect(hours.map((p) => [p.ts, p.fields.power_w_mean])).toEqual([[T0 + 8 * HOUR_MS, 40], [T0 + 9 * HOUR_MS, 60]]);
    await store.close();
  });

  it('with the hours ingest wrote to: takes in readings however late, and reads no raw data when nothing new came', async () => {
    const store = new SqliteStore({ file: ':memory:' });
    await store.init();
    const written = new WrittenHours();
    // As ingest's writer does: write, then note what the store acknowledged.
    const write = async (points: ReturnType<typeof minutes>) => {
      await store.write(points);
      written.note(points);
    };
    const rawQueries: (AggregateQuery | AggregatesQuery)[] = [];
    const queryAggregate = store.queryAggregate.bind(store);
    const queryAggregates = store.queryAggregates.bind(store);
    store.queryAggregate = (q) => {
      if (q.measurement === 'readings') rawQueries.push(q);
      return queryAggregate(q);
    };
    store.queryAggregates = (q) => {
      if (q.measurement === 'readings') rawQueries.push(q);
      return queryAggregates(q);
    };
    await write(minutes(T0 + 8 * HOUR_MS, 60, 40)); // 08:00–09:00
    let now = T0 + 9 * HOUR_MS + 5 * 60_000;
    const rollups = startRollups(store, [READINGS_ROLLUP], { clock: () => now, everyMs: 50, written });
    await rollups.ran;
    expect(await rolledUpRanges(store, 'readings', 'power_w', T0, T0 + 12 * HOUR_MS)).toEqual([[T0, T0 + 9 * HOUR_MS]]);
    await write(minutes(T0 + 9 * HOUR_MS, 60, 60));
    now = T0 + 10 * HOUR_MS + 60_000;
    await expect.poll(() => rolledUpRanges(store, 'readings', 'power_w', T0, T0 + 12 * HOUR_MS), { timeout: 5_000 }).toEqual([[T0, T0 + 10 * HOUR_MS]]);
    // A gateway flushes a reading from 03:30, six and a half hours late: the next run
    // recomputes 03:00–04:00.
    await write([{ measurement: 'readings', tags, fields: { power_w: 1_000 }, ts: T0 + 3.5 * HOUR_MS }]);
    const maxAt3 = async () => (await store.queryRaw({ measurement: rollupMeasurement('readings'), from: T0 + 3 * HOUR_MS, to: T0 + 4 * HOUR_MS }))[0]?.fields.power_w_max;
    await expect.poll(maxAt3, { timeout: 5_000 }).toBe(1_000);
    // Nothing new: later runs (every 50 ms here) read no raw readings.
    expect(rawQueries.length).toBeGreaterThan(0);
    const seen = rawQueries.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(rawQueries.length).toBe(seen);
    await rollups.stop();
    await store.close();
  });

  it('puts the hours of a failed run back, so the next run rolls them up', async () => {
    const store = new SqliteStore({ file: ':memory:' });
    await store.init();
    const written = new WrittenHours();
    let now = T0 + 9 * HOUR_MS + 5 * 60_000;
    const rollups = startRollups(store, [READINGS_ROLLUP], { clock: () => now, everyMs: 50, written });
    await rollups.ran;
    // The store fails the next read of raw readings (a locked file, a restarting server).
    let failures = 0;
    const queryAggregates = store.queryAggregates.bind(store);
    store.queryAggregates = (q) => {
      if (q.measurement === 'readings' && failures === 0) {
        failures++;
        return Promise.reject(new Error('database is locked'));
      }
      return queryAggregates(q);
    };
    const points = minutes(T0 + 9 * HOUR_MS, 60, 60);
    await store.write(points);
    written.note(points);
    now = T0 + 10 * HOUR_MS + 60_000;
    // The failed run took 09:00 from `written`; a later run still rolls it up.
    await expect.poll(() => rolledUpRanges(store, 'readings', 'power_w', T0, T0 + 12 * HOUR_MS), { timeout: 5_000 }).toEqual([[T0, T0 + 10 * HOUR_MS]]);
    expect(failures).toBe(1);
    await rollups.stop();
    const hour = await store.queryRaw({ measurement: rollupMeasurement('readings'), from: T0 + 9 * HOUR_MS, to: T0 + 10 * HOUR_MS });
    expect(hour.map((p) => p.fields.power_w_mean)).toEqual([60]);
    await store.close();
  });
});
