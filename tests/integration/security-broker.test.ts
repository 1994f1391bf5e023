/**
 * The embedded broker's security against the running process (real aedes over TCP,
 * MQTT.js clients): device credentials, the ACL, anonymous refusal outside --demo, the
 * packet-size bound and the per-client rate limit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDeskprint, type DeskprintHandle } from '../../cli/start.ts';
import { runDevices } from '../../cli/commands/devices.ts';
import { REVOCATION_CHECK_MS } from '../../broker/auth.ts';
import { waitFor } from '../support/wait.ts';

let dp: DeskprintHandle;
let dataDir: string;
const clients: MqttClient[] = [];
const secrets: Record<string, string> = {};
/** Added to the broker's clock, to move past the revocation re-check without waiting. */
let skewMs = 0;

/** Rate limit for this suite: 20 messages at once, then 20 per second; a replayed backlog of up to 100 QoS 1 messages a connection. */
const RATE = { perSecond: 20, burst: 20, replay: 100 };

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'deskprint-sec-broker-'));
  dp = await startDeskprint(
    {
      httpPort: 0, mqttPort: 0, host: '127.0.0.1', dataDir, logLevel: 'silent', buildDashboard: false,
      maxPayloadBytes: 64 * 1024, mqttMaxPacketBytes: 256 * 1024, mqttRateLimit: RATE.perSecond, mqttRateBurst: RATE.burst, mqttReplayBurst: RATE.replay,
    },
    { authClock: () => Date.now() + skewMs },
  );
  for (const device of ['plug-n01', 'plug-n02', 'plug-n03', 'plug-n04', 'plug-n05']) {
    secrets[device] = (await dp.accounts.addCredential({ username: device, type: 'device', site: 'demo' })).secret;
  }
  secrets.z2m = (await dp.accounts.addCredential({ username: 'z2m', type: 'bridge', site: 'demo', scopes: ['zigbee2mqtt/#'] })).secret;
  secrets.ops = (await dp.accounts.addCredential({ username: 'ops', type: 'service', site: null })).secret;
  secrets['demo-gw'] = (await dp.accounts.addCredential({ username: 'demo-gw', type: 'gateway', site: 'demo' })).secret;
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
});

afterAll(async () => {
  await dp?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function connect(username: string | undefined, opts: IClientOptions = {}): Promise<MqttClient> {
  const p = mqtt.connectAsync(dp.mqttUrl, {
    clientId: `${username ?? 'anon'}-${Math.random().toString(16).slice(2, 8)}`,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    ...(username !== undefined ? { username, password: secrets[username] ?? 'nope' } : {}),
    ...opts,
  });
  return p.then((c) => {
    clients.push(c);
    return c;
  });
}

/** SUBACK return codes (128 = refused), whether or not MQTT.js treats a refusal as an error. */
async function granted(c: MqttClient, filters: string[]): Promise<number[]> {
  try {
    return (await c.subscribeAsync(filters)).map((g) => g.qos);
  } catch (err) {
    const packet = (err as { packet?: { granted?: number[] } }).packet;
    if (!packet?.granted) throw err;
    return packet.granted;
  }
}

const closed = (c: MqttClient) => new Promise<void>((resolve) => (c.connected ? c.once('close', () => resolve()) : resolve()));
const received = () => dp.ingest.counters.received;

describe('authentication', () => {
  it('refuses anonymous connections outside --demo', async () => {
    await expect(connect(undefined)).rejects.toThrow(/Not authorized/);
    expect(dp.brokerAuth!.counters.refusedConnects).toBeGreaterThan(0);
  });

  it('refuses a wrong secret, a revoked credential and a rotated-out secret', async () => {
    await expect(connect('plug-n01', { password: 'guess' })).rejects.toThrow(/Bad username or password/);
    const { secret } = await dp.accounts.addCredential({ username: 'plug-s01', type: 'device', site: 'demo' });
    secrets['plug-s01'] = secret;
    await (await connect('plug-s01')).endAsync();
    const next = await dp.accounts.rotateCredential('plug-s01');
    await expect(connect('plug-s01')).rejects.toThrow(/Bad username or password/);
    secrets['plug-s01'] = next;
    await (await connect('plug-s01')).endAsync();
    dp.accounts.revokeCredential('plug-s01');
    await expect(connect('plug-s01')).rejects.toThrow(/Bad username or password/);
  });

  it('does not let one credential take over another client’s session by client id', async () => {
    await connect('plug-n01', { clientId: 'plug-n01-session' });
    await expect(connect('plug-n02', { clientId: 'plug-n01-session' })).rejects.toThrow(/Identifier rejected/);
  });
});

describe('credentials managed while running', () => {
  it('accepts a device added with `deskprint devices add --kind` and registers it on connect', async () => {
    const out: string[] = [];
    const code = await runDevices(['add', '--site', 'demo', '--kind', 'desk_occupancy', '--desk', 'n02', '--id', 'occ-added'], {
      out: (l) => out.push(l), err: (l) => out.push(l), readStdin: async () => '', env: { DESKPRINT_DATA_DIR: dataDir },
    });
    expect(code).toBe(0);
    secrets['occ-added'] = out.find((l) => l.startsWith('MQTT password (shown once): '))!.split(': ')[1]!;
    expect(dp.registry.device('demo', 'occ-added')).toBeUndefined();
    const device = await connect('occ-added');
    expect(dp.registry.device('demo', 'occ-added')).toMatchObject({ kind: 'desk_occupancy', desk: 'n02', zone: 'north' });
    const readings = dp.ingest.counters.readings;
    await device.publishAsync('deskprint/demo/occ-added/telemetry', JSON.stringify({ occupied: true }), { qos: 1 });
    await waitFor('the new device’s reading', () => dp.ingest.counters.readings > readings, 5_000, 20);
  });

  it('counts the energy of a meter added while running in the footprint, without a restart', async () => {
    const out: string[] = [];
    const code = await runDevices(['add', '--site', 'demo', '--kind', 'desk_plug', '--desk', 'n03', '--carrier', 'electricity', '--id', 'plug-added'], {
      out: (l) => out.push(l), err: (l) => out.push(l), readStdin: async () => '', env: { DESKPRINT_DATA_DIR: dataDir },
    });
    expect(code).toBe(0);
    secrets['plug-added'] = out.find((l) => l.startsWith('MQTT password (shown once): '))!.split(': ')[1]!;
    const device = await connect('plug-added');
    const kwhToday = () => dp.footprint.today('demo')?.by_carrier.electricity ?? 0;
    const before = kwhToday();
    const now = Date.now();
    // A counter read twice, 150 Wh apart: today's electricity grows by 0.15 kWh.
    await device.publishAsync('deskprint/demo/plug-added/telemetry', JSON.stringify({ energy_wh: 1_000, ts: now - 120_000 }), { qos: 1 });
    await device.publishAsync('deskprint/demo/plug-added/telemetry', JSON.stringify({ energy_wh: 1_150, ts: now - 60_000 }), { qos: 1 });
    await waitFor('the added meter’s energy in today’s footprint', () => kwhToday() - before > 0.1, 15_000, 100);
    expect(kwhToday() - before).toBeCloseTo(0.15, 6);
  });

  it('disconnects a connected device soon after its credential is revoked', async () => {
    const { secret } = await dp.accounts.addCredential({ username: 'plug-r01', type: 'device', site: 'demo' });
    secrets['plug-r01'] = secret;
    const device = await connect('plug-r01');
    await device.publishAsync('deskprint/demo/plug-r01/telemetry', JSON.stringify({ power_w: 1 }), { qos: 1 });
    dp.accounts.revokeCredential('plug-r01');
    skewMs += REVOCATION_CHECK_MS + 1;
    const gone = closed(device);
    device.publish('deskprint/demo/plug-r01/telemetry', JSON.stringify({ power_w: 2 }));
    await gone;
    await expect(connect('plug-r01')).rejects.toThrow(/Bad username or password/);
  });
});

describe('publishing', () => {
  it('accepts a device’s own telemetry', async () => {
    const before = received();
    const device = await connect('plug-n01');
    await device.publishAsync('deskprint/demo/plug-n01/telemetry', JSON.stringify({ power_w: 42 }), { qos: 1 });
    await waitFor('telemetry received', () => received() > before, 5_000, 20);
    expect(device.connected).toBe(true);
  });

  it('disconnects a device that publishes under another device’s topic, and nothing reaches ingest', async () => {
    const before = received();
    const device = await connect('plug-n01');
    const gone = closed(device);
    device.publish('deskprint/demo/plug-n02/telemetry', JSON.stringify({ power_w: 999 }));
    await gone;
    // A legitimate message afterwards proves the refused one was not merely late.
    const other = await connect('plug-n02');
    await other.publishAsync('deskprint/demo/plug-n02/telemetry', JSON.stringify({ power_w: 10 }), { qos: 1 });
    await waitFor('the legitimate message', () => received() > before, 5_000, 20);
    expect(received()).toBe(before + 1);
  });

  it('keeps devices out of derived and $SYS topics', async () => {
    for (const topic of ['deskprint/_derived/demo/live', '$SYS/x']) {
      const device = await connect('plug-n03');
      const gone = closed(device);
      device.publish(topic, '{}');
      await gone;
    }
  });

  it('confines a bridge to its base topic', async () => {
    const bridge = await connect('z2m');
    await bridge.publishAsync('zigbee2mqtt/desk-lamp', JSON.stringify({ state: 'ON' }), { qos: 1 });
    expect(bridge.connected).toBe(true);
    const gone = closed(bridge);
    bridge.publish('deskprint/demo/plug-n01/telemetry', JSON.stringify({ power_w: 5 }));
    await gone;
  });
});

describe('a site gateway (a site-local broker’s bridge)', () => {
  it('publishes under its own site’s gateway prefix, and reaches ingest', async () => {
    const before = received();
    const gateway = await connect('demo-gw');
    await gateway.publishAsync('deskprint/demo/_gw/zigbee2mqtt/desk-lamp', JSON.stringify({ state: 'ON' }), { qos: 1 });
    await waitFor('the bridged message at ingest', () => received() > before, 5_000, 20);
    expect(gateway.connected).toBe(true);
  });

  it('is disconnected for publishing under another site, as a native device, or outside the prefix, and nothing reaches ingest', async () => {
    for (const topic of ['deskprint/elsewhere/_gw/zigbee2mqtt/desk-lamp', 'deskprint/demo/plug-n01/telemetry', 'deskprint/demo/_gwx/zigbee2mqtt/desk-lamp', 'zigbee2mqtt/desk-lamp', 'deskprint/_derived/demo/live']) {
      const before = received();
      const gateway = await connect('demo-gw');
      const gone = closed(gateway);
      gateway.publish(topic, JSON.stringify({ power_w: 5 }), { qos: 1 });
      await gone;
      // A legitimate message afterwards proves the refused one was not merely late.
      const again = await connect('demo-gw');
      await again.publishAsync('deskprint/demo/_gw/zigbee2mqtt/desk-lamp', JSON.stringify({ state: 'OFF' }), { qos: 1 });
      await waitFor('the legitimate message', () => received() > before, 5_000, 20);
      expect(received(), topic).toBe(before + 1);
    }
  });

  it('subscribes to nothing', async () => {
    const gateway = await connect('demo-gw');
    expect(await granted(gateway, ['deskprint/demo/_gw/#', 'deskprint/#', '#'])).toEqual([128, 128, 128]);
  });
});

describe('subscribing', () => {
  it('refuses `#` and other devices’ topics to devices, and keeps the connection', async () => {
    const device = await connect('plug-n01');
    expect(await granted(device, ['#', 'deskprint/demo/plug-n02/telemetry', 'deskprint/+/+/+'])).toEqual([128, 128, 128]);
    expect(device.connected).toBe(true);
  });

  it('gives a bridge its own scope only, and a service everything', async () => {
    const bridge = await connect('z2m');
    expect(await granted(bridge, ['zigbee2mqtt/+/set', 'zigbee2mqtt/#', 'zigbee2mqtt', '#', 'deskprint/#'])).toEqual([0, 0, 0, 128, 128]);
    expect(bridge.connected).toBe(true);
    const service = await connect('ops');
    expect(await granted(service, ['deskprint/#'])).toEqual([0]);
    // The service sees device topics as well as ingest's derived ones (retained device activity).
    const seen: string[] = [];
    service.on('message', (topic) => seen.push(topic));
    const device = await connect('plug-n04');
    await device.publishAsync('deskprint/demo/plug-n04/telemetry', JSON.stringify({ power_w: 7 }), { qos: 1 });
    await waitFor('the device’s message at the service', () => seen.includes('deskprint/demo/plug-n04/telemetry'), 5_000, 20);
  });
});

describe('limits', () => {
  it('drops a connection that sends an oversize packet; other clients carry on', async () => {
    const bystander = await connect('plug-n02');
    const big = await connect('plug-n01');
    const gone = closed(big);
    big.publish('deskprint/demo/plug-n01/telemetry', Buffer.alloc(512 * 1024, 0x61));
    await gone;
    const before = received();
    await bystander.publishAsync('deskprint/demo/plug-n02/telemetry', JSON.stringify({ power_w: 11 }), { qos: 1 });
    await waitFor('the bystander’s message', () => received() > before, 5_000, 20);
    expect(bystander.connected).toBe(true);
  });

  it('disconnects a flooding device and refuses it for a while; a device at a normal rate is unaffected', async () => {
    const watcher = await connect('ops');
    let steadyArrived = 0;
    let floodArrived = 0;
    watcher.on('message', (topic) => (topic.includes('plug-n05') ? steadyArrived++ : floodArrived++));
    await watcher.subscribeAsync(['deskprint/demo/plug-n05/telemetry', 'deskprint/demo/plug-n03/telemetry']);
    const steady = await connect('plug-n05');
    const flooder = await connect('plug-n03');
    const gone = closed(flooder);
    let steadySent = 0;
    const ticker = setInterval(() => {
      steadySent++;
      steady.publish('deskprint/demo/plug-n05/telemetry', JSON.stringify({ power_w: 20 + steadySent }));
    }, 100); // 10 msg/s, half the limit
    let floodSent = 0;
    try {
      for (; floodSent < 500 && flooder.connected; floodSent++) flooder.publish('deskprint/demo/plug-n03/telemetry', JSON.stringify({ power_w: floodSent }));
      await gone;
      expect(dp.brokerAuth!.counters.floodDisconnects).toBeGreaterThan(0);
      await expect(connect('plug-n03')).rejects.toThrow(/Server unavailable/);
      await new Promise((r) => setTimeout(r, 1_000));
    } finally {
      clearInterval(ticker);
    }
    expect(steady.connected).toBe(true);
    // Every steady message arrived (QoS 0 over loopback loses nothing); of the flood, only about the burst.
    await waitFor('the steady device’s messages', () => steadyArrived === steadySent, 5_000, 20);
    expect(steadySent).toBeGreaterThanOrEqual(10);
    // Under load the burst may still be on its way to the watcher: wait for it, then check no more came.
    await waitFor('the flood’s burst', () => floodArrived >= RATE.burst - 1, 5_000, 20);
    await new Promise((r) => setTimeout(r, 200));
    expect(floodArrived).toBeLessThan(RATE.burst + 5);
  });

  it('takes a reconnecting device’s QoS 1 backlog whole, and still cuts off a flood once the replay allowance is spent', async () => {
    // A device back from an outage sends what it kept (here 4 × the burst) at once.
    const device = await connect('plug-n04');
    const replayedBefore = dp.brokerAuth!.counters.replayed;
    const floodsBefore = dp.brokerAuth!.counters.floodDisconnects;
    const base = Date.now() - 60_000;
    await Promise.all(Array.from({ length: 4 * RATE.burst }, (_, i) => device.publishAsync('deskprint/demo/plug-n04/telemetry', JSON.stringify({ power_w: i, ts: base + i }), { qos: 1 })));
    expect(device.connected).toBe(true);
    expect(dp.brokerAuth!.counters.floodDisconnects).toBe(floodsBefore);
    expect(dp.brokerAuth!.counters.replayed - replayedBefore).toBeGreaterThanOrEqual(3 * RATE.burst - 5);
    // Going on at flood rate past the allowance is a flood all the same.
    const gone = closed(device);
    for (let i = 0; i < 2 * RATE.replay && device.connected; i++) device.publish('deskprint/demo/plug-n04/telemetry', JSON.stringify({ power_w: i }), { qos: 1 });
    await gone;
    expect(dp.brokerAuth!.counters.floodDisconnects).toBe(floodsBefore + 1);
  });
});
