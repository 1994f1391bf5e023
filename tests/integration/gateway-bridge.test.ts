/**
 * Foreign ecosystems reach a site's owner through a Mosquitto bridge (issue 20 item 3): a
 * "site" Mosquitto carrying the documented bridge configuration
 * (docker/mosquitto/site-gateway/conf.d/deskprint-bridge.conf, the same text as in
 * docs/devices.md) forwards Zigbee2MQTT, Shelly, Tasmota and ChirpStack topics over TLS to a
 * "central" Mosquitto under deskprint/<site>/_gw/, where a `deskprint ingest` process reads
 * them. Real parts: two Debian Mosquitto processes on loopback, deskprint's ingest, its SQLite
 * file read directly. While the central broker is down the site broker queues, and nothing
 * published at the site in the meantime is lost.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startDeskprint, type DeskprintHandle } from '../../cli/start.ts';
import { freePort } from '../support/influxd.ts';
import { launchMosquitto, type MosquittoProcess } from '../support/mosquitto.ts';
import { readStoredPoints, type StoredPoint } from '../support/sqlite-file.ts';
import { waitFor } from '../support/wait.ts';

const BRIDGE_TEMPLATE = path.join(ROOT, 'docker/mosquitto/site-gateway/conf.d/deskprint-bridge.conf');

const SITES = {
  office: `
id: office
name: Bridged Office
timezone: Europe/London
area_m2: 200
factors:
  - { name: test, year: 2026, basis: test, source: test, electricity: 0.2 }
zones:
  - { id: main, name: Main room, area_m2: 200 }
desks:
  - { id: d1, zone: main }
  - { id: d2, zone: main }
  - { id: d3, zone: main }
devices:
  - { id: plug-d1, kind: desk_plug, desk: d1, carrier: electricity, foreign: { ecosystem: zigbee2mqtt, id: desk-d1-plug } }
  - { id: plug-d2, kind: desk_plug, desk: d2, carrier: electricity, foreign: { ecosystem: shelly, id: "shellyplus1pm-a8032ab12345:switch:0" } }
  - { id: plug-d3, kind: desk_plug, desk: d3, carrier: electricity, foreign: { ecosystem: tasmota, id: tasmota_A1B2C3 } }
  - { id: lights-main, kind: zone_lighting, zone: main, carrier: electricity, foreign: { ecosystem: shelly, id: "shelly1pm-B1C2D3:relay:0" } }
  - { id: occ-d1, kind: desk_occupancy, desk: d1, foreign: { ecosystem: chirpstack, id: 24e124710c451234 } }
`,
  annex: `
id: annex
name: Annex
timezone: Europe/London
area_m2: 50
factors:
  - { name: test, year: 2026, basis: test, source: test, electricity: 0.2 }
zones:
  - { id: z, name: Z, area_m2: 50 }
desks:
  - { id: a1, zone: z }
devices:
  - { id: plug-a1, kind: desk_plug, desk: a1, carrier: electricity, foreign: { ecosystem: zigbee2mqtt, id: annex-a1-plug } }
`,
};

const GATEWAY = { username: 'office-gw', password: 'office-gw-secret-1' };
const INGEST = { username: 'deskprint', password: 'ingest-secret-123' };

let workDir: string;
let dataDir: string;
let centralConf: string;
let centralTlsPort: number;
let centralPort: number;
let central: MosquittoProcess;
let site: MosquittoProcess;
let dp: DeskprintHandle;
let gateways: MqttClient;
let sitePort: number;
let sitePaths: string[];
let cert: string;
let bridgeUp: () => boolean;
let key: string;

/** A directory mosquitto's own user can write (mkdir's mode is narrowed by the umask). */
function writableDir(dir: string): void {
  mkdirSync(dir);
  chmodSync(dir, 0o777);
}

/** A throw-away certificate for 127.0.0.1, readable by mosquitto's own user. */
function certificate(name: string): { cert: string; key: string } {
  const files = { cert: path.join(workDir, `${name}.crt`), key: path.join(workDir, `${name}.key`) };
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', files.key, '-out', files.cert], { stdio: 'ignore' });
  chmodSync(files.key, 0o644);
  return files;
}

/** A site's Mosquitto: its own listener (anonymous, loopback) and persistence, and the recipe's bridge file. */
async function startSiteBroker(name: string, bridge: string): Promise<{ broker: MosquittoProcess; port: number }> {
  const dir = path.join(workDir, name);
  for (const d of [dir, path.join(dir, 'db'), path.join(dir, 'conf.d')]) writableDir(d);
  writeFileSync(path.join(dir, 'conf.d', 'deskprint-bridge.conf'), bridge);
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  writeFileSync(conf, [
    'persistence true',
    `persistence_location ${path.join(dir, 'db')}/`,
    'log_dest stderr',
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    `include_dir ${path.join(dir, 'conf.d')}`,
    '',
  ].join('\n'));
  return { broker: await launchMosquitto(conf, port), port };
}

/** The documented bridge configuration for one site, with this test's central broker filled in. */
function bridgeConfig(values: { site: string; centralHost: string; username: string; password: string; ca: string }): string {
  const conf = readFileSync(BRIDGE_TEMPLATE, 'utf8')
    .replaceAll('<site>', values.site)
    .replaceAll('<central-host>:8883', values.centralHost)
    .replaceAll('<gateway-username>', values.username)
    .replaceAll('<gateway-password>', values.password)
    .replaceAll('/mosquitto/config/central-ca.crt', values.ca);
  const unfilled = conf.split('\n').filter((l) => !l.startsWith('#') && l.includes('<'));
  if (unfilled.length) throw new Error(`placeholders left in the bridge configuration: ${unfilled.join('; ')}`);
  return conf;
}

beforeAll(async () => {
  workDir = mkdtempSync(path.join(os.tmpdir(), 'deskprint-gateway-bridge-'));
  // mosquitto started as root drops to its own user: it must read and write here.
  chmodSync(workDir, 0o777);
  ({ cert, key } = certificate('central'));
  dataDir = path.join(workDir, 'data');
  writableDir(path.join(workDir, 'central-db'));

  // The central broker: TLS for the bridge (a throw-away certificate for 127.0.0.1), plain
  // loopback for ingest, users and the documented ACL of a site gateway.
  const passwd = path.join(workDir, 'central.passwd');
  execFileSync('mosquitto_passwd', ['-c', '-b', passwd, INGEST.username, INGEST.password]);
  execFileSync('mosquitto_passwd', ['-b', passwd, GATEWAY.username, GATEWAY.password]);
  chmodSync(passwd, 0o644);
  const acl = path.join(workDir, 'central.acl');
  writeFileSync(acl, `user ${INGEST.username}\ntopic readwrite #\n\nuser ${GATEWAY.username}\ntopic write deskprint/office/_gw/#\n`, { mode: 0o644 });
  centralPort = await freePort();
  centralTlsPort = await freePort();
  centralConf = path.join(workDir, 'central.conf');
  writeFileSync(centralConf, [
    'per_listener_settings false',
    'allow_anonymous false',
    `password_file ${passwd}`,
    `acl_file ${acl}`,
    // As docker/mosquitto/mosquitto.conf: sessions and queues survive a restart.
    'persistence true',
    `persistence_location ${path.join(workDir, 'central-db')}/`,
    'max_inflight_messages 1000',
    'max_queued_messages 1000000',
    'log_dest stderr',
    `listener ${centralPort} 127.0.0.1`,
    `listener ${centralTlsPort} 127.0.0.1`,
    `certfile ${cert}`,
    `keyfile ${key}`,
    '',
  ].join('\n'));
  central = await launchMosquitto(centralConf, centralPort);

  const office = await startSiteBroker('office-site', bridgeConfig({ site: 'office', centralHost: `127.0.0.1:${centralTlsPort}`, ...GATEWAY, ca: cert }));
  site = office.broker;
  sitePort = office.port;

  sitePaths = Object.entries(SITES).map(([id, yaml]) => {
    const p = path.join(workDir, `${id}.yaml`);
    writeFileSync(p, yaml);
    return p;
  });
  dp = await startDeskprint({
    role: 'ingest',
    mqttUrl: `mqtt://127.0.0.1:${centralPort}`,
    mqttUsername: INGEST.username,
    mqttPassword: INGEST.password,
    sites: sitePaths,
    dataDir,
    httpPort: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    buildDashboard: false,
  });
  // The site's Zigbee2MQTT, Shellies and Tasmotas all talk to the site broker only.
  gateways = await mqtt.connectAsync(`mqtt://127.0.0.1:${sitePort}`, { clientId: 'site-gateways' });
});

afterAll(async () => {
  await gateways?.endAsync();
  await dp?.close();
  await site?.stop();
  await central?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

/** The bridge's own state on the site broker (notifications_local_only): true once connected. */
async function bridgeState(client: MqttClient): Promise<() => boolean> {
  let state = '0';
  client.on('message', (topic, payload) => {
    if (topic.startsWith('$SYS/broker/connection/')) state = payload.toString();
  });
  await client.subscribeAsync('$SYS/broker/connection/+/state', { qos: 1 });
  return () => state === '1';
}

function stored(filter: Partial<Pick<StoredPoint, 'site' | 'device' | 'field'>>, dir = dataDir): StoredPoint[] {
  return readStoredPoints(dir).filter((p) => p.measurement === 'readings' && Object.entries(filter).every(([k, v]) => p[k as keyof StoredPoint] === v));
}

function fieldsOf(device: string, dir = dataDir): Record<string, number> {
  return Object.fromEntries(stored({ site: 'office', device }, dir).map((p) => [p.field, p.value]));
}

describe('the documented bridge recipe', () => {
  it('is the configuration docs/devices.md shows, word for word', () => {
    const docs = readFileSync(path.join(ROOT, 'docs/devices.md'), 'utf8');
    expect(docs).toContain(readFileSync(BRIDGE_TEMPLATE, 'utf8'));
  });
});

describe('gateways behind a site broker’s bridge', () => {
  beforeAll(async () => {
    bridgeUp = await bridgeState(gateways);
    await waitFor('bridge state connected', bridgeUp, 15_000, 50).catch((err: Error) => {
      throw new Error(`${err.message}\nsite broker: ${site.log()}\ncentral broker: ${central.log()}`);
    });
  });

  it('stores what Zigbee2MQTT, Shelly Gen2 and Gen1, Tasmota and ChirpStack publish at the site, under the site and its devices', async () => {
    // QoS 0, as these publish by default: the bridge forwards them at QoS 1.
    const publish = (topic: string, payload: string) => gateways.publishAsync(topic, payload, { qos: 0 });
    await publish('zigbee2mqtt/desk-d1-plug', '{"current":0.21,"energy":12.34,"linkquality":160,"power":48.3,"state":"ON","voltage":231}');
    await publish('shellyplus1pm-a8032ab12345/status/switch:0', '{"id":0,"source":"init","output":true,"apower":41.7,"voltage":232.4,"current":0.193,"aenergy":{"total":1523.442,"by_minute":[0,0,0],"minute_ts":1795251540},"temperature":{"tC":41.2,"tF":106.2}}');
    await publish('tele/tasmota_A1B2C3/SENSOR', '{"Time":"2026-11-21T10:00:00","ENERGY":{"TotalStartTime":"2025-03-14T09:12:40","Total":152.417,"Yesterday":1.204,"Today":0.391,"Power":45,"Voltage":231,"Current":0.225}}');
    await publish('shellies/shelly1pm-B1C2D3/relay/0/energy', '600');
    await publish('shellies/shelly1pm-B1C2D3/relay/0/power', '120.5');
    await gateways.publishAsync('application/17c82e96-be03-4f38-aef3-f83d48582d97/device/24e124710c451234/event/up', JSON.stringify({ deduplicationId: '0b9a1f0e-2c4d-4f7a-9e1b-8d2c3a4b5c6d', time: new Date(Date.now() - 5_000).toISOString(), fCnt: 1, object: { battery: 97, occupancy: 'occupied' } }), { qos: 1 });

    await waitFor('all five devices stored', () => ['plug-d1', 'plug-d2', 'plug-d3', 'lights-main', 'occ-d1'].every((d) => Object.keys(fieldsOf(d)).length > 0), 20_000, 200);
    expect(fieldsOf('plug-d1')).toEqual({ power_w: 48.3, energy_wh: 12340, on: 1, voltage_v: 231, current_a: 0.21 });
    expect(fieldsOf('plug-d2')).toEqual({ power_w: 41.7, energy_wh: 1523.442, on: 1, voltage_v: 232.4, current_a: 0.193 });
    expect(fieldsOf('plug-d3')).toEqual({ power_w: 45, energy_wh: 152417, voltage_v: 231, current_a: 0.225 });
    expect(fieldsOf('lights-main')).toEqual({ energy_wh: 10, power_w: 120.5 });
    expect(fieldsOf('occ-d1')).toEqual({ occupied: 1, battery_pct: 97 });
    expect(dp.ingest.counters.rejected).toBe(0);
  });

  it('rejects a device of another site that arrives through this site’s prefix, and stores nothing for it', async () => {
    const rejections: { reason: string; message: string; topic: string }[] = [];
    const watcher = await mqtt.connectAsync(`mqtt://127.0.0.1:${centralPort}`, { ...INGEST, clientId: 'rejection-watcher' });
    try {
      watcher.on('message', (_t, payload) => rejections.push(JSON.parse(payload.toString()) as (typeof rejections)[number]));
      await watcher.subscribeAsync('deskprint/_derived/office/rejected', { qos: 1 });
      await gateways.publishAsync('zigbee2mqtt/annex-a1-plug', '{"power":12.5,"energy":1.5,"state":"ON"}', { qos: 1 });
      const notice = await waitFor('the rejection on the office’s stream', () => rejections.find((r) => r.topic === 'deskprint/office/_gw/zigbee2mqtt/annex-a1-plug'), 15_000, 50);
      expect(notice.reason).toBe('unknown_device');
      expect(notice.message).toBe('zigbee2mqtt device "annex-a1-plug" is registered at site "annex", not at site "office" it arrived through');
      expect(stored({ site: 'annex' })).toEqual([]);
      expect(dp.ingest.counters.rejectedByReason).toEqual({ unknown_device: 1 });
    } finally {
      await watcher.endAsync();
    }
  });

  it('loses nothing published at the site while the central broker is down: the bridge queues it and delivers it once it is back', async () => {
    await central.stop();
    await waitFor('the bridge noticed the outage', () => !bridgeUp(), 15_000, 50);

    // Messages that carry their own timestamps, so each is one reading at one instant.
    const start = Date.now() - 120_000;
    const shellyTs = Array.from({ length: 40 }, (_, i) => (start + i * 1_000) / 1_000);
    const uplinkTimes = Array.from({ length: 40 }, (_, i) => start + i * 1_000 + 500);
    for (const [i, ts] of shellyTs.entries()) {
      // QoS 0, as a Shelly publishes: only upgrade_outgoing_qos gets it queued.
      await gateways.publishAsync('shellyplus1pm-a8032ab12345/events/rpc', JSON.stringify({ src: 'shellyplus1pm-a8032ab12345', dst: 'shellyplus1pm-a8032ab12345/events', method: 'NotifyStatus', params: { ts, 'switch:0': { id: 0, apower: 100 + i } } }), { qos: 0 });
    }
    for (const [i, time] of uplinkTimes.entries()) {
      await gateways.publishAsync('application/17c82e96-be03-4f38-aef3-f83d48582d97/device/24e124710c451234/event/up', JSON.stringify({ deduplicationId: `0b9a1f0e-2c4d-4f7a-9e1b-${String(i).padStart(12, '0')}`, time: new Date(time).toISOString(), fCnt: 100 + i, object: { battery: 90, occupancy: i % 2 === 0 ? 'occupied' : 'vacant' } }), { qos: 1 });
    }

    central = await launchMosquitto(centralConf, centralPort);
    const powerStored = () => new Map(stored({ site: 'office', device: 'plug-d2', field: 'power_w' }).map((p) => [p.ts, p.value]));
    const occupiedStored = () => new Map(stored({ site: 'office', device: 'occ-d1', field: 'occupied' }).map((p) => [p.ts, p.value]));
    await waitFor('every queued message stored', () => shellyTs.every((ts) => powerStored().has(Math.round(ts * 1_000))) && uplinkTimes.every((t) => occupiedStored().has(t)), 30_000, 250).catch((err: Error) => {
      const missing = shellyTs.filter((ts) => !powerStored().has(Math.round(ts * 1_000))).length + uplinkTimes.filter((t) => !occupiedStored().has(t)).length;
      throw new Error(`${err.message}: ${missing} of 80 not stored; ingest ${JSON.stringify(dp.ingest.counters)}\nsite broker: ${site.log()}\ncentral broker: ${central.log()}`);
    });

    const power = powerStored();
    expect(shellyTs.map((ts) => power.get(Math.round(ts * 1_000)))).toEqual(shellyTs.map((_, i) => 100 + i));
    const occupied = occupiedStored();
    expect(uplinkTimes.map((t) => occupied.get(t))).toEqual(uplinkTimes.map((_, i) => (i % 2 === 0 ? 1 : 0)));
    expect(dp.ingest.counters.rejectedByReason).toEqual({ unknown_device: 1 });
  }, 60_000);
});

describe('the same recipe against deskprint’s own broker as the central broker', () => {
  let own: DeskprintHandle;
  let ownDataDir: string;
  let ownSite: MosquittoProcess;
  let ownGateways: MqttClient;

  beforeAll(async () => {
    ownDataDir = path.join(workDir, 'data-own-broker');
    own = await startDeskprint({ sites: sitePaths, dataDir: ownDataDir, httpPort: 0, mqttPort: 0, mqttTlsPort: 0, tlsCert: cert, tlsKey: key, host: '127.0.0.1', logLevel: 'silent', buildDashboard: false });
    const { secret } = await own.accounts.addCredential({ username: 'office-gw', type: 'gateway', site: 'office' });
    const started = await startSiteBroker('office-site-own', bridgeConfig({ site: 'office', centralHost: `127.0.0.1:${own.mqttsPort}`, username: 'office-gw', password: secret, ca: cert }));
    ownSite = started.broker;
    ownGateways = await mqtt.connectAsync(`mqtt://127.0.0.1:${started.port}`, { clientId: 'site-gateways-own' });
    const up = await bridgeState(ownGateways);
    await waitFor('the bridge connected to deskprint’s broker', up, 15_000, 50).catch((err: Error) => {
      throw new Error(`${err.message}\nsite broker: ${ownSite.log()}`);
    });
  });

  afterAll(async () => {
    await ownGateways?.endAsync();
    await ownSite?.stop();
    await own?.close();
  });

  it('connects over TLS with a gateway credential, stays connected, and stores the site’s devices', async () => {
    await ownGateways.publishAsync('zigbee2mqtt/desk-d1-plug', '{"power":52.5,"energy":13.5,"state":"ON"}', { qos: 0 });
    await ownGateways.publishAsync('tele/tasmota_A1B2C3/SENSOR', '{"ENERGY":{"Total":160.5,"Power":38}}', { qos: 0 });
    await waitFor('both devices stored', () => Object.keys(fieldsOf('plug-d1', ownDataDir)).length > 0 && Object.keys(fieldsOf('plug-d3', ownDataDir)).length > 0, 20_000, 200);
    expect(fieldsOf('plug-d1', ownDataDir)).toEqual({ power_w: 52.5, energy_wh: 13500, on: 1 });
    expect(fieldsOf('plug-d3', ownDataDir)).toEqual({ power_w: 38, energy_wh: 160500 });
    // The bridge's own state notification stays on the site broker; nothing it sent was refused.
    expect(own.brokerAuth!.counters.refusedPublishes).toBe(0);
    expect(own.brokerAuth!.counters.refusedConnects).toBe(0);
    expect(own.ingest.counters.rejected).toBe(0);
  });
});
