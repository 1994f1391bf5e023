import net from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConnections, runLoad } from '../../simulators/load.ts';
import { waitFor } from '../support/wait.ts';

let broker: Aedes;
let server: net.Server;
let url: string;

beforeEach(async () => {
  broker = await Aedes.createBroker();
  server = net.createServer(broker.handle as (s: net.Socket) => void);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});

afterEach(async () => {
  await new Promise<void>((resolve) => broker.close(() => resolve()));
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('load generator', () => {
  for (const { rate, qos, devices } of [
    { rate: 2_000, qos: 0 as const, devices: 300 },
    { rate: 1_000, qos: 1 as const, devices: 150 },
  ]) {
    it(`achieves ${rate} msg/s at QoS ${qos} from many connections within 5 %, and the broker gets every message`, async () => {
      const sub = await mqtt.connectAsync(url, { clientId: 'test-counter' });
      const topics = new Set<string>();
      let count = 0;
      sub.on('message', (topic) => {
        count++;
        topics.add(topic);
      });
      await sub.subscribeAsync('deskprint/load/+/telemetry', { qos: 0 });
      const result = await runLoad({ mqttUrl: url, rate, devices, qos, durationS: 3 });
      // At most 8 msg/s per connection by default (deskprint's broker allows 10/s per client).
      expect(result.connections).toBe(defaultConnections(rate, devices));
      expect(rate / result.connections).toBeLessThanOrEqual(10);
      expect(result.errors).toBe(0);
      expect(Math.abs(result.achievedRate - rate) / rate).toBeLessThan(0.05);
      expect(result.completed).toBe(result.published);
      await waitFor(`${result.completed} messages at the subscriber`, () => count >= result.completed, 5_000);
      expect(count).toBe(result.completed);
      expect(topics.size).toBe(devices);
      await sub.endAsync();
    });
  }

  it('reports a lower achieved rate, not a false one, when the target is out of reach', async () => {
    // One connection, QoS 1, a tiny in-flight window: acknowledgements pace the sender.
    const result = await runLoad({ mqttUrl: url, rate: 200_000, devices: 1, connections: 1, qos: 1, durationS: 1, maxInFlight: 1 });
    expect(result.published).toBe(result.completed);
    expect(result.achievedRate).toBeLessThan(200_000 * 0.5);
    expect(result.achievedRate).toBeCloseTo(result.completed / result.elapsedS, 5);
    expect(result.published).toBeLessThan(200_000 * 0.5);
  });
});
