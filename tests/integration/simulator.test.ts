import { readFileSync } from 'node:fs';
import net from 'node:net';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nativeAdapter } from '../../devices/native/adapter.ts';
import { parseSiteYaml } from '../../devices/site.ts';
import { startSimulator, type SimulatorHandle } from '../../simulators/demo.ts';
import { DeviceFleet } from '../../simulators/fleet.ts';
import { runScenario } from '../../simulators/run.ts';
import { loadScenario } from '../../simulators/scenario.ts';
import { waitFor } from '../support/wait.ts';

const repo = (rel: string) => new URL(`../../${rel}`, import.meta.url).pathname;
const site = parseSiteYaml(readFileSync(repo('sites/demo.yaml'), 'utf8'));

let broker: Aedes;
let server: net.Server;
let url: string;
let watcher: MqttClient;
let received: Array<{ topic: string; payload: string; retain: boolean; at: number }>;
let sim: SimulatorHandle | undefined;

beforeEach(async () => {
  broker = await Aedes.createBroker();
  server = net.createServer(broker.handle as (s: net.Socket) => void);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  received = [];
  watcher = await mqtt.connectAsync(url, { clientId: 'test-watcher' });
  watcher.on('message', (topic, payload, packet) => received.push({ topic, payload: payload.toString(), retain: packet.retain, at: Date.now() }));
  await watcher.subscribeAsync('deskprint/#', { qos: 1 });
});

afterEach(async () => {
  await sim?.stop();
  sim = undefined;
  await watcher.endAsync(true);
  await new Promise<void>((resolve) => broker.close(() => resolve()));
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const statusOf = (device: string) => received.filter((m) => m.topic === `deskprint/demo/${device}/status`).map((m) => m.payload);

describe('demo simulator over real MQTT', () => {
  it('connects one client per device, announces each online and sends valid telemetry within two seconds', async () => {
    const started = Date.now();
    sim = await startSimulator({ site, mqttUrl: url, demo: true, seed: 3 });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(broker.connectedClients).toBe(site.devices.length + 1);
    const meters = site.devices.filter((d) => d.kind !== 'badge_reader');
    await waitFor('telemetry from every metering device', () => meters.every((d) => received.some((m) => m.topic === `deskprint/demo/${d.id}/telemetry`)), 3_000);
    expect(Date.now() - started).toBeLessThan(3_500);
    for (const d of site.devices) expect(statusOf(d.id)).toContain('online');
    const telemetry = received.filter((m) => m.topic.endsWith('/telemetry'));
    for (const m of telemetry) {
      const r = nativeAdapter.decode(m.topic, Buffer.from(m.payload), { receivedAt: m.at });
      expect(r.ok, m.payload).toBe(true);
    }
    const main = telemetry.filter((m) => m.topic === 'deskprint/demo/meter-main-el/telemetry').map((m) => JSON.parse(m.payload) as { power_w: number });
    expect(main[0]!.power_w).toBeGreaterThan(0);
    expect(telemetry.filter((m) => m.payload.includes('"check_in"')).length).toBeGreaterThan(5);
    expect(sim.published).toBeGreaterThanOrEqual(telemetry.length);
  });

  it('leaves every device retained offline on stop, and the broker fires the last will when a device vanishes', async () => {
    sim = await startSimulator({ site, mqttUrl: url, demo: true });
    await waitFor('all devices online', () => site.devices.every((d) => statusOf(d.id).includes('online')), 3_000);

    // Cut plug-n01's connection without a DISCONNECT: the broker publishes its will.
    const victim = (broker as unknown as { clients: Record<string, { conn: { destroy(): void } }> }).clients['deskprint-sim-demo-plug-n01'];
    expect(victim).toBeDefined();
    victim!.conn.destroy();
    await waitFor('the will of plug-n01', () => statusOf('plug-n01').includes('offline'), 3_000);
    // Like firmware, the device reconnects and announces itself again.
    await waitFor('plug-n01 back online', () => statusOf('plug-n01').lastIndexOf('online') > statusOf('plug-n01').indexOf('offline'), 5_000);

    await sim.stop();
    sim = undefined;
    const late = await mqtt.connectAsync(url, { clientId: 'test-late' });
    const retained = new Map<string, string>();
    late.on('message', (topic, payload) => retained.set(topic, payload.toString()));
    await late.subscribeAsync('deskprint/demo/+/status');
    await waitFor('retained status of every device', () => retained.size === site.devices.length, 3_000);
    expect(new Set(retained.values())).toEqual(new Set(['offline']));
    await late.endAsync();
  });
});

describe('scenario run over real MQTT', () => {
  it('publishes a simulated day at max speed through per-device clients, every message arriving', async () => {
    const scenario = loadScenario(repo('sites/scenarios/demo.yaml'));
    const fleet = await DeviceFleet.connect({ url, site: scenario.site.id, devices: scenario.site.devices.map((d) => d.id) });
    const stats = await runScenario({
      scenario,
      from: Date.parse('2026-01-07T00:00:00Z'),
      to: Date.parse('2026-01-08T00:00:00Z'),
      speed: 'max',
      sink: fleet,
    });
    const telemetry = () => received.filter((m) => m.topic.endsWith('/telemetry'));
    await waitFor(`${stats.messages} telemetry messages`, () => telemetry().length >= stats.messages, 10_000);
    await fleet.close();
    expect(telemetry().length).toBe(stats.messages);
    // Gateway batching: about one array per device per simulated hour.
    expect(stats.messages).toBeLessThan(scenario.site.devices.length * 24 + 300);
    const samples = telemetry().reduce((n, m) => n + (m.payload.startsWith('[') ? (JSON.parse(m.payload) as unknown[]).length : 1), 0);
    expect(samples).toBe(stats.samples);
    const decodedAtEnd = telemetry().map((m) => nativeAdapter.decode(m.topic, Buffer.from(m.payload), { receivedAt: m.at }));
    expect(decodedAtEnd.every((r) => r.ok)).toBe(true);
  });
});

describe('device clients under a broker rate limit', () => {
  it('paces each client to its rate after the burst, keeping every message in order', async () => {
    const fleet = await DeviceFleet.connect({ url, site: 'demo', devices: ['plug-n01', 'plug-n02'], rateLimit: { perSecond: 20, burst: 5 } });
    const started = Date.now();
    const sends: Array<Promise<void> | void> = [];
    for (let i = 0; i < 25; i++) {
      for (const device of ['plug-n01', 'plug-n02']) {
        sends.push(fleet.publish({ at: i, device, topic: `deskprint/demo/${device}/telemetry`, payload: `{"ts":${1767600000000 + i},"power_w":${i}}`, retain: false, qos: 0 }));
      }
    }
    await Promise.all(sends);
    const elapsed = Date.now() - started;
    // 25 messages per client: 5 at once, 20 more at 20/s ≈ 1 s; the two clients in parallel.
    expect(elapsed).toBeGreaterThan(900);
    expect(elapsed).toBeLessThan(2_500);
    await waitFor('50 paced messages', () => received.filter((m) => m.topic.endsWith('/telemetry')).length === 50, 3_000);
    for (const device of ['plug-n01', 'plug-n02']) {
      const powers = received.filter((m) => m.topic === `deskprint/demo/${device}/telemetry`).map((m) => (JSON.parse(m.payload) as { power_w: number }).power_w);
      expect(powers).toEqual(Array.from({ length: 25 }, (_, i) => i));
    }
    await fleet.close();
  });
});
