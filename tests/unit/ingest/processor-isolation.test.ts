/**
 * A processor that throws (issue 18, item 3) is a bug in that stage, not bad data: the
 * reading is still stored and counted as accepted, the failure is counted by the
 * processor's name and logged once, and the other processors still see the reading.
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Ingest } from '../../../ingest/pipeline.ts';
import type { MessageHandler, MessageSource } from '../../../ingest/sources.ts';
import type { EnrichedReading, Processor } from '../../../ingest/types.ts';
import { StoreWriter } from '../../../ingest/writer.ts';
import { Registry } from '../../../store/registry.ts';
import { SqliteStore } from '../../../store/sqlite.ts';
import { makeSite } from '../footprint/helpers.ts';

/** A message source driven by the test (the pipeline's only way in). */
function handSource(): MessageSource & { deliver(topic: string, payload: string): Promise<void> } {
  let handler: MessageHandler | undefined;
  return {
    kind: 'embedded',
    async start(_filters, onMessage) {
      handler = onMessage;
    },
    async publish() {},
    async stop() {},
    async deliver(topic, payload) {
      // Resolves once the message's points are stored (the pipeline's acknowledgement).
      await handler!({ topic, payload: Buffer.from(payload), receivedAt: Date.now() });
    },
  };
}

const T0 = Date.parse("2026-03-02T09:00:00Z");
const stores: SqliteStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

describe('a throwing processor', () => {
  it('does not reject the message: the reading is stored, the failure counted by name and logged once', async () => {
    const registry = new Registry();
    registry.loadSite(makeSite([{ id: 'plug1', kind: 'desk_plug', desk: 'd1', carrier: 'electricity' }]));
    const store = new SqliteStore({ file: ':memory:' });
    await store.init();
    stores.push(store);
    const warnings: string[] = [];
    const log = pino({ level: "warn" }, { write: (line: string) => void warnings.push(JSON.parse(line).msg) });
    const writer = new StoreWriter({ store, log });
    const seen: EnrichedReading[] = [];
    const broken: Processor = { name: 'broken', onReadings: () => { throw new Error('boom'); } };
    const healthy: Processor = { name: 'healthy', onReadings: (b) => void seen.push(...b) };
    const source = handSource();
    const ingest = new Ingest({ registry, source, writer, log, processors: [broken, healthy], publishRejected: false });
    await ingest.start();

    await source.deliver('deskprint/hub/plug1/telemetry', JSON.stringify({ power_w: 42.5, ts: T0 }));
    await source.deliver('deskprint/hub/plug1/telemetry', JSON.stringify({ power_w: 40, ts: T0 + 1_000 }));

    expect(ingest.counters.rejectedByReason).toEqual({});
    expect(ingest.counters.rejected).toBe(0);
    expect(ingest.counters.accepted).toBe(2);
    expect(ingest.counters.processorErrors).toEqual({ broken: 2 });
    expect(seen.map((r) => r.value)).toEqual([42.5, 40]);
    const stored = await store.queryRaw({ measurement: 'readings', from: T0, to: T0 + 10_000, where: { site: 'hub' } });
    expect(stored.map((p) => p.fields.power_w)).toEqual([42.5, 40]);
    expect(warnings.filter((w) => w.includes('broken'))).toHaveLength(1);
    await ingest.stop();
    await writer.close();
  });
});
