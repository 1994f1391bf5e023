/**
 * An InfluxDB outage loses nothing (DESIGN.md "Stores"), against a real influxd:
 * 1. writes at a steady rate through one store while influxd is stopped for 20 s and started
 *    again; every point ends up in InfluxDB exactly once, and write() kept resolving.
 * 2. a store closed with points still spooled hands them to the next process: a new store
 *    on the same spool dir replays them, in order, once influxd is back.
 * 3. the same when the process holding the spool is killed (SIGKILL, lock file left behind).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createInfluxStore } from '../../store/influx/index.ts';
import type { Point, TimeSeriesStore } from '../../store/types.ts';
import { countPoints, startInfluxd, type Influxd } from '../support/influxd.ts';

const OUTAGE_MS = 20_000;
const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const DESKS = ['d1', 'd2', 'd3', 'd4'];

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await sleep(50);
  }
}

function openStore(influxd: Influxd, spoolDir: string): TimeSeriesStore {
  return createInfluxStore({
    url: influxd.url,
    database: influxd.database,
    spoolDir,
    flushIntervalMs: 50,
    batchSize: 500,
    // Short backoff so recovery is noticed within a second of influxd answering again.
    minRetryDelayMs: 100,
    maxRetryDelayMs: 1_000,
    timeoutMs: 2_000,
  });
}

function tick(i: number): Point[] {
  return DESKS.map((desk) => ({
    measurement: 'readings',
    tags: { site: 'demo', zone: 'z1', desk, device: `plug-${desk}` },
    fields: { power_w: 40 + (i % 7) * 0.5 },
    ts: T0 + i * 1_000,
  }));
}

describe('InfluxDB store across an outage', () => {
  let influxd: Influxd;
  let spoolDir: string;

  beforeEach(async () => {
    influxd = await startInfluxd();
    spoolDir = await mkdtemp(path.join(tmpdir(), 'deskprint-outage-'));
  });

  afterEach(async () => {
    await influxd.cleanup();
    await rm(spoolDir, { recursive: true, force: true });
  });

  it('stores every point exactly once after influxd is down for 20 s, without restarting the writer', async () => {
    const store = openStore(influxd, spoolDir);
    await store.init();

    let ticks = 0;
    let running = true;
    let slowestWriteMs = 0;
    const states = new Set<string>();
    // Steady producer: 4 points every 50 ms, each write awaited like ingest does.
    const producer = (async () => {
      while (running) {
        const started = Date.now();
        await store.write(tick(ticks++));
        slowestWriteMs = Math.max(slowestWriteMs, Date.now() - started);
        states.add(store.health().state);
        await sleep(50);
      }
    })();

    await sleep(1_000);
    await influxd.stop();
    const stoppedAt = Date.now();
    await until('store reports down and spools', () => store.health().state === 'down' && store.health().spoolBytes > 0);
    expect((await readdir(spoolDir)).some((f) => f.endsWith('.lp'))).toBe(true);
    await sleep(OUTAGE_MS - (Date.now() - stoppedAt));
    const duringOutage = store.health();
    await influxd.start();
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(OUTAGE_MS);
    await sleep(1_000);
    running = false;
    await producer;

    await until('spool replayed', () => {
      const h = store.health();
      return h.state === 'ok' && h.queueDepth === 0 && h.spoolBytes === 0;
    });
    const expected = ticks * DESKS.length;
    expect(await countPoints(influxd, 'readings', 'power_w')).toBe(expected);
    // Exactly once per desk and second: nothing lost, nothing doubled.
    const perDesk = await influxd.query(`SELECT count("power_w") FROM "readings" GROUP BY "desk"`);
    expect(perDesk.results[0]!.series!.map((s) => [s.tags!.desk, s.values[0]![1]])).toEqual(DESKS.map((d) => [d, ticks]));

    expect(duringOutage.spoolBytes).toBeGreaterThan(0);
    expect(duringOutage.queueDepth).toBeGreaterThan(0);
    expect(duringOutage.lastError?.message).toBeTruthy();
    expect(states).toContain('down');
    // write() kept resolving through the outage: it waited for disk, not for InfluxDB.
    expect(slowestWriteMs).toBeLessThan(5_000);
    expect(store.health().written).toBeGreaterThanOrEqual(expected);
    expect((await readdir(spoolDir)).filter((f) => f.endsWith('.lp'))).toEqual([]);
    await store.close();
  }, 90_000);

  it('replays a spool left by a closed store, in order, from a new store on the same directory', async () => {
    const first = openStore(influxd, spoolDir);
    await first.init();
    await first.write(tick(0));
    await influxd.stop();

    for (let i = 1; i <= 50; i++) await first.write(tick(i));
    // The same point three times with different values: replay order decides which stays.
    for (const v of [1.5, 2.5, 3.5]) {
      await first.write([{ measurement: 'readings', tags: { site: 'demo', desk: 'd1' }, fields: { setpoint_c: v }, ts: T0 }]);
    }
    expect(first.health().spoolBytes).toBeGreaterThan(0);
    await first.close();

    const second = openStore(influxd, spoolDir);
    await second.init(); // influxd still down: init must not fail
    expect(second.health().queueDepth).toBe(50 * DESKS.length + 3);
    await influxd.start();
    await until('spool replayed by the new store', () => second.health().spoolBytes === 0 && second.health().queueDepth === 0);

    expect(await countPoints(influxd, 'readings', 'power_w')).toBe(51 * DESKS.length);
    const setpoint = await influxd.query(`SELECT "setpoint_c" FROM "readings" WHERE "desk" = 'd1'`);
    expect(setpoint.results[0]!.series![0]!.values).toEqual([[T0, 3.5]]);
    await second.close();
  }, 60_000);

  it('replays at start what a killed process had spooled', async () => {
    await influxd.stop();
    const TICKS = 40;
    // A separate deskprint-like process: writes while InfluxDB is down, then is killed.
    const script = `
      const { createInfluxStore } = await import(process.env.STORE_MODULE);
      const store = createInfluxStore({ url: process.env.INFLUX_URL, database: process.env.INFLUX_DB, spoolDir: process.env.SPOOL_DIR, flushIntervalMs: 20 });
      await store.init();
      const T0 = Number(process.env.T0);
      for (let i = 0; i < ${TICKS}; i++) {
        await store.write(['d1', 'd2', 'd3', 'd4'].map((desk) => ({ measurement: 'readings', tags: { site: 'demo', desk }, fields: { power_w: 40.5 }, ts: T0 + i * 1000 })));
      }
      console.log('spooled ' + store.health().queueDepth);
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: REPO,
      env: {
        ...process.env,
        STORE_MODULE: path.join(REPO, 'store/influx/index.ts'),
        INFLUX_URL: influxd.url,
        INFLUX_DB: influxd.database,
        SPOOL_DIR: spoolDir,
        T0: String(T0),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    await until('child spooled its points', () => out.includes('spooled') || child.exitCode !== null, 20_000);
    expect(out).toContain(`spooled ${TICKS * DESKS.length}`);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    expect(existsSync(path.join(spoolDir, 'LOCK'))).toBe(true);

    const heir = openStore(influxd, spoolDir);
    await heir.init();
    expect(heir.health().queueDepth).toBe(TICKS * DESKS.length);
    await influxd.start();
    await until('spool of the killed process replayed', () => heir.health().queueDepth === 0 && heir.health().spoolBytes === 0);
    expect(await countPoints(influxd, 'readings', 'power_w')).toBe(TICKS * DESKS.length);
    await heir.close();
  }, 60_000);
});
