/**
 * The ingest pipeline alone, in process: decode → validate → enrich → live state → writer
 * queue, no broker, no store (the writer only counts). Shows the per-message cost of the
 * pipeline stages that run on the broker's event loop in the one-process default.
 *
 *   node bin/run-ts.js bench/ingest.bench.ts [messages=400000]
 *   node --cpu-prof bin/run-ts.js bench/ingest.bench.ts     (where the time goes)
 */
import pino from 'pino';
import { Ingest } from '../ingest/pipeline.ts';
import { LiveState } from '../ingest/live.ts';
import type { InboundMessage, MessageSource } from '../ingest/sources.ts';
import type { StoreWriter } from '../ingest/writer.ts';
import { Registry } from '../store/registry.ts';
import type { Point } from '../store/types.ts';
import { benchSite, plugId } from './site.ts';

const messages = Number(process.argv[2] ?? 400_000);
const DEVICES = 999;
const registry = new Registry();
registry.loadSite(benchSite('bench-001', DEVICES + 1));

let handler: ((m: InboundMessage) => void) | undefined;
const source: MessageSource = {
  kind: 'embedded',
  async start(_filters, onMessage) {
    handler = onMessage;
  },
  async publish() {},
  async stop() {},
};
let queued = 0;
const writer = { enqueue: (points: readonly Point[]) => void (queued += points.length) } as unknown as StoreWriter;
const live = new LiveState({ registry });
const ingest = new Ingest({ registry, source, writer, processors: [live], log: pino({ level: 'silent' }) });
await ingest.start();

const topicsOf = Array.from({ length: DEVICES }, (_, i) => `deskprint/bench-001/${plugId(i)}/telemetry`);
const now = Date.now();
const inbox: InboundMessage[] = Array.from({ length: 20_000 }, (_, i) => ({
  topic: topicsOf[i % DEVICES]!,
  payload: Buffer.from(`{"ts":${now + i},"power_w":${(30 + (i % 40)).toFixed(1)},"energy_wh":${(1000 + i / 100).toFixed(2)}}`),
  receivedAt: now + i,
}));

for (let round = 0; round < 3; round++) {
  const t0 = performance.now();
  for (let i = 0; i < messages; i++) handler!(inbox[i % inbox.length]!);
  const us = ((performance.now() - t0) * 1000) / messages;
  console.log(`round ${round + 1}: ${us.toFixed(2)} µs/message (${Math.round(1e6 / us).toLocaleString('en')} msg/s), accepted ${ingest.counters.accepted}, rejected ${ingest.counters.rejected}, points queued ${queued}`);
}
await ingest.stop();
