/**
 * The bench's load generator (bench/loadgen.ts) against a real MQTT broker (aedes on a
 * loopback port): every message it counts as sent arrives, on its device's telemetry topic,
 * as a payload deskprint's native adapter accepts; a paced run keeps its rate; a refused
 * connection is an error, not a silent zero.
 */
import net from 'node:net';
import { Aedes, type AedesOptions } from 'aedes';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nativeAdapter } from '../../../devices/native/adapter.ts';
import { LoadFleet } from '../../../bench/loadgen.ts';
import { waitFor } from '../../support/wait.ts';

let broker: Aedes | undefined;
let server: net.Server | undefined;

async function startBroker(opts: AedesOptions = {}): Promise<{ port: number; received: { topic: string; payload: string }[] }> {
  broker = await Aedes.createBroker(opts);
  const received: { topic: string; payload: string }[] = [];
  broker.subscribe('deskprint/#', (packet, cb) => {
    received.push({ topic: packet.topic, payload: packet.payload.toString() });
    cb();
  }, () => {});
  server = net.createServer(broker.handle as (s: net.Socket) => void);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, received };
}

afterEach(async () => {
  await new Promise<void>((r) => (broker ? broker.close(() => r()) : r()));
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  broker = undefined;
  server = undefined;
});

const devices = Array.from({ length: 20 }, (_, i) => ({ site: 'bench-001', device: `plug-${String(i + 1).padStart(5, '0')}` }));

describe('bench load generator', () => {
  for (const [qos, perWrite] of [[0, 32], [1, 32], [0, 1], [1, 1]] as const) {
    it(`QoS ${qos}, ${perWrite} a write, as fast as the broker takes them: every message arrives as valid native telemetry`, async () => {
      const { port, received } = await startBroker();
      const fleet = await LoadFleet.connect({ host: '127.0.0.1', port, devices, connections: 5 });
      // Socket writes that start with a PUBLISH: one per message, or one per batch.
      const write = vi.spyOn(net.Socket.prototype, 'write');
      try {
        expect(fleet.connections).toBe(5);
        const r = await fleet.publish({ qos, rate: 'max', durationS: 30, count: 2_000, perWrite });
        expect(r).toMatchObject({ sent: 2_000, acked: 2_000, lost: 0 });
        const publishWrites = write.mock.calls.filter(([chunk]) => Buffer.isBuffer(chunk) && chunk[0]! >> 4 === 3).length;
        if (perWrite === 1) expect(publishWrites).toBe(2_000);
        else expect(publishWrites).toBeLessThanOrEqual(Math.ceil(2_000 / perWrite) + 5);
        await waitFor('2,000 messages at the broker', () => received.length >= 2_000, 5_000, 10);
        expect(received).toHaveLength(2_000);
        expect(new Set(received.map((m) => m.topic))).toEqual(new Set(devices.map((d) => `deskprint/${d.site}/${d.device}/telemetry`)));
        const counters = new Map<string, number>();
        for (const m of received) {
          const result = nativeAdapter.decode(m.topic, Buffer.from(m.payload), { receivedAt: Date.now() });
          if (!result.ok) throw new Error(`${m.topic}: ${result.message}`);
          expect(result.readings.map((x) => x.metric).sort()).toEqual(['energy_wh', 'power_w']);
          // Each device's energy counter only rises.
          const wh = result.readings.find((x) => x.metric === 'energy_wh')!.value;
          expect(wh).toBeGreaterThan(counters.get(m.topic) ?? 0);
          counters.set(m.topic, wh);
        }
      } finally {
        write.mockRestore();
        await fleet.close();
      }
    });
  }

  it('paced at 1,000 msg/s for 1.5 s: sends that many, spread over every device', async () => {
    const { port, received } = await startBroker();
    const fleet = await LoadFleet.connect({ host: '127.0.0.1', port, devices, connections: 20 });
    try {
      const r = await fleet.publish({ qos: 0, rate: 1_000, durationS: 1.5 });
      expect(r.sent).toBeGreaterThanOrEqual(1_450);
      expect(r.sent).toBeLessThanOrEqual(1_500);
      await waitFor('every paced message', () => received.length >= r.sent, 5_000, 10);
      const perDevice = new Map<string, number>();
      for (const m of received) perDevice.set(m.topic, (perDevice.get(m.topic) ?? 0) + 1);
      // Round-robin: each device publishes every devices/rate seconds.
      expect(Math.max(...perDevice.values()) - Math.min(...perDevice.values())).toBeLessThanOrEqual(1);
    } finally {
      await fleet.close();
    }
  });

  it('fails to connect, with the CONNACK code, when the broker refuses', async () => {
    const { port } = await startBroker({
      authenticate: (_client, _user, _pass, cb) => cb(Object.assign(new Error('no'), { returnCode: 5 }), false),
    });
    await expect(LoadFleet.connect({ host: '127.0.0.1', port, devices, connections: 2 })).rejects.toThrow(/CONNACK return code 5/);
  });

  it('leaves no connection open when one of a batch is refused after the others were accepted', async () => {
    const { port } = await startBroker({
      // The last client is refused, later than the others are accepted.
      authenticate: (client, _user, _pass, cb) => (client.id.endsWith('-3') ? setTimeout(() => cb(Object.assign(new Error('no'), { returnCode: 5 }), false), 200) : cb(null, true)),
    });
    await expect(LoadFleet.connect({ host: '127.0.0.1', port, devices, connections: 4 })).rejects.toThrow(/CONNACK return code 5/);
    await waitFor('the accepted connections to close', () => broker!.connectedClients === 0, 5_000, 10);
  });
});
