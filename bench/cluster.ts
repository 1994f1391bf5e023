/**
 * Past one machine (issue 20): throughput with 1, 2 and 3 `deskprint ingest` processes
 * sharing 20 sites through 16 buckets on the same Mosquitto, InfluxDB 1.6.7 and PostgreSQL;
 * the InfluxDB path against its floor (a subscriber with the same 16 bucket sessions that
 * only parses each message and writes line protocol); and the failover time after `kill -9`
 * of an owner under paced load.
 *
 *   npm run bench -- --only cluster [--quick]
 *
 * Every process shares this machine's 2 cores with Mosquitto, InfluxDB, PostgreSQL and the
 * load generator: more ingest processes add sessions in parallel, not cores.
 */
import { forkTs, procUsage, type TsChild } from './proc.ts';
import type { PublishResult } from './loadgen.ts';
import type { SutReady, SutStats } from './sut.ts';
import { writeBenchSites } from './site.ts';
import { loadDevices } from './scenarios.ts';
import { siteId } from './site.ts';
import { ownedBuckets, startCluster, type Cluster, type IngestProcess } from '../tests/support/cluster.ts';
import { waitFor } from '../tests/support/wait.ts';

const SITES = 20;
const BUCKETS = 16;
const DEVICES_PER_SITE = 25;
const CONNECTIONS = 50;
/** Readings a load message carries (power_w, energy_wh). */
const READINGS_PER_MESSAGE = 2;

export interface ClusterThroughput {
  processes: number | 'floor';
  messages: number;
  rate: number;
  /** Cores used during the run: ingest processes together (or the floor), InfluxDB, Mosquitto. */
  ingestCpu: number;
  lost: number;
}

export interface ClusterFailover {
  leasesMs: number;
  consumingMs: number;
  moved: number;
  acked: number;
  lost: number;
}

function clusterOf(dir: string) {
  const files = writeBenchSites(dir, SITES, DEVICES_PER_SITE);
  return { ids: Array.from({ length: SITES }, (_, i) => siteId(i)), files };
}

async function connectLoad(cluster: Cluster): Promise<TsChild> {
  const load = forkTs('load-child.ts');
  await load.ready;
  const url = new URL(cluster.mosquitto.url);
  await load.call('connect', { opts: { host: url.hostname, port: Number(url.port), devices: loadDevices(SITES, DEVICES_PER_SITE), connections: CONNECTIONS, clientIdPrefix: 'bench-cluster' } });
  return load;
}

async function allConsuming(procs: readonly IngestProcess[]): Promise<void> {
  await waitFor('every bucket consumed', async () => new Set([...(await ownedBuckets(procs, 'consuming')).values()].flat()).size === BUCKETS, 120_000, 200);
}

/** Stored readings by all `procs` together, as their health says. */
async function storedBy(procs: readonly IngestProcess[]): Promise<number> {
  let n = 0;
  for (const p of procs) n += (await p.health().catch(() => null))?.ingest.stored ?? 0;
  return n;
}

async function countInInflux(cluster: Cluster): Promise<number> {
  const body = await cluster.influxd.query('SELECT count(power_w) FROM readings');
  return Number(body.results[0]?.series?.[0]?.values[0]?.[1] ?? 0);
}

/** Pushes `messages` at QoS 1 as fast as Mosquitto takes them and times until InfluxDB has them all. */
async function timedRun(cluster: Cluster, messages: number, stored: () => Promise<number>, cpu: () => number): Promise<{ rate: number; cpu: number; lost: number }> {
  const load = await connectLoad(cluster);
  try {
    const before = await stored();
    const cpu0 = cpu();
    const sent = await load.call<PublishResult>('publish', { opts: { qos: 1, rate: 'max', durationS: 300, count: messages } });
    let last = before;
    let lastMove = Date.now();
    let doneAt = Date.now();
    while (Date.now() - lastMove < 15_000) {
      const n = await stored();
      if (n !== last) {
        last = n;
        lastMove = doneAt = Date.now();
      }
      if (n - before >= sent.acked * READINGS_PER_MESSAGE) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const elapsedS = Math.max(0.001, (doneAt - sent.startedAt) / 1000);
    const got = Math.floor((last - before) / READINGS_PER_MESSAGE);
    return { rate: got / elapsedS, cpu: (cpu() - cpu0) / elapsedS, lost: sent.acked - got };
  } finally {
    await load.call('close').catch(() => load.kill());
  }
}

export async function clusterThroughput(processes: number, messages: number): Promise<ClusterThroughput> {
  const cluster = await startCluster({ sites: clusterOf, buckets: BUCKETS, leaseTtlMs: 4_000 });
  try {
    const procs: IngestProcess[] = [];
    for (let i = 0; i < processes; i++) procs.push(await cluster.spawnIngest(`ingest-${i + 1}`, { DESKPRINT_LOG_LEVEL: 'error' }));
    await allConsuming(procs);
    // Settled: a fair share each (no hand-over in the middle of the run).
    await waitFor('a fair share each', async () => [...(await ownedBuckets(procs, 'consuming')).values()].every((l) => l.length <= Math.ceil(BUCKETS / processes)), 60_000, 200);
    const r = await timedRun(cluster, messages, () => storedBy(procs), () => procs.reduce((s, p) => s + procUsage(p.child.pid!).cpuS, 0));
    const inInflux = await countInInflux(cluster);
    return { processes, messages, rate: r.rate, ingestCpu: r.cpu, lost: Math.max(r.lost, messages - inInflux) };
  } finally {
    await cluster.cleanup();
  }
}

export async function floorThroughput(messages: number): Promise<ClusterThroughput> {
  const cluster = await startCluster({ sites: clusterOf, buckets: BUCKETS, leaseTtlMs: 4_000 });
  const sut = forkTs('sut.ts', [JSON.stringify({ mode: 'mqtt-store', mqttUrl: cluster.mosquitto.url, store: 'influx', influxUrl: cluster.influxd.url, influxDatabase: cluster.influxd.database, buckets: { count: BUCKETS, sites: cluster.sites } })]);
  try {
    (await sut.ready) as unknown as SutReady;
    const r = await timedRun(cluster, messages, async () => (await sut.call<SutStats>('stats')).stored, () => procUsage(sut.pid).cpuS);
    return { processes: 'floor', messages, rate: r.rate, ingestCpu: r.cpu, lost: r.lost };
  } finally {
    await sut.call('stop').catch(() => sut.kill());
    await cluster.cleanup();
  }
}

/** Three processes under paced load (`rate` msg/s); the owner of the most buckets is killed. */
export async function clusterFailover(rate: number): Promise<ClusterFailover> {
  const cluster = await startCluster({ sites: clusterOf, buckets: BUCKETS, leaseTtlMs: 4_000 });
  try {
    const procs: IngestProcess[] = [];
    for (let i = 0; i < 3; i++) procs.push(await cluster.spawnIngest(`ingest-${i + 1}`, { DESKPRINT_LOG_LEVEL: 'error' }));
    await allConsuming(procs);
    await waitFor('a fair share each', async () => [...(await ownedBuckets(procs, 'consuming')).values()].every((l) => l.length <= Math.ceil(BUCKETS / 3)), 60_000, 200);
    const owned = await ownedBuckets(procs);
    const victim = procs.reduce((a, b) => ((owned.get(a.name)?.length ?? 0) >= (owned.get(b.name)?.length ?? 0) ? a : b));
    const survivors = procs.filter((p) => p !== victim);
    const load = await connectLoad(cluster);
    try {
      const publishing = load.call<PublishResult>('publish', { opts: { qos: 1, rate, durationS: 30 } });
      await new Promise((r) => setTimeout(r, 10_000));
      victim.child.kill('SIGKILL');
      const killedAt = Date.now();
      let leasesMs = 0;
      await waitFor('the buckets consumed again', async () => {
        if (!leasesMs && new Set([...(await ownedBuckets(survivors)).values()].flat()).size === BUCKETS) leasesMs = Date.now() - killedAt;
        return new Set([...(await ownedBuckets(survivors, 'consuming')).values()].flat()).size === BUCKETS;
      }, 60_000, 100);
      const consumingMs = Date.now() - killedAt;
      const sent = await publishing;
      await waitFor('everything stored', async () => (await countInInflux(cluster)) >= sent.acked, 60_000, 500).catch(() => {});
      const inInflux = await countInInflux(cluster);
      return { leasesMs, consumingMs, moved: owned.get(victim.name)?.length ?? 0, acked: sent.acked, lost: Math.max(0, sent.acked - inInflux) };
    } finally {
      await load.call('close').catch(() => load.kill());
    }
  } finally {
    await cluster.cleanup();
  }
}
