/** Shared helpers for the simulator tests: run a scenario into memory and read the stream back. */
import { fileURLToPath } from 'node:url';
import { nativeAdapter } from '../../../devices/native/adapter.ts';
import type { SimMessage } from '../../../simulators/building.ts';
import { CaptureSink, runScenario, type RunStats } from '../../../simulators/run.ts';
import { loadScenario, type Scenario } from '../../../simulators/scenario.ts';
import { GroundTruth } from '../../../simulators/truth.ts';

export const repoPath = (rel: string) => fileURLToPath(new URL(`../../../${rel}`, import.meta.url));

export function scenario(file: string): Scenario {
  return loadScenario(repoPath(file));
}

export interface Captured {
  messages: SimMessage[];
  truth: GroundTruth;
  stats: RunStats;
  bytes: string;
}

/** Runs at max speed into memory, one message per sample (no gateway batching). */
export async function capture(sc: Scenario, from: string, to: string, opts: { seed?: number; batchS?: number } = {}): Promise<Captured> {
  const sink = new CaptureSink();
  const truth = new GroundTruth(sc.site.accounting_interval_min * 60_000, sc.site.timezone);
  const stats = await runScenario({ scenario: sc, from: Date.parse(from), to: Date.parse(to), speed: 'max', sink, truth, batchS: opts.batchS ?? 0, ...(opts.seed !== undefined ? { seed: opts.seed } : {}) });
  return { messages: sink.messages, truth, stats, bytes: sink.serialize() };
}

/** Decodes a message the way ingest would, received at its send time. */
export function decode(m: SimMessage) {
  return nativeAdapter.decode(m.topic, new TextEncoder().encode(m.payload), { receivedAt: m.at });
}

export type Sample = Record<string, number | boolean | string> & { ts: number };

/** Telemetry samples per device, in stream order (array payloads flattened). */
export function samplesByDevice(messages: readonly SimMessage[]): Map<string, Sample[]> {
  const out = new Map<string, Sample[]>();
  for (const m of messages) {
    if (!m.topic.endsWith('/telemetry')) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(m.payload);
    } catch {
      continue;
    }
    const list = out.get(m.device) ?? [];
    for (const s of Array.isArray(parsed) ? parsed : [parsed]) list.push(s as Sample);
    out.set(m.device, list);
  }
  return out;
}
