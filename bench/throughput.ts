/**
 * One throughput or latency run: a fresh system under test (bench/sut.ts) and a fresh load
 * generator (bench/load-child.ts), each in its own process, against the embedded aedes or a
 * fresh Mosquitto.
 */
import { forkTs, procUsage, startMosquitto, type Mosquitto, type TsChild } from './proc.ts';
import type { LatencySummary, SutConfig, SutReady, SutStats } from './sut.ts';
import type { LoadDevice, PublishResult } from './loadgen.ts';
import { plugId, siteId } from './site.ts';

export type BrokerKind = 'aedes' | 'mosquitto';
export type StoreKind = 'sqlite' | 'influx';


export interface Influx {
  url: string;
  database: string;
}

export interface RunSpec {
  broker: BrokerKind;
  /** `pass`: the broker and a subscriber that only counts; `deskprint`: end to end. */
  path: 'pass' | 'deskprint';
  qos: 0 | 1;
  store: StoreKind;
  /** Site files and the number of load devices per site (plugs 1…n of each). */
  siteFiles: string[];
  devicesPerSite: number;
  connections: number;
  /** Messages to push through, as fast as the broker takes them. */
  messages: number;
  influx?: Influx;
  /** Extra node flags for the system under test. */
  sutExecArgv?: string[];
  /** Write a CPU profile of the system under test, publish to last delivery, here. */
  profileFile?: string;
  /** deskprint without the footprint engine (to see its share). */
  noFootprint?: boolean;
}

export interface ThroughputResult {
  spec: Omit<RunSpec, 'siteFiles' | 'influx' | 'sutExecArgv' | 'profileFile' | 'noFootprint'> & { sites: number };
  load: PublishResult;
  /** Messages that arrived (pass) or were stored (deskprint: stored readings / 2). */
  delivered: number;
  lost: number;
  /** Messages per second from the first publish to the last arrival or store acknowledgement. */
  rate: number;
  /** CPU seconds per second of the system under test (and of Mosquitto) during the run. */
  sutCpu: number;
  brokerCpu: number | null;
  sutRssMb: number;
  /** Time from the end of publishing until everything arrived or was stored. */
  drainS: number;
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

/** Starts Mosquitto (if asked), the system under test and a connected load generator. */
export async function startHarness(spec: Omit<RunSpec, 'qos' | 'messages'>, fleet: { keepaliveS?: number } = {}): Promise<Harness> {
  const mosquitto = spec.broker === 'mosquitto' ? await startMosquitto() : null;
  const config: SutConfig =
    spec.path === 'pass'
      ? mosquitto
        ? { mode: 'mqtt-pass', mqttUrl: mosquitto.url }
        : { mode: 'aedes-pass' }
      : {
          mode: 'deskprint',
          sites: spec.siteFiles,
          store: spec.store,
          ...(spec.noFootprint ? { footprint: false } : {}),
          ...(spec.store === 'influx' ? { influxUrl: spec.influx!.url, influxDatabase: spec.influx!.database } : {}),
          ...(mosquitto ? { mqttUrl: mosquitto.url } : {}),
        };
  const sut = forkTs('sut.ts', [JSON.stringify(config)], spec.sutExecArgv ?? []);
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
    if (spec.profileFile) await h.sut.call('profile-start');
    const load = await h.load.call<PublishResult>('publish', { opts: { qos: spec.qos, rate: 'max', durationS: 300, count: spec.messages } });
    const delivered = (s: SutStats) => (spec.path === 'pass' ? s.received : Math.floor(s.stored / READINGS_PER_MESSAGE));
    // Wait until everything published is delivered, or nothing moved for 3 s.
    let s = await h.stats();
    let last = delivered(s);
    let lastMove = Date.now();
    const expected = load.acked;
    while (delivered(s) < expected && Date.now() - lastMove < 3_000) {
      await new Promise((r) => setTimeout(r, 50));
      s = await h.stats();
      if (delivered(s) !== last) {
        last = delivered(s);
        lastMove = Date.now();
      }
    }
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
      sutRssMb: s.rssBytes / 2 ** 20,
      drainS: Math.max(0, (doneAt - load.endedAt) / 1000),
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
}
