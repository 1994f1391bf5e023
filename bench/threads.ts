/**
 * deskprint's CPU thread by thread in one throughput run (the throughput section's (b), once):
 * the main thread (broker or MQTT client, ingest, processors, API), the SQLite writer and
 * reader threads and V8's helpers, from /proc/<pid>/task. Optionally a CPU profile of the
 * main thread.
 *
 *   node bin/run-ts.js bench/threads.ts [broker=mosquitto|aedes] [qos=0] [messages=1000000] [profile.cpuprofile] [connections=100] [perWrite=32]
 *
 * connections=999 perWrite=1 is the device-shaped load: one connection per plug, each
 * message written on its own.
 *
 * Threads are listed by id in the order they started: the main thread first, V8's helpers,
 * then the store's threads as they were first needed.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { READINGS_PER_MESSAGE, startHarness, waitDelivered, type BrokerKind } from './scenarios.ts';
import { DEFAULT_PER_WRITE, type PublishResult } from './loadgen.ts';
import { writeBenchSites } from './site.ts';
import { procUsage } from './proc.ts';

const [broker = 'mosquitto', qos = '0', messages = '1000000', profile = '', connections = '100', perWrite = String(DEFAULT_PER_WRITE)] = process.argv.slice(2);
const siteFiles = writeBenchSites(mkdtempSync(path.join(os.tmpdir(), 'deskprint-threads-')), 1, 1_000);
const h = await startHarness({ broker: broker as BrokerKind, path: 'deskprint', store: 'sqlite', siteFiles, devicesPerSite: 999, connections: Number(connections) });

/** Seconds the main thread of a process ran on a core, and waited for one (/proc/<pid>/schedstat). */
function schedstat(pid: number): { runS: number; waitS: number } {
  const [run = '0', wait = '0'] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(' ');
  return { runS: Number(run) / 1e9, waitS: Number(wait) / 1e9 };
}

/** CPU seconds of each thread of a process. */
function threads(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      out.set(Number(tid), procUsage(pid, Number(tid)).cpuS);
    } catch {
      // the thread ended
    }
  }
  return out;
}

try {
  await h.sut.call('reset');
  const before = threads(h.sut.pid);
  const sched0 = schedstat(h.sut.pid);
  if (profile) await h.sut.call('profile-start');
  const load = await h.load.call<PublishResult>('publish', { opts: { qos: Number(qos), rate: 'max', durationS: 300, count: Number(messages), perWrite: Number(perWrite) } });
  const s = await waitDelivered(h, load.acked, (st) => Math.floor(st.stored / READINGS_PER_MESSAGE));
  if (s.stored / READINGS_PER_MESSAGE < load.acked) console.log(`stalled: ${s.stored / READINGS_PER_MESSAGE} of ${load.acked} messages stored`);
  if (profile) await h.sut.call('profile-stop', { file: path.resolve(profile) });
  const after = threads(h.sut.pid);
  const sched1 = schedstat(h.sut.pid);
  // From the first publish, as throughputRun times it.
  const elapsedS = (s.lastStoredAt - load.startedAt) / 1000;
  console.log(`${broker} QoS ${qos}: ${load.acked.toLocaleString('en')} messages stored at ${Math.round(load.acked / elapsedS).toLocaleString('en')} msg/s over ${elapsedS.toFixed(2)} s`);
  for (const [tid, cpuS] of after) {
    const used = cpuS - (before.get(tid) ?? 0);
    if (used >= 0.01) console.log(`  thread ${tid}: ${(used / elapsedS).toFixed(2)} cores, ${((used / load.acked) * 1e6).toFixed(1)} µs a message`);
  }
  // The main thread is the critical path: the time it was ready to run but had no core.
  console.log(`  main thread: ${((sched1.runS - sched0.runS) / elapsedS).toFixed(2)} of the time running, ${((sched1.waitS - sched0.waitS) / elapsedS).toFixed(2)} waiting for a core`);
} finally {
  await h.close();
}
