/**
 * deskprint's CPU thread by thread in one throughput run (the throughput section's (b), once):
 * the main thread (broker or MQTT client, ingest, processors, API), the SQLite writer and
 * reader threads and V8's helpers, from /proc/<pid>/task. Optionally a CPU profile of the
 * main thread.
 *
 *   node bin/run-ts.js bench/threads.ts [broker=mosquitto|aedes] [qos=0] [messages=1000000] [profile.cpuprofile]
 *
 * Threads are listed by id in the order they started: the main thread first, V8's helpers,
 * then the store's threads as they were first needed.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { READINGS_PER_MESSAGE, startHarness, waitDelivered, type BrokerKind } from './scenarios.ts';
import type { PublishResult } from './loadgen.ts';
import { writeBenchSites } from './site.ts';

const [broker = 'mosquitto', qos = '0', messages = '1000000', profile = ''] = process.argv.slice(2);
const siteFiles = writeBenchSites(mkdtempSync(path.join(os.tmpdir(), 'deskprint-threads-')), 1, 1_000);
const h = await startHarness({ broker: broker as BrokerKind, path: 'deskprint', store: 'sqlite', siteFiles, devicesPerSite: 999, connections: 100 });

/** CPU seconds of each thread of a process. */
function threads(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), (Number(f[11]) + Number(f[12])) / 100);
    } catch {
      // the thread ended
    }
  }
  return out;
}

try {
  await h.sut.call('reset');
  const before = threads(h.sut.pid);
  const t0 = Date.now();
  if (profile) await h.sut.call('profile-start');
  const load = await h.load.call<PublishResult>('publish', { opts: { qos: Number(qos), rate: 'max', durationS: 300, count: Number(messages) } });
  const s = await waitDelivered(h, load.acked, (st) => Math.floor(st.stored / READINGS_PER_MESSAGE));
  if (s.stored / READINGS_PER_MESSAGE < load.acked) console.log(`stalled: ${s.stored / READINGS_PER_MESSAGE} of ${load.acked} messages stored`);
  if (profile) await h.sut.call('profile-stop', { file: path.resolve(profile) });
  const after = threads(h.sut.pid);
  const elapsedS = (s.lastStoredAt - t0) / 1000;
  console.log(`${broker} QoS ${qos}: ${load.acked.toLocaleString('en')} messages stored at ${Math.round(load.acked / elapsedS).toLocaleString('en')} msg/s over ${elapsedS.toFixed(2)} s`);
  for (const [tid, cpuS] of after) {
    const used = cpuS - (before.get(tid) ?? 0);
    if (used >= 0.01) console.log(`  thread ${tid}: ${(used / elapsedS).toFixed(2)} cores, ${((used / load.acked) * 1e6).toFixed(1)} µs a message`);
  }
} finally {
  await h.close();
}
