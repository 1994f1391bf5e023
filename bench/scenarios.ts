/**
 * One throughput or latency run: a fresh system under test (bench/sut.ts) and a fresh load
 * generator (bench/load-child.ts), each in its own process, against the embedded aedes or a
 * fresh Mosquitto.
 */
import { loadConfig } from '../cli/config.ts';
import { forkTs, procUsage, startMosquitto, type Mosquitto, type TsChild } from './proc.ts';
import mqtt from 'mqtt';
import type { LiveSnapshot } from '../devices/api-types.ts';
import { topics } from '../devices/topics.ts';
import type { SutConfig, SutReady, SutStats } from './sut.ts';
import { summarise, type LatencySummary } from './stats.ts';
import type { LoadDevice, PublishResult } from './loadgen.ts';
import { deskId, plugId, siteId, writeBenchSites } from './site.ts';

export type BrokerKind = 'aedes' | 'mosquitto';
export type StoreKind = 'sqlite' | 'influx';


export interface Influx {
  url: string;
  database: string;
}

export interface RunSpec {
  broker: BrokerKind;
  /**
   * `pass`: the broker and a subscriber that only counts; `store`: a subscriber that only
   * parses and stores (external broker, SQLite: bench/sut.ts `mqtt-store`); `deskprint`: end to end.
   */
  path: 'pass' | 'store' | 'deskprint';
  qos: 0 | 1;
  store: StoreKind;
  /** Site files and the number of load devices per site (plugs 1…n of each). */
  siteFiles: string[];
  devicesPerSite: number;
  connections: number;
  /** Messages to push through, as fast as the broker takes them. */
  messages: number;
  /** Packets per socket write of the load generator (bench/loadgen.ts `perWrite`). */
  perWrite?: number;
  influx?: Influx;
  /** Per-client message limit of the embedded broker; default off. */
  mqttRateLimit?: number;
  /** Write a CPU profile of the system under test, publish to last delivery, here. */
  profileFile?: string;
}

export interface ThroughputResult {
  spec: Omit<RunSpec, 'siteFiles' | 'influx' | 'profileFile' | 'mqttRateLimit'> & { sites: number };
  load: PublishResult;
  /** Messages that arrived (pass) or were stored (deskprint: stored readings / 2). */
  delivered: number;
  lost: number;
  /** Messages per second from the first publish to the last arrival or store acknowledgement. */
  rate: number;
  /** CPU seconds per second of the system under test (and of Mosquitto) during the run. */
  sutCpu: number;
  brokerCpu: number | null;
  /** CPU seconds per second of the load generator during the run. */
  loadCpu: number;
  sutRssMb: number;
  /** Time from the end of publishing until everything arrived or was stored. */
  drainS: number;
  /** The system under test's counters at the end. */
  sut: SutStats;
}

/** Readings per load message: power_w and energy_wh (bench/loadgen.ts). */
export const READINGS_PER_MESSAGE = 2;

export function loadDevices(sites: number, perSite: number): LoadDevice[] {
  const out: LoadDevice[] = [];
  for (let d = 0; d < perSite; d++) for (let s = 0; s < sites; s++) out.push({ site: siteId(s), device: plugId(d) });
  return out;
}

export interface Harness {
  sut: TsChild;
  ready: SutReady;
  load: TsChild;
  mosquitto: Mosquitto | null;
  stats(): Promise<SutStats>;
  close(): Promise<void>;
}

function externalBroker(mosquitto: Mosquitto | null): Mosquitto {
  if (!mosquitto) throw new Error('the store-only subscriber needs an external broker (broker: mosquitto)');
  return mosquitto;
}

/** Starts Mosquitto (if asked), the system under test and a connected load generator. */
export async function startHarness(spec: Omit<RunSpec, 'qos' | 'messages'>, fleet: { keepaliveS?: number } = {}): Promise<Harness> {
  const mosquitto = spec.broker === 'mosquitto' ? await startMosquitto() : null;
  const config: SutConfig =
    spec.path === 'pass'
      ? mosquitto
        ? { mode: 'mqtt-pass', mqttUrl: mosquitto.url }
        : { mode: 'aedes-pass' }
      : spec.path === 'store'
        ? { mode: 'mqtt-store', mqttUrl: externalBroker(mosquitto).url }
        : {
          mode: 'deskprint',
          sites: spec.siteFiles,
          store: spec.store,
          ...(spec.mqttRateLimit !== undefined ? { mqttRateLimit: spec.mqttRateLimit } : {}),
          ...(spec.store === 'influx' ? { influxUrl: spec.influx!.url, influxDatabase: spec.influx!.database } : {}),
          ...(mosquitto ? { mqttUrl: mosquitto.url } : {}),
        };
  const sut = forkTs('sut.ts', [JSON.stringify(config)]);
  let load: TsChild | undefined;
  try {
    const ready = (await sut.ready) as unknown as SutReady;
    load = forkTs('load-child.ts');
    await load.ready;
    const url = new URL(ready.mqttUrl);
    await load.call('connect', {
      opts: { host: url.hostname, port: Number(url.port), devices: loadDevices(spec.siteFiles.length, spec.devicesPerSite), connections: spec.connections, clientIdPrefix: 'bench-load', ...fleet },
    });
    const l = load;
    return {
      sut,
      ready,
      load: l,
      mosquitto,
      stats: () => sut.call<SutStats>('stats'),
      async close() {
        await l.call('close').catch(() => l.kill());
        await sut.call('stop').catch(() => sut.kill());
        await mosquitto?.stop();
      },
    };
  } catch (err) {
    load?.kill();
    sut.kill();
    await mosquitto?.stop();
    throw err;
  }
}

/**
 * Polls the system under test until `delivered` reaches `expected`, or nothing moved for
 * `stallMs` (default BENCH_STALL_MS, else 15 s), or `limitMs` passed; returns its last figures.
 */
export async function waitDelivered(h: Harness, expected: number, delivered: (s: SutStats) => number, opts: { stallMs?: number; limitMs?: number } = {}): Promise<SutStats> {
  const stallMs = opts.stallMs ?? Number(process.env.BENCH_STALL_MS ?? 15_000);
  const until = Date.now() + (opts.limitMs ?? Infinity);
  let s = await h.stats();
  let last = delivered(s);
  let lastMove = Date.now();
  while (delivered(s) < expected && Date.now() - lastMove < stallMs && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    s = await h.stats();
    if (delivered(s) !== last) {
      last = delivered(s);
      lastMove = Date.now();
    }
  }
  return s;
}

/**
 * Pushes a fixed number of messages as fast as the broker takes them and times their
 * arrival (pass) or storage (deskprint). A fixed amount of work rather than a fixed time:
 * loopback socket buffers hold hundreds of thousands of messages, so what a generator
 * managed to write in N seconds says little; when the last one arrived says it all.
 */
export async function throughputRun(spec: RunSpec): Promise<ThroughputResult> {
  const h = await startHarness(spec);
  try {
    await h.sut.call('reset');
    const cpu0 = (await h.stats()).cpuS;
    const broker0 = h.mosquitto ? procUsage(h.mosquitto.pid).cpuS : 0;
    const load0 = procUsage(h.load.pid).cpuS;
    if (spec.profileFile) await h.sut.call('profile-start');
    const load = await h.load.call<PublishResult>('publish', { opts: { qos: spec.qos, rate: 'max', durationS: 300, count: spec.messages, ...(spec.perWrite !== undefined ? { perWrite: spec.perWrite } : {}) } });
    const delivered = (s: SutStats) => (spec.path === 'pass' ? s.received : Math.floor(s.stored / READINGS_PER_MESSAGE));
    const s = await waitDelivered(h, load.acked, delivered);
    if (spec.profileFile) await h.sut.call('profile-stop', { file: spec.profileFile });
    const doneAt = spec.path === 'pass' ? s.lastReceivedAt : s.lastStoredAt;
    const n = delivered(s);
    const elapsedS = Math.max(0.001, (doneAt - load.startedAt) / 1000);
    return {
      spec: { broker: spec.broker, path: spec.path, qos: spec.qos, store: spec.store, sites: spec.siteFiles.length, devicesPerSite: spec.devicesPerSite, connections: spec.connections, messages: spec.messages },
      load,
      delivered: n,
      lost: load.sent - n,
      rate: n / elapsedS,
      sutCpu: (s.cpuS - cpu0) / elapsedS,
      brokerCpu: h.mosquitto ? (procUsage(h.mosquitto.pid).cpuS - broker0) / elapsedS : null,
      loadCpu: (procUsage(h.load.pid).cpuS - load0) / elapsedS,
      sutRssMb: s.rssBytes / 2 ** 20,
      drainS: Math.max(0, (doneAt - load.endedAt) / 1000),
      sut: s,
    };
  } finally {
    await h.close();
  }
}

export interface LatencyResult {
  spec: { broker: BrokerKind; qos: 0 | 1; store: StoreKind; rate: number; durationS: number };
  load: PublishResult;
  /** Publish → store acknowledgement, ms, every reading. */
  stored: LatencySummary;
  /** Publish → first /live response showing the probe's value, ms (polled every `pollMs`). */
  live: LatencySummary;
  pollMs: number;
  lost: number;
  /** Event-loop delay of the system under test during the run, ms. */
  loopDelayMs: SutStats['loopDelayMs'];
  sutCpu: number;
  /** The system under test every `sampleEveryS` during the run and once at its end. */
  samples: { atS: number; stored: number; rssMb: number; heapMb: number; cpu: number }[];
}

export interface LatencySpec extends Omit<RunSpec, 'path' | 'messages'> {
  /** Messages per second, paced. */
  rate: number;
  durationS: number;
  /** Time between /live probes; 0: no probes. */
  probeEveryMs?: number;
  /** How often to sample the system under test's memory and CPU (default 10 s). */
  sampleEveryS?: number;
}

/**
 * Publishes at a fixed rate and times each reading from its publish timestamp to the store's
 * acknowledgement; meanwhile a probe publishes a distinctive power value for the one desk the
 * load leaves alone and polls GET /api/sites/<site>/live until the desk shows it.
 */
export async function latencyRun(spec: LatencySpec): Promise<LatencyResult> {
  const pollMs = 20;
  const h = await startHarness({ ...spec, path: 'deskprint' });
  const probe = await mqtt.connectAsync(h.ready.mqttUrl, { clientId: `bench-probe-${process.pid}`, reconnectPeriod: 0 });
  try {
    const site = siteId(0);
    const probeDevice = plugId(spec.devicesPerSite);
    const probeDesk = deskId(spec.devicesPerSite);
    await h.sut.call('reset');
    await h.sut.call('record');
    const s0 = await h.stats();
    if (spec.profileFile) await h.sut.call('profile-start');
    const loadDone = h.load.call<PublishResult>('publish', { opts: { qos: spec.qos, rate: spec.rate, durationS: spec.durationS } });
    const samples: LatencyResult['samples'] = [];
    let prev = s0;
    const sample = async () => {
      const s = await h.stats();
      samples.push({ atS: (s.at - s0.at) / 1000, stored: s.stored - s0.stored, rssMb: s.rssBytes / 2 ** 20, heapMb: s.heapUsedBytes / 2 ** 20, cpu: (s.cpuS - prev.cpuS) / ((s.at - prev.at) / 1000) });
      prev = s;
    };
    const sampler = setInterval(() => void sample(), (spec.sampleEveryS ?? 10) * 1000);
    const liveLatencies: number[] = [];
    const deadline = Date.now() + spec.durationS * 1000 - 1500;
    let value = 1000;
    while (spec.probeEveryMs !== 0 && Date.now() < deadline) {
      value++;
      const sentAt = Date.now();
      await probe.publishAsync(topics.telemetry(site, probeDevice), JSON.stringify({ ts: sentAt, power_w: value }), { qos: spec.qos });
      for (;;) {
        const res = await fetch(`${h.ready.httpUrl}/api/sites/${site}/live`, { headers: { authorization: `Bearer ${h.ready.token}` } });
        const snap = (await res.json()) as LiveSnapshot;
        if (snap.desk_states.find((d) => d.id === probeDesk)?.power_w === value) {
          liveLatencies.push(Date.now() - sentAt);
          break;
        }
        if (Date.now() - sentAt > 10_000) throw new Error(`probe ${value} not visible in /live after 10 s`);
        await new Promise((r) => setTimeout(r, pollMs));
      }
      // Probes at a spread of phases against the 1 Hz snapshot.
      await new Promise((r) => setTimeout(r, (spec.probeEveryMs ?? 700) + Math.random() * 300));
    }
    const load = await loadDone;
    clearInterval(sampler);
    await sample();
    if (spec.profileFile) await h.sut.call('profile-stop', { file: spec.profileFile });
    // Everything published must be stored before the latencies are read (a probe is one reading).
    const expected = load.acked * READINGS_PER_MESSAGE + (value - 1000);
    const s = await waitDelivered(h, expected, (st) => st.stored, { stallMs: Infinity, limitMs: 30_000 });
    const stored = await h.sut.call<LatencySummary>('latency');
    return {
      spec: { broker: spec.broker, qos: spec.qos, store: spec.store, rate: spec.rate, durationS: spec.durationS },
      load,
      stored,
      live: summarise(liveLatencies),
      pollMs,
      lost: Math.max(0, expected - s.stored),
      loopDelayMs: s.loopDelayMs,
      sutCpu: (s.cpuS - s0.cpuS) / ((s.at - s0.at) / 1000),
      samples,
    };
  } finally {
    await probe.endAsync().catch(() => undefined);
    await h.close();
  }
}

export interface ScaleSpec {
  devices: number;
  sites: number;
  siteDir: string;
  /** Seconds connected and silent, then seconds publishing at the plugs' cadence. */
  idleS: number;
  activeS: number;
  /** Seconds between two messages of one device (desk_plug: 30). */
  cadenceS: number;
}

export interface ScaleResult {
  devices: number;
  sites: number;
  connectS: number;
  clients: number | null;
  idle: { cpu: number; rssMb: number };
  active: { cpu: number; rssMb: number; rate: number; storedP99Ms: number; loopDelayP99Ms: number };
  lost: number;
}

/** Every device its own MQTT connection to the embedded default (aedes + SQLite), at the broker's default per-client rate limit. */
export async function scaleRun(spec: ScaleSpec): Promise<ScaleResult> {
  const perSite = Math.ceil(spec.devices / spec.sites);
  const siteFiles = writeBenchSites(spec.siteDir, spec.sites, perSite);
  const t0 = Date.now();
  const h = await startHarness(
    { broker: 'aedes', path: 'deskprint', store: 'sqlite', siteFiles, devicesPerSite: perSite, connections: spec.devices, mqttRateLimit: loadConfig().mqttRateLimit },
    { keepaliveS: 60 },
  );
  try {
    const connectS = (Date.now() - t0) / 1000;
    await h.sut.call('reset');
    const a = await h.stats();
    await new Promise((r) => setTimeout(r, spec.idleS * 1000));
    const b = await h.stats();
    await h.sut.call('record');
    const rate = spec.devices / spec.cadenceS;
    const load = await h.load.call<PublishResult>('publish', { opts: { qos: 1, rate, durationS: spec.activeS } });
    const c = await h.stats();
    const s = await waitDelivered(h, load.acked * READINGS_PER_MESSAGE, (st) => st.stored, { stallMs: Infinity, limitMs: 20_000 });
    const stored = await h.sut.call<LatencySummary>('latency');
    return {
      devices: spec.devices,
      sites: spec.sites,
      connectS,
      clients: b.clients,
      idle: { cpu: (b.cpuS - a.cpuS) / ((b.at - a.at) / 1000), rssMb: b.rssBytes / 2 ** 20 },
      active: { cpu: (c.cpuS - b.cpuS) / ((c.at - b.at) / 1000), rssMb: c.rssBytes / 2 ** 20, rate: load.rate, storedP99Ms: stored.p99, loopDelayP99Ms: c.loopDelayMs.p99 },
      lost: load.acked - Math.floor(s.stored / READINGS_PER_MESSAGE),
    };
  } finally {
    await h.close();
  }
}
