/**
 * The system under test, run in its own process (forked by bench/run.ts) so that its CPU
 * and RSS are its own and every scenario starts cold:
 *
 * - `aedes-pass`: the embedded aedes broker with one in-process subscriber that only counts
 *   (the limit for the embedded default: deskprint's ingest takes messages the same way).
 * - `mqtt-pass`: one MQTT.js subscriber that only counts, against an external broker,
 *   subscribed exactly as deskprint's ingest is (ingest/sources.ts MqttSource).
 * - `mqtt-store`: the floor under deskprint's own work: the same MQTT.js subscriber, each
 *   message's JSON parsed into one point and written through ingest's StoreWriter to a
 *   SQLite store, and nothing else (no validation, registry, live state, footprint or
 *   alerts). What no ingest on top of that store can beat.
 * - `deskprint`: the whole process (`startDeskprint`: ingest, live state, footprint engine,
 *   alerts, API), counting what the store acknowledged.
 *
 * Talks to the parent over the fork IPC channel: `{ cmd: 'stats' | 'latency' | 'reset' |
 * 'record' | 'profile-start' | 'profile-stop' | 'stop' }` in, `{ id, ... }` out.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import inspector from 'node:inspector';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import os from 'node:os';
import path from 'node:path';
import { ADAPTERS } from '../devices/index.ts';
import { createEmbeddedBroker, type EmbeddedBroker } from '../broker/index.ts';
import { AedesSource, MqttSource, type MessageSource } from '../ingest/sources.ts';
import { startDeskprint, type DeskprintHandle } from '../cli/start.ts';
import { MEASUREMENT_READINGS } from '../ingest/types.ts';
import { StoreWriter } from '../ingest/writer.ts';
import { SqliteStore } from '../store/sqlite.ts';
import { createStore } from '../store/index.ts';
import { sitesOfBucket } from '../ingest/buckets.ts';
import pino from 'pino';
import type { Point } from '../store/types.ts';
import { summarise } from './stats.ts';


export type SutMode = 'aedes-pass' | 'mqtt-pass' | 'mqtt-store' | 'deskprint';

export interface SutConfig {
  mode: SutMode;
  /** External broker for `mqtt-pass` and `mqtt-store`, or for `deskprint` instead of the embedded aedes. */
  mqttUrl?: string;
  /** Site files (deskprint). */
  sites?: string[];
  store?: 'sqlite' | 'influx';
  influxUrl?: string;
  influxDatabase?: string;
  /** Per-client message limit of the embedded broker (default 0, off: bench gateways carry many devices). */
  mqttRateLimit?: number;
  /**
   * `mqtt-store` only: one persistent session per bucket over these sites' topics, as
   * `deskprint ingest` holds them past one machine (ingest/bucket-sessions.ts), instead of
   * one session for everything.
   */
  buckets?: { count: number; sites: string[] };
}

export interface SutReady {
  mqttUrl: string;
  httpUrl: string | null;
  /** A manager's API token (deskprint). */
  token: string | null;
}

export interface SutStats {
  /** Messages the subscriber or ingest received since the last reset. */
  received: number;
  /** Readings the store acknowledged (deskprint). */
  stored: number;
  /** Points waiting in the writer. */
  pending: number;
  rejected: number;
  /** When the counting subscriber last received (pass). */
  lastReceivedAt: number;
  lastStoredAt: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** CPU seconds (user + system) since the process started. */
  cpuS: number;
  /** Epoch ms when these figures were taken. */
  at: number;
  /** Broker clients (embedded). */
  clients: number | null;
  storeError: string | null;
  /** Event-loop delay since the last reset, ms (perf_hooks.monitorEventLoopDelay). */
  loopDelayMs: { p50: number; p99: number; max: number };
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as SutConfig;
  let received = 0;
  let receivedAtReset = 0;
  let lastReceivedAt = 0;
  let lastStoredAt = 0;
  let storeLatencies: number[] = [];
  let recording = false;
  let closeAll: () => Promise<void>;
  let ready: SutReady;
  let dp: DeskprintHandle | undefined;
  let floor: StoreWriter | undefined;
  let broker: EmbeddedBroker | undefined;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'deskprint-bench-'));
  const count = () => {
    const t = Date.now();
    received++;
    lastReceivedAt = t;
  };
  const filters = [...new Set(ADAPTERS.flatMap((a) => a.subscriptions))];

  if (config.mode === 'aedes-pass') {
    broker = await createEmbeddedBroker();
    const port = await broker.listenTcp(0, '127.0.0.1');
    const source: MessageSource = new AedesSource(broker);
    await source.start(filters, count);
    const b = broker;
    closeAll = async () => {
      await source.stop();
      await b.close();
    };
    ready = { mqttUrl: `mqtt://127.0.0.1:${port}`, httpUrl: null, token: null };
  } else if (config.mode === 'mqtt-pass') {
    const source = new MqttSource({ url: config.mqttUrl!, clientId: `bench-pass-${process.pid}` });
    await source.start(filters, count);
    closeAll = () => source.stop();
    ready = { mqttUrl: config.mqttUrl!, httpUrl: null, token: null };
  } else if (config.mode === 'mqtt-store') {
    const store =
      config.store === 'influx'
        ? createStore({ kind: 'influx', url: config.influxUrl!, database: config.influxDatabase!, dataDir, influx: { flushIntervalMs: 10 } }) // as deskprint's (cli/commands/common.ts)
        : new SqliteStore({ file: path.join(dataDir, 'timeseries.db') });
    await store.init();
    const writer = new StoreWriter({ store, log: pino({ level: 'silent' }), onStored: () => (lastStoredAt = Date.now()) });
    floor = writer;
    const b = config.buckets;
    const sessions = b
      ? Array.from({ length: b.count }, (_, i) => ({ source: new MqttSource({ url: config.mqttUrl!, clientId: `bench-floor-b${i}` }), filters: sitesOfBucket(b.sites, i, b.count).map((site) => `deskprint/${site}/#`) })).filter((x) => x.filters.length)
      : [{ source: new MqttSource({ url: config.mqttUrl!, clientId: `bench-store-${process.pid}` }), filters }];
    const source = { stop: () => Promise.all(sessions.map((x) => x.source.stop())) };
    for (const x of sessions) await x.source.start(x.filters, (msg) => {
      count();
      // deskprint/<site>/<device>/telemetry, {"ts":…,"power_w":…,"energy_wh":…}
      const [, site, device] = msg.topic.split('/');
      const { ts, ...fields } = JSON.parse(msg.payload.toString()) as { ts: number } & Record<string, number>;
      // Acknowledged once stored, as ingest does (DESIGN "Acknowledged means stored").
      return writer.enqueue([{ measurement: MEASUREMENT_READINGS, tags: { site: site!, device: device! }, fields, ts }], Object.keys(fields).length);
    });
    closeAll = async () => {
      await source.stop();
      await writer.close();
      await store.close();
    };
    ready = { mqttUrl: config.mqttUrl!, httpUrl: null, token: null };
  } else {
    dp = await startDeskprint(
      {
        demo: true, // anonymous clients, as the load generator connects without credentials
        simulate: false,
        httpPort: 0,
        mqttPort: 0,
        host: '127.0.0.1',
        dataDir,
        logLevel: 'silent',
        buildDashboard: false,
        sites: config.sites!,
        mqttRateLimit: config.mqttRateLimit ?? 0,
        store: config.store ?? 'sqlite',
        ...(config.influxUrl ? { influxUrl: config.influxUrl, influxDatabase: config.influxDatabase } : {}),
        ...(config.mqttUrl ? { mqttUrl: config.mqttUrl } : {}),
      },
    );
    const handle = dp;
    // Time each acknowledged reading from its publish timestamp (arrivals: ingest's own count).
    const write = handle.store.write.bind(handle.store);
    handle.store.write = async (points: readonly Point[]) => {
      await write(points);
      const t = Date.now();
      lastStoredAt = t;
      if (recording) for (const p of points) if (p.measurement === MEASUREMENT_READINGS) storeLatencies.push(t - p.ts);
    };
    // Start-up work first: the footprint engine's warm start replays this month from the
    // store (ingest/footprint/stream.ts). Left to run during a measurement, it read the
    // run's own readings back on a reader thread, 0.3 of a core (bench/RESULTS.md).
    await handle.footprint.ready();
    const token = handle.accounts.createToken('manager', 'bench').token;
    closeAll = () => handle.close();
    ready = { mqttUrl: handle.mqttUrl, httpUrl: handle.httpUrl, token };
  }

  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const stats = (): SutStats => {
    const cpu = process.cpuUsage();
    const mem = process.memoryUsage();
    return {
      at: Date.now(),
      received: dp ? dp.ingest.counters.received - receivedAtReset : received,
      stored: (dp?.writer ?? floor)?.stored ?? 0,
      pending: (dp?.writer ?? floor)?.depth ?? 0,
      rejected: dp?.ingest.counters.rejected ?? 0,
      lastReceivedAt,
      lastStoredAt,
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      cpuS: (cpu.user + cpu.system) / 1e6,
      clients: broker ? broker.clients() : dp?.health().broker?.clients ?? null,
      storeError: dp?.store.health().lastError?.message ?? null,
      loopDelayMs: { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
    };
  };

  let profiler: inspector.Session | undefined;
  process.on('message', (m: { id: number; cmd: string }) => {
    const reply = (body: object) => process.send!({ id: m.id, ...body });
    switch (m.cmd) {
      case 'stats':
        return reply(stats());
      case 'reset':
        loopDelay.reset();
        received = 0;
        receivedAtReset = dp?.ingest.counters.received ?? 0;
        lastReceivedAt = lastStoredAt = 0;
        storeLatencies = [];
        return reply({});
      case 'record':
        recording = true;
        storeLatencies = [];
        return reply({});
      case 'latency':
        recording = false;
        return reply(summarise(storeLatencies));
      case 'profile-start':
        profiler ??= new inspector.Session();
        profiler.connect();
        profiler.post('Profiler.enable', () => profiler!.post('Profiler.start', () => reply({})));
        return;
      case 'profile-stop':
        profiler!.post('Profiler.stop', (err, result) => {
          if (!err) writeFileSync((m as unknown as { file: string }).file, JSON.stringify(result.profile));
          profiler!.disconnect();
          reply(err ? { error: err.message } : {});
        });
        return;
      case 'stop':
        void closeAll()
          .catch(() => undefined)
          .finally(() => {
            rmSync(dataDir, { recursive: true, force: true });
            reply({});
            process.exit(0);
          });
        return;
    }
  });
  process.send!({ id: 0, ...ready });
}

main().catch((err: Error) => {
  process.send?.({ id: 0, error: err.stack ?? err.message });
  process.exit(1);
});
