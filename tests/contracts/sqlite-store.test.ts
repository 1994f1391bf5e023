import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createStore } from '../../store/index.ts';
import { SqliteStore } from '../../store/sqlite.ts';
import type { Point } from '../../store/types.ts';
import { describeStoreContract } from './store.contract.ts';

/** A fresh directory for a store's file; `remove` deletes it. */
async function tempDb(): Promise<{ dir: string; file: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'deskprint-sqlite-'));
  return { dir, file: path.join(dir, 'timeseries.db'), remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A temp store file for one test, removed when the test ends (passed or not). */
async function testDb(): Promise<string> {
  const db = await tempDb();
  onTestFinished(db.remove);
  return db.file;
}

/** Runs `work` while a 1 ms timer counts how often the caller's event loop turned. */
async function turnsDuring<T>(work: () => Promise<T>): Promise<{ result: T; turns: number; tookMs: number }> {
  let turns = 0;
  const ticker = setInterval(() => turns++, 1);
  const started = performance.now();
  try {
    const result = await work();
    return { result, turns, tookMs: performance.now() - started };
  } finally {
    clearInterval(ticker);
  }
}

describeStoreContract('sqlite', async () => {
  const db = await tempDb();
  const store = createStore({ kind: 'sqlite', dataDir: db.dir });
  return {
    store,
    async cleanup() {
      await store.close();
      await db.remove();
    },
  };
});

describeStoreContract('sqlite, writing on the caller’s thread', async () => {
  const db = await tempDb();
  const store = new SqliteStore({ file: db.file, writerThread: false });
  return {
    store,
    async cleanup() {
      await store.close();
      await db.remove();
    },
  };
});

describe('sqlite writer thread', () => {
  it('reports a failed commit, keeps nothing half-written, and writes the same points once the file is usable again', async () => {
    const file = await testDb();
    const store = new SqliteStore({ file });
    await store.init();
    const tags = { site: 'hub', device: 'plug-1' };
    const points = [0, 1, 2].map((i) => ({ measurement: 'readings', tags, fields: { power_w: 10 + i, energy_wh: 100 + i }, ts: 1_000 + i }));
    // Someone removes the points table under the running store: the thread's commit fails.
    const other = new Database(file);
    other.exec('DROP TABLE points');
    await expect(store.write(points)).rejects.toThrow(/no such table: points/);
    expect(store.health().lastError?.message).toMatch(/no such table/);
    expect(store.health().written).toBe(0);
    // The series row went with the rolled-back commit: nothing half-written.
    expect(other.prepare('SELECT COUNT(*) FROM series').pluck().get()).toBe(0);
    await store.init(); // the table is back
    await store.write(points); // the writer retries the same batch, as ingest's StoreWriter does
    expect(store.health().written).toBe(3);
    const raw = await store.queryRaw({ measurement: 'readings', from: 0, to: 10_000 });
    expect(raw.map((p) => [p.ts, p.fields.power_w, p.fields.energy_wh])).toEqual([[1_000, 10, 100], [1_001, 11, 101], [1_002, 12, 102]]);
    other.close();
    await store.close();
  });

  it('commits on its own thread while the caller’s event loop keeps turning', async () => {
    const store = new SqliteStore({ file: await testDb() });
    await store.init();
    // 1,000 series × 100 samples × 2 fields: 200,000 rows in one write.
    const points: Point[] = [];
    for (let t = 0; t < 100; t++) for (let d = 0; d < 1_000; d++) points.push({ measurement: 'readings', tags: { site: 'hub', device: `plug-${d}` }, fields: { power_w: d, energy_wh: t }, ts: 1_000 * t });
    const { turns, tookMs } = await turnsDuring(() => store.write(points));
    // Inline, this write blocks the loop for its whole duration (no timer fires); on the
    // thread the timer keeps firing while SQLite works.
    expect(turns).toBeGreaterThan(tookMs / 10);
    expect(store.health().written).toBe(100_000);
    const agg = await store.queryAggregate({ measurement: 'readings', field: 'energy_wh', fn: 'max', from: 0, to: 100_000, every: 100_000, where: { device: 'plug-7' } });
    expect(agg[0]!.points[0]!.value).toBe(99);
    await store.close();
  });
});

describe('sqlite reader threads', () => {
  it('answers a query on a thread of its own while the caller’s event loop keeps turning, with the answer an inline query gives', async () => {
    const file = await testDb();
    const store = new SqliteStore({ file });
    await store.init();
    // 1,000 series × 300 samples × 2 fields: 600,000 rows.
    const points = [];
    for (let t = 0; t < 300; t++) for (let d = 0; d < 1_000; d++) points.push({ measurement: 'readings', tags: { site: 'hub', device: `plug-${d}` }, fields: { power_w: d + (t % 10), energy_wh: t }, ts: 1_000 * t });
    await store.write(points);
    const q = { measurement: 'readings', field: 'power_w', fn: 'mean' as const, from: 0, to: 300_000, every: 300_000, by: ['device'] };
    const { result: answer, turns, tookMs } = await turnsDuring(() => store.queryAggregate(q));
    // Inline, the scan blocks the loop for its whole duration (no timer fires).
    expect(turns).toBeGreaterThan(tookMs / 10);
    expect(answer).toHaveLength(1_000);
    expect(answer.find((s) => s.tags.device === 'plug-7')!.points).toEqual([{ ts: 0, value: 7 + 4.5 }]);
    // The same file read inline, as a second process would.
    const inline = new SqliteStore({ file, writerThread: false });
    await inline.init();
    expect(await inline.queryAggregate(q)).toEqual(answer);
    await inline.close();
    await store.close();
  });
});
