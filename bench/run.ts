/**
 * `npm run bench`: how fast, how big, against the limit (issue 10). Prints Markdown tables;
 * bench/RESULTS.md records a run and how to read it.
 *
 *   npm run bench                      everything, medians of 3 (throughput) or 2 runs (about 10 minutes)
 *   npm run bench -- --quick           one run each, smaller loads (about 3 minutes)
 *   npm run bench -- --only throughput,latency,sustained,scale,query,cluster [--sustain-s 60]
 *   npm run bench -- --runs 5 --json results.json
 *
 * Every figure comes from fresh processes: the system under test (bench/sut.ts) and the
 * load generator (bench/load-child.ts) each in their own, Mosquitto and InfluxDB as the
 * Debian binaries on ephemeral loopback ports.
 */
import { execSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startInfluxd, type Influxd } from '../tests/support/influxd.ts';
import { createStore } from '../store/index.ts';
import { SqliteStore } from '../store/sqlite.ts';
import type { TimeSeriesStore } from '../store/types.ts';
import { chartQueries, fillForCharts, timeQueries, type QueryTiming } from './query.ts';
import { MOSQUITTO_BENCH_CONF, ROOT } from './proc.ts';
import { latencyRun, scaleRun, throughputRun, READINGS_PER_MESSAGE, type BrokerKind, type LatencyResult, type RunSpec, type ScaleResult, type StoreKind, type ThroughputResult } from './scenarios.ts';
import { benchSite, writeBenchSites } from './site.ts';
import { median } from './stats.ts';
import { DEFAULT_PER_WRITE } from './loadgen.ts';
import { clusterFailover, clusterThroughput, floorThroughput, type ClusterThroughput } from './cluster.ts';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    runs: { type: 'string' },
    json: { type: 'string' },
    'sustain-s': { type: 'string' },
  },
});
const quick = args.quick!;
const sections = new Set((args.only ?? 'throughput,latency,sustained,scale,query,cluster').split(','));
const RUNS = Number(args.runs ?? (quick ? 1 : 3));

/** Throughput site: 1,000 desks; the load speaks for 999 plugs over 100 connections (gateways). */
/**
 * The same number of messages for (a) and (b): what the generator publishes is the same load.
 * Enough for several seconds of deskprint at full speed, so start-up (JIT, the first commits)
 * is a small part of the time (at 100,000 messages deskprint measured a third lower: bench/RESULTS.md).
 */
const THROUGHPUT = { desks: 1_000, devices: 999, connections: 100, messages: quick ? 150_000 : 400_000 };
const LATENCY = { desks: 101, devices: 100, connections: 100, rate: 2_000, durationS: quick ? 8 : 12, runs: args.runs ? RUNS : Math.min(RUNS, 2) };
const SUSTAINED = { durationS: Number(args['sustain-s'] ?? (quick ? 5 : 8)), runs: args.runs ? RUNS : Math.min(RUNS, 2) };
const TARGET_RATES = { 0: 40_000, 1: 20_000 } as const;
const SCALE = quick
  ? [{ devices: 1_000, sites: 1 }, { devices: 10_000, sites: 10 }]
  : [{ devices: 1_000, sites: 1 }, { devices: 10_000, sites: 1 }, { devices: 10_000, sites: 10 }, { devices: 10_000, sites: 100 }];
const SCALE_TIMES = { idleS: 5, activeS: quick ? 10 : 30, cadenceS: 30 };

const json: Record<string, unknown> = {};
const say = (line = '') => console.log(line);
const log = (msg: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${msg}\n`);
const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '–');

const tmp = mkdtempSync(path.join(os.tmpdir(), 'deskprint-bench-run-'));
let influxd: Influxd | undefined;
let databases = 0;
const influx = async () => {
  influxd ??= await startInfluxd({ database: 'bench_0' });
  const database = `bench_${++databases}`;
  await influxd.query(`CREATE DATABASE "${database}"`);
  return { url: influxd.url, database };
};

function conditions(): string {
  const cpu = os.cpus();
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: ROOT }).toString().trim();
    if (execSync('git status --porcelain -- ingest store bench broker cli', { cwd: ROOT }).toString().trim()) commit += ' + uncommitted changes';
  } catch {
    // not a git checkout
  }
  return `${new Date().toISOString()}; commit ${commit}; Node ${process.version}; ${cpu.length} × ${cpu[0]?.model ?? 'CPU'}; ${fmt(os.totalmem() / 2 ** 30, 1)} GiB; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`;
}

/** Median cores of the system under test / Mosquitto / the load generator, e.g. `0.70 / 0.85 / 0.31`. */
function cpuSplit(runs: readonly ThroughputResult[]): string {
  const parts = [median(runs.map((r) => r.sutCpu)), ...(runs[0]?.brokerCpu === null ? [] : [median(runs.map((r) => r.brokerCpu ?? 0))]), median(runs.map((r) => r.loadCpu))];
  return parts.map((c) => fmt(c, 2)).join(' / ');
}

/**
 * The same fleet written two ways: 100 gateway connections writing 32 messages at a time
 * (the main table), and one connection per plug writing each message on its own, as devices
 * do. The second costs the broker and the generator a system call per message, so their
 * pass-through limit is lower; deskprint's work per message is the same.
 */
const DEVICE_SHAPED = { connections: THROUGHPUT.devices, perWrite: 1, messages: quick ? 100_000 : 200_000 };

async function throughputSection(): Promise<void> {
  const siteFiles = writeBenchSites(mkdtempSync(path.join(tmp, 'tp-')), 1, THROUGHPUT.desks);
  say('## Throughput: pass-through (a) against deskprint end to end (b)');
  say();
  say(
    `${fmt(THROUGHPUT.messages)} messages pushed as fast as the broker takes them, for (a) and (b) alike, from ${THROUGHPUT.connections} connections speaking for ${THROUGHPUT.devices} desk plugs of one 1,000-desk site, ${DEFAULT_PER_WRITE} messages a write; one message = one device's readings (power_w, energy_wh: ${READINGS_PER_MESSAGE} readings). Rate = messages delivered (a) or stored (b) / time from the first publish to the last arrival or store acknowledgement; (b) starts once deskprint's start-up work (the footprint warm start) is done. Median of ${RUNS} run(s). CPU: cores used during the run by the system under test (the counting subscriber, or deskprint) / Mosquitto / the load generator; the machine has ${os.cpus().length}.`,
  );
  say();
  const rows: unknown[] = [];
  const gateway: ThroughputBase = { siteFiles, devicesPerSite: THROUGHPUT.devices, connections: THROUGHPUT.connections, messages: THROUGHPUT.messages };
  const gatewayRuns = await throughputTable(rows, gateway, ['aedes', 'mosquitto'], ['sqlite', 'influx']);
  say();
  say(`Device-shaped: the same plugs, each on its own connection (${fmt(DEVICE_SHAPED.connections)}), each message written on its own; ${fmt(DEVICE_SHAPED.messages)} messages. Mosquitto and SQLite only.`);
  say();
  const device: ThroughputBase = { siteFiles, devicesPerSite: THROUGHPUT.devices, ...DEVICE_SHAPED };
  const deviceRuns = await throughputTable(rows, device, ['mosquitto'], ['sqlite']);
  say();
  say(
    `The floor under deskprint through Mosquitto: the same MQTT.js subscriber, each message's JSON parsed into one point and written to SQLite through ingest's StoreWriter, and nothing else (no validation, registry, live state, footprint or alerts). a: the pass-through runs above. Median of ${RUNS} run(s).`,
  );
  say();
  await floorTable(rows, [
    { name: 'gateway-shaped', base: gateway, runs: gatewayRuns },
    { name: 'device-shaped', base: device, runs: deviceRuns },
  ]);
  json.throughput = rows;
  say();
}

type ThroughputBase = Pick<RunSpec, 'siteFiles' | 'devicesPerSite' | 'connections' | 'messages' | 'perWrite'>;

/** Pass-through runs and deskprint's b/a of one table, by broker and QoS, for the floor table. */
type TableRuns = Map<string, { pass: ThroughputResult[]; ratio: Partial<Record<StoreKind, number>> }>;

async function throughputTable(rows: unknown[], base: ThroughputBase, brokers: BrokerKind[], stores: StoreKind[]): Promise<TableRuns> {
  const byCase: TableRuns = new Map();
  say('| broker | QoS | store | a: msg/s | b: msg/s | b: readings/s | b/a | lost | a: CPU | b: CPU | b: RSS MB | b: event-loop delay p99 / max ms |');
  say('|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const perWrite = base.perWrite ?? DEFAULT_PER_WRITE;
  const shape = `${base.connections} connections, ${perWrite} a write`;
  for (const broker of brokers) {
    for (const qos of [0, 1] as const) {
      const pass: ThroughputResult[] = [];
      for (let i = 0; i < RUNS; i++) {
        log(`throughput ${broker} QoS ${qos} pass-through (${shape}), run ${i + 1}`);
        pass.push(await throughputRun({ ...base, broker, path: 'pass', qos, store: 'sqlite' }));
      }
      const a = median(pass.map((r) => r.rate));
      const ratio: Partial<Record<StoreKind, number>> = {};
      byCase.set(`${broker} ${qos}`, { pass, ratio });
      for (const store of stores) {
        const e2e: ThroughputResult[] = [];
        for (let i = 0; i < RUNS; i++) {
          log(`throughput ${broker} QoS ${qos} deskprint + ${store} (${shape}), run ${i + 1}`);
          e2e.push(await throughputRun({ ...base, broker, path: 'deskprint', qos, store, ...(store === 'influx' ? { influx: await influx() } : {}) }));
        }
        const b = median(e2e.map((r) => r.rate));
        ratio[store] = b / a;
        const lost = e2e.reduce((s, r) => s + r.lost, 0) + pass.reduce((s, r) => s + r.lost, 0);
        say(
          `| ${broker} | ${qos} | ${store} | ${fmt(a)} | ${fmt(b)} | ${fmt(b * READINGS_PER_MESSAGE)} | ${fmt(b / a, 2)} | ${lost} | ${cpuSplit(pass)} | ${cpuSplit(e2e)} | ${fmt(median(e2e.map((r) => r.sutRssMb)))} | ${fmt(median(e2e.map((r) => r.sut.loopDelayMs.p99)))} / ${fmt(median(e2e.map((r) => r.sut.loopDelayMs.max)))} |`,
        );
        rows.push({ broker, qos, store, connections: base.connections, perWrite, passRates: pass.map((r) => r.rate), e2eRates: e2e.map((r) => r.rate), pass, e2e });
      }
    }
  }
  return byCase;
}

/**
 * The floor under deskprint through Mosquitto: the same subscriber doing nothing but parse
 * each message and write it to SQLite through ingest's StoreWriter, against the
 * pass-through runs of the tables above. No ingest on this store can go faster.
 */
async function floorTable(rows: unknown[], shapes: { name: string; base: ThroughputBase; runs: TableRuns }[]): Promise<void> {
  say('| load | QoS | a: msg/s | floor: msg/s | floor/a | deskprint b/a | lost | a: CPU | floor: CPU | floor µs a message (subscriber / Mosquitto / generator) |');
  say('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const { name, base, runs } of shapes) {
    for (const qos of [0, 1] as const) {
      const { pass, ratio } = runs.get(`mosquitto ${qos}`)!;
      const floor: ThroughputResult[] = [];
      for (let i = 0; i < RUNS; i++) {
        log(`throughput mosquitto QoS ${qos} parse + store only (${name}), run ${i + 1}`);
        floor.push(await throughputRun({ ...base, broker: 'mosquitto', path: 'store', qos, store: 'sqlite' }));
      }
      const a = median(pass.map((r) => r.rate));
      const f = median(floor.map((r) => r.rate));
      const us = (cores: number) => fmt((cores / f) * 1e6, 1);
      const lost = floor.reduce((s, r) => s + r.lost, 0);
      say(
        `| ${name} | ${qos} | ${fmt(a)} | ${fmt(f)} | ${fmt(f / a, 2)} | ${fmt(ratio.sqlite ?? NaN, 2)} | ${lost} | ${cpuSplit(pass)} | ${cpuSplit(floor)} | ${us(median(floor.map((r) => r.sutCpu)))} / ${us(median(floor.map((r) => r.brokerCpu ?? 0)))} / ${us(median(floor.map((r) => r.loadCpu)))} |`,
      );
      rows.push({ load: name, qos, passRates: pass.map((r) => r.rate), floorRates: floor.map((r) => r.rate), floor });
    }
  }
}

async function latencySection(): Promise<void> {
  const siteFiles = writeBenchSites(mkdtempSync(path.join(tmp, 'lat-')), 1, LATENCY.desks);
  const base = { siteFiles, devicesPerSite: LATENCY.devices, connections: LATENCY.connections, durationS: LATENCY.durationS };
  say(`## Latency at a fixed ${fmt(LATENCY.rate)} msg/s (${fmt(LATENCY.rate * READINGS_PER_MESSAGE)} readings/s)`);
  say();
  say(
    `${LATENCY.devices} desk plugs over ${LATENCY.connections} connections for ${LATENCY.durationS} s. Stored: every reading, from the publish timestamp in its payload to the store's acknowledgement. /live: a probe publishes a new power value for a desk the load leaves alone, then polls GET /api/sites/<site>/live every 20 ms until the desk shows it (the live view is a snapshot taken once a second, or afresh for a request when it is over 250 ms old). p50 and p99: median of ${LATENCY.runs} run(s); max and probes: over all.`,
  );
  say();
  say('| broker | QoS | store | stored p50 / p99 / max ms | /live p50 / p99 / max ms (probes) | lost | CPU | event-loop delay p99 ms |');
  say('|---|---|---|---:|---:|---:|---:|---:|');
  const combos: [BrokerKind, 0 | 1, StoreKind][] = [['aedes', 0, 'sqlite'], ['aedes', 1, 'sqlite'], ['aedes', 0, 'influx'], ['aedes', 1, 'influx'], ['mosquitto', 0, 'sqlite'], ['mosquitto', 1, 'sqlite'], ['mosquitto', 0, 'influx'], ['mosquitto', 1, 'influx']];
  const rows: unknown[] = [];
  for (const [broker, qos, store] of combos) {
    const runs: LatencyResult[] = [];
    for (let i = 0; i < LATENCY.runs; i++) {
      log(`latency ${broker} QoS ${qos} ${store}, run ${i + 1}`);
      runs.push(await latencyRun({ ...base, broker, qos, store, rate: LATENCY.rate, ...(store === 'influx' ? { influx: await influx() } : {}) }));
    }
    const m = (f: (r: LatencyResult) => number) => median(runs.map(f));
    say(
      `| ${broker} | ${qos} | ${store} | ${fmt(m((r) => r.stored.p50))} / ${fmt(m((r) => r.stored.p99))} / ${fmt(Math.max(...runs.map((r) => r.stored.max)))} | ${fmt(m((r) => r.live.p50))} / ${fmt(m((r) => r.live.p99))} / ${fmt(Math.max(...runs.map((r) => r.live.max)))} (${runs.reduce((s, r) => s + r.live.n, 0)}) | ${runs.reduce((s, r) => s + r.lost, 0)} | ${fmt(m((r) => r.sutCpu), 2)} | ${fmt(m((r) => r.loopDelayMs.p99))} |`,
    );
    rows.push({ broker, qos, store, runs });
  }
  json.latency = rows;
  say();
}

async function sustainedSection(): Promise<void> {
  // The targets as sustained, paced loads on the embedded default: does it keep up, and how late is the store?
  say('### The embedded default at the target rates, paced');
  say();
  say(`aedes + SQLite, ${THROUGHPUT.devices} plugs over ${THROUGHPUT.connections} connections, ${SUSTAINED.durationS} s at the target rate; median of ${SUSTAINED.runs} run(s), max over all.`);
  say();
  say('| QoS | target msg/s | published msg/s | stored p50 / p99 / max ms | lost | CPU | RSS MB at end | heap MB at end |');
  say('|---|---:|---:|---:|---:|---:|---:|---:|');
  const tpSites = writeBenchSites(mkdtempSync(path.join(tmp, 'tgt-')), 1, THROUGHPUT.desks + 1);
  const sustained: unknown[] = [];
  for (const qos of [0, 1] as const) {
    const runs: LatencyResult[] = [];
    for (let i = 0; i < SUSTAINED.runs; i++) {
      log(`sustained aedes QoS ${qos} at ${TARGET_RATES[qos]} msg/s, run ${i + 1}`);
      runs.push(await latencyRun({ broker: 'aedes', qos, store: 'sqlite', siteFiles: tpSites, devicesPerSite: THROUGHPUT.devices, connections: THROUGHPUT.connections, rate: TARGET_RATES[qos], durationS: SUSTAINED.durationS, probeEveryMs: 0 }));
    }
    const m = (f: (r: LatencyResult) => number) => median(runs.map(f));
    say(`| ${qos} | ${fmt(TARGET_RATES[qos])} | ${fmt(m((r) => r.load.rate))} | ${fmt(m((r) => r.stored.p50))} / ${fmt(m((r) => r.stored.p99))} / ${fmt(Math.max(...runs.map((r) => r.stored.max)))} | ${runs.reduce((s, r) => s + r.lost, 0)} | ${fmt(m((r) => r.sutCpu), 2)} | ${fmt(m((r) => r.samples.at(-1)!.rssMb))} | ${fmt(m((r) => r.samples.at(-1)!.heapMb))} |`);
    sustained.push({ qos, runs });
  }
  json.sustained = sustained;
  say();
  if (SUSTAINED.durationS < 30) return;
  // Long runs: what grows with time (memory held for the lateness window, CPU).
  say('Over time, first run of each:');
  say();
  say('| QoS | after s | stored readings | RSS MB | heap MB | CPU (cores, since the previous row) |');
  say('|---|---:|---:|---:|---:|---:|');
  for (const { qos, runs } of sustained as { qos: number; runs: LatencyResult[] }[]) {
    for (const x of runs[0]!.samples) say(`| ${qos} | ${fmt(x.atS)} | ${fmt(x.stored)} | ${fmt(x.rssMb)} | ${fmt(x.heapMb)} | ${fmt(x.cpu, 2)} |`);
  }
  say();
}

async function scaleSection(): Promise<void> {
  say('## Scale: connected devices and sites on one process (embedded default)');
  say();
  say(
    `Every device its own MQTT connection (keep-alive 60 s), QoS 1, at the broker's default per-client limit; idle = connected and silent for ${SCALE_TIMES.idleS} s; at cadence = each plug publishing every ${SCALE_TIMES.cadenceS} s for ${SCALE_TIMES.activeS} s. CPU in cores, RSS of the deskprint process.`,
  );
  say();
  say('| devices | sites | connect s | idle CPU | idle RSS MB | at cadence msg/s | CPU | RSS MB | stored p99 ms | event-loop delay p99 ms | lost |');
  say('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const rows: ScaleResult[] = [];
  for (const s of SCALE) {
    log(`scale ${s.devices} devices over ${s.sites} site(s)`);
    const r = await scaleRun({ ...s, siteDir: mkdtempSync(path.join(tmp, 'scale-')), ...SCALE_TIMES });
    rows.push(r);
    say(`| ${fmt(r.devices)} | ${r.sites} | ${fmt(r.connectS, 1)} | ${fmt(r.idle.cpu, 2)} | ${fmt(r.idle.rssMb)} | ${fmt(r.active.rate)} | ${fmt(r.active.cpu, 2)} | ${fmt(r.active.rssMb)} | ${fmt(r.active.storedP99Ms)} | ${fmt(r.active.loopDelayP99Ms)} | ${r.lost} |`);
  }
  json.scale = rows;
  say();
}

async function querySection(): Promise<void> {
  const site = benchSite('query-site', 100);
  const now = Date.now();
  say('## Chart queries through the series API: a 100-desk site, one year');
  say();
  say(
    `\`readings_1h\` as store/rollup.ts writes it (hours marked rolled up), for ${site.devices.length} devices (100 plugs, 100 occupancy sensors, ${site.zones.length} lighting circuits, a main meter): 365 days × 24 h × ${site.devices.length} = ${fmt(365 * 24 * site.devices.length)} points, five fields each; raw readings at each device's cadence for the open hour and the hour each chart starts in. Timed: \`querySiteSeries\` (api/routes/core.ts), what GET /api/sites/<site>/series runs for the request shown (rollup where the hours are rolled up, raw readings for the rest, per-device power summed), without HTTP. Median of 10 runs after one warm-up.`,
  );
  say();
  say('| store | chart | request | windows × series | points | median ms | max ms | fill s |');
  say('|---|---|---|---|---:|---:|---:|---:|');
  const rows: { store: StoreKind; fillS: number; timings: QueryTiming[] }[] = [];
  for (const kind of ['sqlite', 'influx'] as StoreKind[]) {
    log(`query: filling ${kind}`);
    const dir = mkdtempSync(path.join(tmp, `q-${kind}-`));
    let store: TimeSeriesStore;
    if (kind === 'influx') {
      const { url, database } = await influx();
      store = createStore({ kind: 'influx', url, database, dataDir: dir });
    } else store = new SqliteStore({ file: path.join(dir, 'timeseries.db') });
    await store.init();
    try {
      const t0 = performance.now();
      await fillForCharts(store, site, now);
      const fillS = (performance.now() - t0) / 1000;
      log(`query: timing ${kind}`);
      const timings = await timeQueries(store, site, chartQueries(site.id, now), 10);
      for (const t of timings) say(`| ${kind} | ${t.name} | \`${t.request}\` | ${t.shape} | ${fmt(t.points)} | ${fmt(t.medianMs)} | ${fmt(t.maxMs)} | ${fmt(fillS, 1)} |`);
      rows.push({ store: kind, fillS, timings });
    } finally {
      await store.close();
    }
  }
  json.query = rows;
  say();
}

async function clusterSection(): Promise<void> {
  const messages = quick ? 20_000 : 60_000;
  say('## Past one machine: 1, 2 and 3 ingest processes (issue 20)');
  say();
  say(
    `20 sites of 25 desk plugs in 16 buckets; Mosquitto, InfluxDB 1.6.7 and PostgreSQL (the leases) shared; each \`deskprint ingest\` a process of its own. ${fmt(messages)} QoS 1 messages (2 readings each) from 50 connections as fast as Mosquitto takes them; rate = messages stored / time from the first publish to the last store acknowledgement (InfluxDB). floor: one process with the same 16 bucket sessions that only parses each message into a point and writes it through ingest's StoreWriter to InfluxDB (bench/sut.ts \`mqtt-store\`). CPU: cores used by the ingest processes together (or the floor). Median of ${RUNS} run(s). The machine has 2 cores for everything: ingest processes, Mosquitto, InfluxDB, PostgreSQL and the load generator.`,
  );
  say();
  say('| ingest processes | msg/s | readings/s | of the floor | ingest CPU | lost |');
  say('|---|---:|---:|---:|---:|---:|');
  const rows: ClusterThroughput[] = [];
  const runs = async (run: () => Promise<ClusterThroughput>): Promise<ClusterThroughput> => {
    const all: ClusterThroughput[] = [];
    for (let i = 0; i < RUNS; i++) all.push(await run());
    const m = median(all.map((r) => r.rate));
    return { ...all.find((r) => r.rate === m)!, lost: Math.max(...all.map((r) => r.lost)) };
  };
  log('cluster: floor');
  const floor = await runs(() => floorThroughput(messages));
  rows.push(floor);
  for (const n of [1, 2, 3]) {
    log(`cluster: ${n} ingest process(es)`);
    rows.push(await runs(() => clusterThroughput(n, messages)));
  }
  for (const r of rows) say(`| ${r.processes} | ${fmt(r.rate)} | ${fmt(r.rate * 2)} | ${fmt(r.rate / floor.rate, 2)} | ${fmt(r.ingestCpu, 2)} | ${r.lost} |`);
  say();
  log('cluster: failover');
  const f = await clusterFailover(1_000);
  say(`Failover: three ingest processes at 1,000 msg/s (QoS 1, paced), lease time 4 s; \`kill -9\` of the owner of ${f.moved} buckets: its leases were taken over after ${fmt(f.leasesMs)} ms and every bucket was warm and consuming again after ${fmt(f.consumingMs)} ms; ${fmt(f.acked)} messages acknowledged by Mosquitto, ${f.lost} missing from InfluxDB.`);
  say();
  json.cluster = { rows, failover: f };
}

try {
  const started = Date.now();
  say(`# deskprint bench${quick ? ' (--quick)' : ''}`);
  say();
  const atStart = conditions();
  say(`Conditions at start: ${atStart}.`);
  say(`Mosquitto 2 with ${MOSQUITTO_BENCH_CONF.join(', ')}; InfluxDB 1.6 (Debian influxd, tests/support/influxd.ts).`);
  say();
  if (sections.has('throughput')) await throughputSection();
  if (sections.has('latency')) await latencySection();
  if (sections.has('sustained')) await sustainedSection();
  if (sections.has('scale')) await scaleSection();
  if (sections.has('query')) await querySection();
  if (sections.has('cluster')) await clusterSection();
  say(`Finished in ${fmt((Date.now() - started) / 60_000, 1)} min; load average at the end ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}.`);
  if (args.json) writeFileSync(args.json, JSON.stringify({ conditions: atStart, ...json }, null, 1));
} finally {
  await influxd?.cleanup();
  rmSync(tmp, { recursive: true, force: true });
}
