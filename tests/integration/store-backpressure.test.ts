/**
 * Durability as back-pressure (issue 17): the store writer answers each point with a promise
 * that resolves once the store acknowledged it, and the MQTT source reads nothing further
 * (nor acknowledges) until the message's promise settles. Against a real MQTT broker (aedes
 * on a loopback port) and the real MqttSource: held messages arrive once the hold ends, none
 * lost, in order.
 */
import net from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { MqttSource, type InboundMessage } from '../../ingest/sources.ts';
import { StoreWriter } from '../../ingest/writer.ts';
import type { Point, StoreHealth, TimeSeriesStore } from '../../store/types.ts';
import { waitFor } from '../support/wait.ts';

/** A store whose writes wait until the test acknowledges them (or fail on demand). */
function gatedStore() {
  const gates: { points: number; ack: () => void; fail: (e: Error) => void }[] = [];
  const store: TimeSeriesStore = {
    kind: 'sqlite',
    async init() {},
    write: (points: readonly Point[]) => new Promise<void>((ack, fail) => gates.push({ points: points.length, ack, fail })),
    async queryAggregate() {
      return [];
    },
    async queryRaw() {
      return [];
    },
    health: (): StoreHealth => ({ kind: 'sqlite', state: 'ok', queueDepth: 0, spoolBytes: 0, written: 0, dropped: {}, lastError: null }),
    async close() {},
  };
  return { store, gates };
}

const point = (i: number): Point => ({ measurement: 'readings', tags: { site: 's', device: 'd' }, fields: { power_w: i }, ts: i });
const settled = async (p: Promise<void> | undefined) => {
  let done = false;
  void p?.then(() => (done = true));
  await new Promise((r) => setTimeout(r, 20));
  return done;
};

describe('StoreWriter durability', () => {
  it('resolves a point’s promise only once the store acknowledged its batch, gathering what comes meanwhile into the next', async () => {
    const { store, gates } = gatedStore();
    const writer = new StoreWriter({ store, log: pino({ level: 'silent' }) });
    const first = writer.enqueue([point(0)], 1);
    await waitFor('first batch in flight', () => gates.length === 1, 2_000, 5);
    // Arriving while the first write is in flight: the next batch, one write for all three.
    const later = [1, 2, 3].map((i) => writer.enqueue([point(i)], 1));
    expect(later[0]).toBe(later[2]);
    expect(writer.settled()).toBe(later[2]);
    expect(await settled(first)).toBe(false);
    gates.shift()!.ack();
    expect(await settled(first)).toBe(true);
    expect(await settled(later[0])).toBe(false);
    await waitFor('second batch in flight', () => gates.length === 1, 2_000, 5);
    expect(gates[0]!.points).toBe(3);
    gates.shift()!.ack();
    expect(await settled(later[0])).toBe(true);
    expect(writer.stored).toBe(4);
    expect(writer.settled()).toBeUndefined();
    await writer.close();
  });

  it('keeps its senders waiting while the store fails, and resolves them once the batch is stored', async () => {
    const { store, gates } = gatedStore();
    const writer = new StoreWriter({ store, log: pino({ level: 'silent' }) });
    const durable = writer.enqueue([point(0), point(1)], 2);
    await waitFor('first write', () => gates.length === 1, 2_000, 5);
    gates.shift()!.fail(new Error('disk full'));
    expect(await settled(durable)).toBe(false);
    expect(writer.failing).toBe(true);
    const behind = writer.enqueue([point(2)], 1);
    // The retry carries the failed batch again, before anything that came after it.
    await waitFor('the retry', () => gates.length === 1, 5_000, 5);
    expect(gates[0]!.points).toBe(2);
    gates.shift()!.ack();
    expect(await settled(durable)).toBe(true);
    expect(await settled(behind)).toBe(false);
    await waitFor('the next batch', () => gates.length === 1, 5_000, 5);
    gates.shift()!.ack();
    expect(await settled(behind)).toBe(true);
    expect(writer.stored).toBe(3);
    expect(writer.depth).toBe(0);
  });
});

describe('MqttSource hold', () => {
  let broker: Aedes | undefined;
  let server: net.Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (broker ? broker.close(() => r()) : r()));
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  it('reads nothing further while the handler holds, then delivers every held message in order', async () => {
    broker = await Aedes.createBroker();
    server = net.createServer(broker.handle as (s: net.Socket) => void);
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const source = new MqttSource({ url, clientId: 'hold-test' });
    const got: string[] = [];
    let release!: () => void;
    const hold = new Promise<void>((r) => (release = r));
    await source.start(['t/#'], (m: InboundMessage) => {
      got.push(m.payload.toString());
      return got.length === 1 ? hold : undefined;
    });
    const pub = await mqtt.connectAsync(url, { clientId: 'hold-publisher' });
    try {
      for (let i = 0; i < 20; i++) await pub.publishAsync('t/x', String(i), { qos: 1 });
      await waitFor('the first message', () => got.length >= 1, 5_000, 5);
      await new Promise((r) => setTimeout(r, 100));
      expect(got).toEqual(['0']);
      release();
      await waitFor('all 20 messages', () => got.length === 20, 5_000, 5);
      expect(got).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    } finally {
      await pub.endAsync();
      await source.stop();
    }
  });
});
