/**
 * Real devices through a real Mosquitto: deskprint runs against Mosquitto as an external
 * broker (DESKPRINT_MQTT_URL) and ingests what Zigbee2MQTT, Shelly (Gen1 and Gen2) and
 * Tasmota publish there, mapped to registered devices by their foreign ids. Payloads are
 * the documented shapes from the adapters' golden fixtures.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDeskprint, type DeskprintHandle } from '../../cli/start.ts';
import type { Point } from '../../store/types.ts';
import { freePort } from '../support/influxd.ts';
import { launchMosquitto, type MosquittoProcess } from '../support/mosquitto.ts';
import { waitFor } from '../support/wait.ts';

const SITE_YAML = `
id: office
name: Foreign Devices Office
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
  - { id: occ-d1, kind: desk_occupancy, desk: d1, foreign: { ecosystem: zigbee2mqtt, id: floor1/desk-d1-motion } }
  - { id: plug-d2, kind: desk_plug, desk: d2, carrier: electricity, foreign: { ecosystem: shelly, id: "shellyplus1pm-a8032ab12345:switch:0" } }
  - { id: plug-d3, kind: desk_plug, desk: d3, carrier: electricity, foreign: { ecosystem: tasmota, id: tasmota_A1B2C3 } }
  - { id: lights-main, kind: zone_lighting, zone: main, carrier: electricity, foreign: { ecosystem: shelly, id: "shelly1pm-B1C2D3:relay:0" } }
`;

let mosquitto: MosquittoProcess;
let dp: DeskprintHandle;
let devices: MqttClient;
let workDir: string;
const startedAt = Date.now();

beforeAll(async () => {
  workDir = mkdtempSync(path.join(os.tmpdir(), 'deskprint-mosquitto-'));
  const port = await freePort();
  const conf = path.join(workDir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  mosquitto = await launchMosquitto(conf, port);
  const url = `mqtt://127.0.0.1:${port}`;

  devices = await mqtt.connectAsync(url, { clientId: 'foreign-devices' });
  // Published before deskprint connects, retained, as Zigbee2MQTT does with `retain: true`.
  await devices.publishAsync('zigbee2mqtt/desk-d1-plug/availability', '{"state":"online"}', { retain: true, qos: 1 });

  const sitePath = path.join(workDir, 'office.yaml');
  writeFileSync(sitePath, SITE_YAML);
  dp = await startDeskprint({
    mqttUrl: url,
    sites: [sitePath],
    dataDir: path.join(workDir, 'data'),
    httpPort: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    buildDashboard: false,
  });
});

afterAll(async () => {
  await devices?.endAsync();
  await dp?.close();
  await mosquitto?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

async function stored(device: string): Promise<Record<string, number>> {
  const points: Point[] = await dp.store.queryRaw({ measurement: 'readings', from: startedAt - 60_000, to: Date.now() + 60_000, where: { site: 'office', device } });
  return Object.assign({}, ...points.map((p) => p.fields)) as Record<string, number>;
}

describe('foreign devices through Mosquitto', () => {
  it('stores what Zigbee2MQTT, Shelly Gen2, Shelly Gen1 and Tasmota publish, in canonical units, under the registered devices', async () => {
    const publish = (topic: string, payload: string) => devices.publishAsync(topic, payload, { qos: 1 });
    await publish('zigbee2mqtt/desk-d1-plug', '{"current":0.21,"energy":12.34,"linkquality":160,"power":48.3,"state":"ON","voltage":231}');
    await publish('zigbee2mqtt/floor1/desk-d1-motion', '{"battery":100,"illuminance":196,"linkquality":145,"occupancy":true,"voltage":3064}');
    await publish('shellyplus1pm-a8032ab12345/status/switch:0', '{"id":0,"source":"init","output":true,"apower":41.7,"voltage":232.4,"current":0.193,"aenergy":{"total":1523.442,"by_minute":[0,0,0],"minute_ts":1795251540},"temperature":{"tC":41.2,"tF":106.2}}');
    await publish('tele/tasmota_A1B2C3/SENSOR', '{"Time":"2026-11-21T10:00:00","ENERGY":{"TotalStartTime":"2025-03-14T09:12:40","Total":152.417,"Yesterday":1.204,"Today":0.391,"Power":45,"Voltage":231,"Current":0.225}}');
    await publish('shellies/shelly1pm-B1C2D3/relay/0/energy', '600');
    await publish('shellies/shelly1pm-B1C2D3/relay/0/power', '120.5');

    await waitFor('all five devices stored', async () => (await Promise.all(['plug-d1', 'occ-d1', 'plug-d2', 'plug-d3', 'lights-main'].map(stored))).every((f) => Object.keys(f).length > 0));

    expect(await stored('plug-d1')).toEqual({ power_w: 48.3, energy_wh: 12340, on: 1, voltage_v: 231, current_a: 0.21 });
    // The Aqara cell voltage (3064 mV) is not a mains voltage and must not be stored.
    expect(await stored('occ-d1')).toEqual({ occupied: 1, illuminance_lx: 196, battery_pct: 100 });
    expect(await stored('plug-d2')).toEqual({ power_w: 41.7, energy_wh: 1523.442, on: 1, voltage_v: 232.4, current_a: 0.193 });
    expect(await stored('plug-d3')).toEqual({ power_w: 45, energy_wh: 152417, voltage_v: 231, current_a: 0.225 });
    // Gen1 energy is in watt-minutes: 600 W·min = 10 Wh.
    expect(await stored('lights-main')).toEqual({ energy_wh: 10, power_w: 120.5 });
    expect(dp.ingest.counters.rejected).toBe(0);
  });

  it('takes the retained availability that was on the broker before deskprint started', async () => {
    const act = await waitFor('plug-d1 activity', () => dp.ingest.activity.get('office', 'plug-d1'));
    expect(act.status).toBe('online');
  });

  it('lists a Zigbee2MQTT device nobody registered as discovered, without storing its readings', async () => {
    await devices.publishAsync('zigbee2mqtt/meeting-room-lamp', '{"state":"ON","brightness":200}', { qos: 1 });
    const found = await waitFor('discovered lamp', () => dp.registry.discovered().find((d) => d.ecosystem === 'zigbee2mqtt' && d.foreignId === 'meeting-room-lamp'));
    expect(found.messages).toBe(1);
    expect(dp.ingest.counters.rejectedByReason.unknown_device).toBe(1);
  });

  it('rejects a payload with a wrong unit from a real topic, and keeps ingesting', async () => {
    await devices.publishAsync('tele/tasmota_A1B2C3/SENSOR', '{"ENERGY":{"Power":45,"Voltage":2310,"Total":152.5}}', { qos: 1 });
    await waitFor('unit rejection', () => dp.ingest.counters.rejectedByReason.unit === 1);
    await devices.publishAsync('tele/tasmota_A1B2C3/SENSOR', '{"ENERGY":{"Power":60,"Voltage":230,"Total":152.6}}', { qos: 1 });
    await waitFor('next Tasmota reading stored', async () => (await stored('plug-d3')).power_w === 60);
  });
});
