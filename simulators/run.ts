/**
 * Runs a scenario over a period: the building model, then faults, then (optionally) gateway
 * batching, into a publish sink. Two clocks:
 *  - paced (`speed` a number): simulated time runs at `speed`× the wall clock from `from`;
 *  - max: as fast as the sink accepts, with past timestamps in the payloads.
 * The wall clock is read only here, to pace; the message stream depends on the scenario,
 * seed and period alone.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { SimMessage } from './building.ts';
import { BuildingModel } from './building.ts';
import { FaultInjector, type FaultCounts } from './faults.ts';
import type { PublishSink } from './fleet.ts';
import type { Scenario } from './scenario.ts';
import { GroundTruth } from './truth.ts';

export interface RunOptions {
  scenario: Scenario;
  from: number;
  /** End of the period (exclusive); paced runs may leave it open (Infinity) until aborted. */
  to: number;
  speed: 'max' | number;
  seed?: number;
  sink: PublishSink;
  truth?: GroundTruth;
  /**
   * Gateway batching, seconds of simulated time per array payload (one per device): a
   * gateway flushing its buffer, which keeps a month's run to tens of thousands of MQTT
   * messages. 0 sends every sample as its own message. Default: 3600 at max speed, else 0.
   */
  batchS?: number;
  /** Simulated time per model chunk at max speed, ms. */
  chunkMs?: number;
  /** Called after each chunk (max) or tick (paced) with the simulated time reached. */
  onProgress?: (simulatedTime: number) => void;
  signal?: AbortSignal;
  /** Wall clock for pacing; injectable for tests. */
  now?: () => number;
  tickMs?: number;
  demo?: boolean;
}

export interface RunStats {
  /** Samples the model produced (before faults and batching). */
  samples: number;
  /** MQTT messages handed to the sink. */
  messages: number;
  faults: FaultCounts;
  simulatedFrom: number;
  simulatedTo: number;
  wallMs: number;
}

/** Groups each device's telemetry into array payloads per window, as a buffering gateway does. */
export function batchByDevice(messages: readonly SimMessage[]): SimMessage[] {
  const byDevice = new Map<string, SimMessage[]>();
  const out: SimMessage[] = [];
  const flush = (device: string) => {
    const group = byDevice.get(device);
    if (!group || group.length === 0) return;
    byDevice.delete(device);
    if (group.length === 1) {
      out.push(group[0]!);
      return;
    }
    const last = group[group.length - 1]!;
    out.push({ ...last, payload: `[${group.map((m) => m.payload).join(',')}]`, qos: group.some((m) => m.qos === 1) ? 1 : 0, fault: undefined });
  };
  for (const m of messages) {
    // Status changes and damaged payloads travel alone, after what the device sent before them.
    if (m.retain || m.fault === 'malformed' || !m.payload.startsWith('{')) {
      flush(m.device);
      out.push(m);
      continue;
    }
    let group = byDevice.get(m.device);
    if (!group) {
      group = [];
      byDevice.set(m.device, group);
    }
    group.push(m);
    // MAX_BATCH in devices/native/schema.ts is 1000.
    if (group.length >= 1000) flush(m.device);
  }
  for (const device of [...byDevice.keys()]) flush(device);
  return out;
}

export async function runScenario(opts: RunOptions): Promise<RunStats> {
  const { scenario, sink } = opts;
  const seed = opts.seed ?? scenario.seed;
  const wallNow = opts.now ?? Date.now;
  const wallStart = wallNow();
  const model = new BuildingModel({ scenario, seed, start: opts.from, ...(opts.truth ? { truth: opts.truth } : {}), demo: opts.demo ?? false });
  const faults = new FaultInjector(scenario.faults, scenario.site.id, model.deviceIds(), seed, opts.truth ?? null);
  const stats: RunStats = { samples: 0, messages: 0, faults: faults.counts, simulatedFrom: opts.from, simulatedTo: opts.from, wallMs: 0 };

  const publishAll = async (messages: SimMessage[]) => {
    const pending: Promise<void>[] = [];
    for (const m of messages) {
      const p = sink.publish(m);
      if (p) pending.push(p);
    }
    stats.messages += messages.length;
    await Promise.all(pending);
  };

  if (opts.speed === 'max') {
    const batchMs = (opts.batchS ?? 3600) * 1000;
    const chunkMs = batchMs > 0 ? batchMs : (opts.chunkMs ?? 3_600_000);
    if (!Number.isFinite(opts.to)) throw new Error('a run at max speed needs an end time');
    for (let t = opts.from; t < opts.to && !opts.signal?.aborted; ) {
      const end = Math.min(opts.to, t + chunkMs);
      // Samples at exactly `end` belong to the next chunk; the period end is exclusive.
      const samples = model.advance(end - 1);
      stats.samples += samples.length;
      const delivered = faults.apply(samples, end - 1);
      await publishAll(batchMs > 0 ? batchByDevice(delivered) : delivered);
      t = end;
      stats.simulatedTo = end;
      opts.onProgress?.(end);
    }
  } else {
    const speed = opts.speed;
    if (!(speed > 0)) throw new Error(`speed must be positive, got ${speed}`);
    const tickMs = opts.tickMs ?? 250;
    const batchMs = (opts.batchS ?? 0) * 1000;
    let buffered: SimMessage[] = [];
    let lastFlush = opts.from;
    while (!opts.signal?.aborted) {
      const simNow = Math.min(opts.to - 1, opts.from + Math.floor((wallNow() - wallStart) * speed));
      const samples = model.advance(simNow);
      stats.samples += samples.length;
      const delivered = faults.apply(samples, simNow);
      if (batchMs > 0) {
        buffered.push(...delivered);
        if (simNow - lastFlush >= batchMs || simNow >= opts.to - 1) {
          await publishAll(batchByDevice(buffered));
          buffered = [];
          lastFlush = simNow;
        }
      } else await publishAll(delivered);
      stats.simulatedTo = simNow + 1;
      opts.onProgress?.(simNow + 1);
      if (simNow >= opts.to - 1) break;
      await sleep(tickMs, opts.signal);
    }
    if (buffered.length > 0) await publishAll(batchByDevice(buffered));
  }
  await publishAll(faults.flush());
  model.settle();
  stats.wallMs = wallNow() - wallStart;
  return stats;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** One message as a line: `topic [r] q<qos> payload` (retained flagged). */
function messageLine(m: SimMessage): string {
  return `${m.topic}${m.retain ? ' [r]' : ''} q${m.qos} ${m.payload}`;
}

/**
 * Writes the stream to a file (or stdout) as it is produced, one `messageLine` each, so a
 * month of a large site never has to fit in one string.
 */
export class FileSink implements PublishSink {
  #fd: number;
  #buffer: string[] = [];
  #bytes = 0;
  constructor(path: string) {
    this.#fd = path === '-' ? 1 : openSync(path, 'w');
  }
  publish(msg: SimMessage): void {
    const line = `${messageLine(msg)}\n`;
    this.#buffer.push(line);
    this.#bytes += line.length;
    if (this.#bytes > 1 << 20) this.#flush();
  }
  #flush(): void {
    if (this.#buffer.length === 0) return;
    writeSync(this.#fd, this.#buffer.join(''));
    this.#buffer = [];
    this.#bytes = 0;
  }
  async close(): Promise<void> {
    if (this.#fd < 0) return;
    this.#flush();
    if (this.#fd !== 1) closeSync(this.#fd);
    this.#fd = -1;
  }
}

/** A sink that keeps every message, for tests. */
export class CaptureSink implements PublishSink {
  readonly messages: SimMessage[] = [];
  publish(msg: SimMessage): void {
    this.messages.push(msg);
  }
  /** The stream as text: a `messageLine` per message. */
  serialize(): string {
    return this.messages.map(messageLine).join('\n');
  }
}
