/**
 * Back-pressure from the store to an external broker (changed for bench/RESULTS.md): while
 * the store writer is more than four batches behind a healthy store, ingest holds the MQTT
 * source, which then reads nothing further until the backlog is down to half; a failing
 * store is not waited for. Against a real MQTT broker (aedes on a loopback port) and the
 * real MqttSource: held messages arrive once the hold ends, none lost, in order.
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

describe('StoreWriter.backlog', () => {
  it('asks the source to hold beyond four batches and lets go at half of that', async () => {
    const { store, gates } = gatedStore();
    const writer = new StoreWriter({ store, log: pino({ level: 'silent' }), batchSize: 10, flushMs: 1_000 });
    for (let i = 0; i < 39; i++) writer.enqueue([point(i)], 1);
    expect(writer.backlog()).toBeUndefined();
    writer.enqueue([point(39)], 1);
    const hold = writer.backlog();
    expect(hold).toBeInstanceOf(Promise);
    expect(writer.backlog()).toBe(hold);
    // The first batch (the 10 pending when it filled) acknowledged: 30 left, above half of 40.
    expect(gates[0]!.points).toBe(10);
    gates.shift()!.ack();
    expect(await settled(hold)).toBe(false);
    // The next write takes the 30 left; once stored, the source may go on.
    await waitFor('second batch in flight', () => gates.length === 1, 2_000, 5);
    gates.shift()!.ack();
    expect(await settled(hold)).toBe(true);
    expect(writer.stored).toBe(40);
    expect(writer.backlog()).toBeUndefined();
    await writer.close();
  });

  it('does not hold the source while the store fails: batches are kept and retried', async () => {
    const { store, gates } = gatedStore();
    const writer = new StoreWriter({ store, log: pino({ level: 'silent' }), batchSize: 10, flushMs: 1_000 });
    for (let i = 0; i < 40; i++) writer.enqueue([point(i)], 1);
    const hold = writer.backlog();
    gates.shift()!.fail(new Error('disk full'));
    expect(await settled(hold)).toBe(true);
    for (let i = 40; i < 60; i++) writer.enqueue([point(i)], 1);
    expect(writer.backlog()).toBeUndefined();
    expect(writer.depth).toBe(60);
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
