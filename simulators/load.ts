/**
 * The load generator behind `deskprint simulate --load` and the benchmarks: M simulated
 * devices spread over C MQTT connections publish at a target rate, one message being one
 * device's readings (a smart plug's power and energy counter). Reports the rate achieved:
 * messages the client library finished (written to the socket at QoS 0, acknowledged by the
 * broker at QoS 1) per second of wall time, up to the last completion.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { topics } from '../devices/topics.ts';
import { Rng } from './random.ts';

export interface LoadOptions {
  mqttUrl: string;
  /** Target messages per second across all devices. */
  rate: number;
  /** Distinct devices (topics). */
  devices: number;
  /**
   * MQTT connections; devices are spread round-robin. Default: enough that each connection
   * sends at most 8 msg/s (deskprint's embedded broker disconnects a client above
   * DESKPRINT_MQTT_RATE_LIMIT, default 10/s), at least 100, at most one per device.
   */
  connections?: number;
  username?: string;
  password?: string;
  qos?: 0 | 1;
  durationS: number;
  /** Site id in the topics. Default `load`. */
  site?: string;
  seed?: number;
  /** Most messages in flight (not yet written or acknowledged) before pacing holds back. */
  maxInFlight?: number;
  signal?: AbortSignal;
  log?: (msg: string) => void;
  /** Called about once a second. */
  onProgress?: (p: { completed: number; elapsedS: number }) => void;
  /** Wall clock, injectable for tests; defaults to performance.now (ms). */
  now?: () => number;
}

export interface LoadResult {
  targetRate: number;
  /** Completed messages per second of wall time from the first publish to the last completion. */
  achievedRate: number;
  /** Messages handed to the client library. */
  published: number;
  /** Messages written (QoS 0) or acknowledged (QoS 1). */
  completed: number;
  errors: number;
  /** Ticks in which pacing held back because too many messages were in flight. */
  throttledTicks: number;
  elapsedS: number;
  devices: number;
  connections: number;
  qos: 0 | 1;
  /** Time from publish to completion, ms (QoS 1: broker acknowledgement). */
  latencyMs: { p50: number; p99: number; max: number };
}

export const loadDeviceId = (i: number) => `load-${String(i + 1).padStart(5, '0')}`;

/** Per-connection rate the default stays under: 80 % of deskprint's default client limit (10/s). */
const DEFAULT_PER_CONNECTION_RATE = 8;

export function defaultConnections(rate: number, devices: number): number {
  return Math.min(devices, Math.max(100, Math.ceil(rate / DEFAULT_PER_CONNECTION_RATE)));
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  if (!(opts.rate > 0)) throw new Error(`--rate must be positive, got ${opts.rate}`);
  if (!Number.isInteger(opts.devices) || opts.devices < 1) throw new Error(`--devices must be a positive integer, got ${opts.devices}`);
  if (!(opts.durationS > 0)) throw new Error(`--duration must be positive, got ${opts.durationS}`);
  const qos = opts.qos ?? 0;
  const site = opts.site ?? 'load';
  const nConnections = Math.max(1, Math.min(opts.connections ?? defaultConnections(opts.rate, opts.devices), opts.devices));
  const maxInFlight = opts.maxInFlight ?? Math.max(1_000, Math.ceil(opts.rate * 2));
  const now = opts.now ?? (() => performance.now());
  const rng = new Rng(opts.seed ?? 1);

  const clients: MqttClient[] = [];
  try {
    for (let i = 0; i < nConnections; i += 50) {
      const batch = Array.from({ length: Math.min(50, nConnections - i) }, (_, k) =>
        mqtt.connectAsync(opts.mqttUrl, {
          clientId: `deskprint-load-${site}-${i + k}`,
          clean: true,
          reconnectPeriod: 0,
          connectTimeout: 10_000,
          ...(opts.username !== undefined ? { username: opts.username } : {}),
          ...(opts.password !== undefined ? { password: opts.password } : {}),
        }),
      );
      clients.push(...(await Promise.all(batch)));
    }
  } catch (err) {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    throw new Error(`load: cannot connect to ${opts.mqttUrl}: ${(err as Error).message}`);
  }
  opts.log?.(`load: ${clients.length} connections, ${opts.devices} devices, target ${opts.rate} msg/s for ${opts.durationS} s at QoS ${qos}`);

  const topicOf = Array.from({ length: opts.devices }, (_, i) => topics.telemetry(site, loadDeviceId(i)));
  const counterWh = Array.from({ length: opts.devices }, () => rng.uniform(0, 100_000));
  const latencies: number[] = [];
  let published = 0;
  let completed = 0;
  let errors = 0;
  let throttledTicks = 0;
  let lastCompletionAt = 0;
  const start = now();
  const deadline = start + opts.durationS * 1000;
  let nextDevice = 0;
  let lastProgress = start;

  const publishOne = () => {
    const device = nextDevice;
    nextDevice = (nextDevice + 1) % opts.devices;
    const powerW = 30 + rng.next() * 40;
    counterWh[device]! += powerW / 360; // 10 s at that power
    // Wall-clock timestamps: these readings are live.
    const payload = `{"ts":${Date.now()},"power_w":${powerW.toFixed(1)},"energy_wh":${counterWh[device]!.toFixed(2)}}`;
    const sentAt = now();
    published++;
    clients[device % clients.length]!.publish(topicOf[device]!, payload, { qos }, (err) => {
      if (err) errors++;
      else {
        completed++;
        lastCompletionAt = now();
        if (latencies.length < 200_000) latencies.push(lastCompletionAt - sentAt);
      }
    });
  };

  await new Promise<void>((resolve) => {
    const tick = () => {
      const t = now();
      if (t >= deadline || opts.signal?.aborted) {
        resolve();
        return;
      }
      const due = Math.floor(((t - start) / 1000) * opts.rate) - published;
      const room = maxInFlight - (published - completed - errors);
      if (due > 0 && room <= 0) throttledTicks++;
      for (let i = 0; i < Math.min(due, room); i++) publishOne();
      if (t - lastProgress >= 1000) {
        lastProgress = t;
        opts.onProgress?.({ completed, elapsedS: (t - start) / 1000 });
      }
      setTimeout(tick, 2);
    };
    tick();
  });

  // Let in-flight messages finish (bounded), then close.
  const drainUntil = now() + 10_000;
  while (completed + errors < published && now() < drainUntil) await new Promise((r) => setTimeout(r, 10));
  await Promise.all(clients.map((c) => c.endAsync(false).catch(() => undefined)));

  const elapsedS = (Math.max(lastCompletionAt, Math.min(now(), deadline)) - start) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]! : 0);
  return {
    targetRate: opts.rate,
    achievedRate: elapsedS > 0 ? completed / elapsedS : 0,
    published,
    completed,
    errors: errors + (published - completed - errors),
    throttledTicks,
    elapsedS,
    devices: opts.devices,
    connections: clients.length,
    qos,
    latencyMs: { p50: round1(pct(0.5)), p99: round1(pct(0.99)), max: round1(latencies[latencies.length - 1] ?? 0) },
  };
}

const round1 = (v: number) => Math.round(v * 10) / 10;
