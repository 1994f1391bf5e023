/**
 * The rollup schedule a running deskprint uses: a catch-up run at start, then regular runs
 * that take in the hours closed since, so long charts keep reading rollups.
 */
import { describe, expect, it } from 'vitest';
import { HOUR_MS, READINGS_ROLLUP, rolledUpRanges, rollupMeasurement, startRollups } from '../../store/rollup.ts';
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
    const rollups = startRollups(store, [READINGS_ROLLUP], { clock: () => now, everyMs: 50 });
    await rollups.ran;
    // Every closed hour of the catch-up (48 h back) is marked, with data or not; 09:00 is open.
    expect(await rolledUpRanges(store, 'readings', 'power_w', T0, T0 + 12 * HOUR_MS)).toEqual([[T0, T0 + 9 * HOUR_MS]]);
    // 09:00–10:00 fills and closes; a regular run takes it in.
    await store.write(minutes(T0 + 9 * HOUR_MS, 60, 60));
    now = T0 + 10 * HOUR_MS + 60_000;
    await expect.poll(() => rolledUpRanges(store, 'readings', 'power_w', T0, T0 + 12 * HOUR_MS), { timeout: 5_000 }).toEqual([[T0, T0 + 10 * HOUR_MS]]);
    await rollups.stop();
    const hours = await store.queryRaw({ measurement: rollupMeasurement('readings'), from: T0, to: T0 + 12 * HOUR_MS });
    expect(hours.map((p) => [p.ts, p.fields.power_w_mean])).toEqual([[T0 + 8 * HOUR_MS, 40], [T0 + 9 * HOUR_MS, 60]]);
    await store.close();
  });
});
