/**
 * The rollup job at a network's rate: `hours` of raw readings from 999 desk plugs at `rate`
 * messages/s (2 readings each) written to a fresh store, then one `rollupHours` over them,
 * timed, while a 5 ms timer measures how long the caller's event loop (in deskprint: the
 * broker's, ingest's and the API's) went without turning.
 *
 *   node bin/run-ts.js bench/rollup.bench.ts [hours=1] [rate=2000] [file]   (a file from an earlier run skips the writing)
 *   node bin/run-ts.js bench/rollup.bench.ts [hours] [rate] influx          on a fresh influxd (Debian's), both ways: see below
 *   DESKPRINT_SQLITE_INLINE=1 …   the same with queries on the caller's thread, as before reader threads
 *
 * On InfluxDB the rollup runs twice over the same data: once with one statement a field for
 * the five aggregates (`queryAggregates`), once with a statement an aggregate (the fallback
 * for a store without it), so the two are compared on one server and one data set.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStore } from '../store/index.ts';
import { SqliteStore } from '../store/sqlite.ts';
import { HOUR_MS, READINGS_ROLLUP, rollupHours } from '../store/rollup.ts';
import type { Point, TimeSeriesStore } from '../store/types.ts';
import { startInfluxd, type Influxd } from '../tests/support/influxd.ts';

const [hours = '1', rate = '2000', given = ''] = process.argv.slice(2);
const onInflux = given === 'influx';
const dir = given && !onInflux ? '' : mkdtempSync(path.join(os.tmpdir(), 'deskprint-rollup-bench-'));
const file = given && !onInflux ? given : path.join(dir, 'timeseries.db');
const inline = process.env.DESKPRINT_SQLITE_INLINE === '1';
let influxd: Influxd | undefined;
let store: TimeSeriesStore;
if (onInflux) {
  influxd = await startInfluxd({ database: 'rollup_bench' });
  store = createStore({ kind: 'influx', url: influxd.url, database: 'rollup_bench', dataDir: dir });
} else store = new SqliteStore({ file, writerThread: !inline });
await store.init();
const start = Date.UTC(2026, 10, 20, 8);
const end = start + Number(hours) * HOUR_MS;
const DEVICES = 999;
const step = (DEVICES / Number(rate)) * 1000; // each plug's period, ms
if (!given || onInflux) {
  const t0 = performance.now();
  let batch: Point[] = [];
  let n = 0;
  for (let t = start; t < end; t += step) {
    for (let d = 0; d < DEVICES; d++) {
      const tags = { site: 'bench-000', zone: `zone-${d % 10}`, desk: `desk-${d + 1}`, device: `plug-${d + 1}`, kind: 'desk_plug', category: 'desk' };
      batch.push({ measurement: 'readings', tags, fields: { power_w: 50 + (d % 7), energy_wh: t / 1e6 }, ts: Math.round(t + d) });
      if (batch.length === 10_000) {
        await store.write(batch);
        n += batch.length;
        batch = [];
      }
    }
  }
  await store.write(batch);
  n += batch.length;
  console.log(`wrote ${n.toLocaleString('en')} points (${(2 * n).toLocaleString('en')} readings) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
async function timedRollup(label: string, target: TimeSeriesStore): Promise<void> {
  let last = performance.now();
  let longest = 0;
  const ticker = setInterval(() => {
    const t = performance.now();
    longest = Math.max(longest, t - last);
    last = t;
  }, 5);
  const t1 = performance.now();
  const r = await rollupHours(target, READINGS_ROLLUP, { from: start, now: end });
  const took = performance.now() - t1;
  clearInterval(ticker);
  longest = Math.max(longest, performance.now() - last);
  console.log(`rollupHours over ${hours} h (${label}): ${(took / 1000).toFixed(2)} s, ${r.points} rollup points; longest time the event loop did not turn: ${longest.toFixed(0)} ms`);
}

try {
  if (onInflux) {
    await timedRollup('InfluxDB, a statement a field', store);
    // The same store without queryAggregates: rollup.ts falls back to a statement an aggregate.
    const oneByOne = new Proxy(store, {
      get(target, key) {
        if (key === 'queryAggregates') return undefined;
        const v = Reflect.get(target, key) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    await timedRollup('InfluxDB, a statement an aggregate', oneByOne);
  } else await timedRollup(inline ? 'queries on the caller’s thread' : 'reader threads', store);
} finally {
  await store.close();
  await influxd?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
}
