/**
 * What ingest does with foreign devices' messages beyond decoding them (issue 19): a metric
 * the device's kind does not report is dropped and counted while the rest is stored; a
 * device-level `online` of a registered device is not a discovery; rejections of a known
 * site's foreign devices go to that site's stream; traffic deskprint does not read is
 * counted and listed with a hint. Unit test: the source and store writer are stand-ins.
 */
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseSiteYaml } from '../../../devices/site.ts';
import { Ingest } from '../../../ingest/pipeline.ts';
import type { InboundMessage, MessageSource } from '../../../ingest/sources.ts';
import type { StoreWriter } from '../../../ingest/writer.ts';
import { Registry } from '../../../store/registry.ts';
import type { Point } from '../../../store/types.ts';
import { parseGatewayTopic, topicMatchesFilter, topics } from '../../../devices/topics.ts';

const SITE = parseSiteYaml(`
id: office
name: Office
timezone: Europe/London
area_m2: 200
factors: [{ name: f, year: 2026, basis: b, source: s, electricity: 0.2 }]
zones: [{ id: main, name: Main, area_m2: 200 }]
desks: [{ id: d1, zone: main }]
devices:
  - { id: lights-main, kind: zone_lighting, zone: main, carrier: electricity, foreign: { ecosystem: shelly, id: "shellypro4pm-f008d1d8b8b8:switch:0" } }
  - { id: plug-d1, kind: desk_plug, desk: d1, carrier: electricity, foreign: { ecosystem: shelly, id: "shellyplus1pm-a8032ab12345:switch:0" } }
  - { id: occ-d1, kind: desk_occupancy, desk: d1, foreign: { ecosystem: chirpstack, id: 24e124710c451234 } }
`);

const OTHER = parseSiteYaml(`
id: other
name: Other
timezone: Europe/London
area_m2: 50
factors: [{ name: f, year: 2026, basis: b, source: s, electricity: 0.2 }]
zones: [{ id: z, name: Z, area_m2: 50 }]
desks: [{ id: o1, zone: z }]
devices:
  - { id: count-z, kind: people_counter, zone: z, foreign: { ecosystem: butlr, id: room_x } }
  - { id: plug-o1, kind: desk_plug, desk: o1, carrier: electricity, foreign: { ecosystem: shelly, id: "shellyplus1pm-b0b0b0b0b0b0:switch:0" } }
  - { id: tasmota-o1, kind: desk_plug, desk: o1, carrier: electricity, foreign: { ecosystem: tasmota, id: tasmota_0THER1 } }
`);

const AT = 1_795_251_600_000;
let registry: Registry;
let ingest: Ingest;
let stored: Point[];
let published: { topic: string; body: Record<string, unknown> }[];
let filters: readonly string[];

beforeEach(async () => {
  registry = new Registry();
  registry.loadSite(SITE);
  stored = [];
  published = [];
  const source: MessageSource = {
    kind: 'embedded',
    start: async (f) => void (filters = f),
    publish: async (topic, payload) => void published.push({ topic, body: JSON.parse(String(payload)) as Record<string, unknown> }),
    stop: async () => {},
  };
  const writer = { enqueue: (points: Point[]) => (stored.push(...points), Promise.resolve()), settled: () => Promise.resolve() } as unknown as StoreWriter;
  ingest = new Ingest({ registry, source, writer, log: pino({ level: 'silent' }) });
  await ingest.start();
  await ingest.stop();
});

function send(topic: string, payload: string, site?: string): void {
  const msg: InboundMessage = { topic, payload: Buffer.from(payload), receivedAt: AT, ...(site ? { site } : {}) };
  ingest.handle(msg);
}

describe('foreign devices in the pipeline', () => {
  it('stores on, power and energy of a lighting circuit whose Shelly also sends voltage and current, and counts the dropped metrics', () => {
    send('shellypro4pm-f008d1d8b8b8/status/switch:0', '{"id":0,"output":true,"apower":61.2,"voltage":231.9,"current":0.301,"aenergy":{"total":8812.5}}');
    expect(ingest.counters.rejected).toBe(0);
    expect(stored).toHaveLength(1);
    expect(stored[0]!.tags.device).toBe('lights-main');
    expect(stored[0]!.fields).toEqual({ power_w: 61.2, energy_wh: 8812.5, on: 1 });
    expect(ingest.counters.droppedMetrics).toEqual({ voltage_v: 1, current_a: 1 });
  });

  it('rejects a message that carries only metrics the kind does not report', () => {
    send('shellypro4pm-f008d1d8b8b8/status/switch:0', '{"id":0,"voltage":231.9}');
    expect(stored).toHaveLength(0);
    expect(ingest.counters.rejectedByReason).toEqual({ metric_not_allowed: 1 });
  });

  it('does not list a registered Shelly as discovered when it says it is online, and marks its channels online', () => {
    send('shellyplus1pm-a8032ab12345/online', 'true');
    expect(registry.discovered()).toEqual([]);
    expect(ingest.activity.get('office', 'plug-d1')?.status).toBe('online');
    send('shellyplus9pm-000000000000/online', 'true');
    expect(registry.discovered().map((d) => d.foreignId)).toEqual(['shellyplus9pm-000000000000']);
  });

  it('publishes rejections of a site\'s foreign devices on that site\'s rejected stream', () => {
    // A registered channel with a wrong unit, and an unregistered channel of a registered Shelly.
    send('shellyplus1pm-a8032ab12345/status/switch:0', '{"id":0,"voltage":2324}');
    send('shellypro4pm-f008d1d8b8b8/status/switch:3', '{"id":3,"apower":12}');
    expect(published.map((p) => [p.topic, p.body.reason])).toEqual([
      ['deskprint/_derived/office/rejected', 'unit'],
      ['deskprint/_derived/office/rejected', 'unknown_device'],
    ]);
    expect(ingest.activity.get('office', 'plug-d1')?.lastRejected).toBe('unit');
  });

  it('counts and lists traffic under subscribed trees that deskprint does not read, with what to change', () => {
    const unread = [
      'tasmota_A1B2C3/tele/SENSOR',
      'homeassistant/sensor/office_power/state',
      'shellies/floor2/shellyplusht-08b61fcb7f3c/events/rpc',
    ];
    for (const topic of unread) expect(filters.some((f) => topicMatchesFilter(f, topic)), topic).toBe(true);
    send(unread[0]!, '{"ENERGY":{"Power":45}}');
    send(unread[0]!, '{"ENERGY":{"Power":46}}');
    send(unread[1]!, '412.5');
    send(unread[2]!, '{"method":"NotifyStatus","params":{"ts":1795251540,"temperature:0":{"id":0,"tC":21.4}}}');
    expect(ingest.counters.rejectedByReason).toEqual({ unsupported: 4 });
    const listed = ingest.unsupported();
    expect(listed.map((u) => [u.topic, u.ecosystem, u.messages])).toEqual(
      expect.arrayContaining([
        [unread[0], 'tasmota', 2],
        [unread[1], 'homeassistant', 1],
        [unread[2], 'shelly', 1],
      ]),
    );
    expect(listed.find((u) => u.ecosystem === 'tasmota')!.hint).toMatch(/FullTopic/);
  });

  it('stores a LoRaWAN uplink delivered twice once, and counts the second as a duplicate', () => {
    const uplink = JSON.stringify({ deduplicationId: '6b9a1f0e-2c4d-4f7a-9e1b-8d2c3a4b5c6d', time: '2026-11-21T08:59:59.775Z', fCnt: 218, object: { battery: 100, occupancy: 'occupied' } });
    const topic = 'application/17c82e96-be03-4f38-aef3-f83d48582d97/device/24e124710c451234/event/up';
    send(topic, uplink);
    send(topic, uplink);
    expect(stored).toHaveLength(1);
    expect(stored[0]!.fields).toEqual({ occupied: 1, battery_pct: 100 });
    expect(ingest.counters.rejectedByReason).toEqual({ duplicate: 1 });
    // The same id from another device is not a duplicate.
    send(topic.replace('24e124710c451234', '24e124710c459999'), uplink);
    expect(ingest.counters.rejectedByReason).toEqual({ duplicate: 1, unknown_device: 1 });
  });

  it('accepts from a webhook authenticated for one site only that site\'s devices', () => {
    const body = JSON.stringify({ id: 'event_1', type: 'ROOM_OCCUPANCY', timestamp: AT - 60_000, version: 'v1.0.0', metadata: { room_id: 'room_x' }, data: 3 });
    registry.loadSite(OTHER);
    send('$webhook/butlr', body, 'office');
    expect(stored).toHaveLength(0);
    expect(ingest.counters.rejectedByReason).toEqual({ unknown_device: 1 });
    expect(published[0]!.topic).toBe('deskprint/_derived/office/rejected');
    send('$webhook/butlr', body, 'other');
    expect(stored.map((p) => [p.tags.site, p.tags.device, p.fields.people_count])).toEqual([['other', 'count-z', 3]]);
  });
});

describe('gateway traffic re-prefixed under its site (deskprint/<site>/_gw/…)', () => {
  const SHELLY = '{"id":0,"output":true,"apower":61.2,"voltage":231.9,"current":0.301,"aenergy":{"total":8812.5}}';

  beforeEach(() => registry.loadSite(OTHER));

  it('maps a foreign topic to its gateway topic and back, and nothing else to one', () => {
    expect(topics.gateway('office', 'zigbee2mqtt/floor1/desk-d1-motion')).toBe('deskprint/office/_gw/zigbee2mqtt/floor1/desk-d1-motion');
    expect(parseGatewayTopic('deskprint/office/_gw/zigbee2mqtt/floor1/desk-d1-motion')).toEqual({ site: 'office', topic: 'zigbee2mqtt/floor1/desk-d1-motion' });
    for (const t of ['deskprint/office/plug-d1/telemetry', 'deskprint/_derived/office/live', 'deskprint/office/_gw/', 'deskprint/Bad_Site/_gw/tele/x/SENSOR', 'deskprint/a/b/_gw/tele/x/SENSOR', 'zigbee2mqtt/_gw/x']) {
      expect(parseGatewayTopic(t), t).toBeNull();
    }
    expect(topicMatchesFilter(topics.siteGateway('office'), 'deskprint/office/_gw/tele/tasmota_A1B2C3/SENSOR')).toBe(true);
    expect(topicMatchesFilter(topics.siteGateway('office'), 'deskprint/other/_gw/tele/tasmota_A1B2C3/SENSOR')).toBe(false);
  });

  it('subscribes to every site\'s gateway prefix', () => {
    expect(filters.some((f) => topicMatchesFilter(f, 'deskprint/office/_gw/shellies/shelly1pm-B1C2D3/relay/0/power'))).toBe(true);
  });

  it('stores a bridged message exactly as the same message on its own topic, with the same counters', () => {
    send('deskprint/office/_gw/shellypro4pm-f008d1d8b8b8/status/switch:0', SHELLY);
    expect(ingest.counters.rejected).toBe(0);
    expect(stored.map((p) => [p.tags.site, p.tags.device, p.fields])).toEqual([['office', 'lights-main', { power_w: 61.2, energy_wh: 8812.5, on: 1 }]]);
    expect(ingest.counters.droppedMetrics).toEqual({ voltage_v: 1, current_a: 1 });
    expect(ingest.counters.readings).toBe(3);
  });

  it('rejects a device of another site arriving through this site\'s prefix, on this site\'s stream, and accepts it through its own', () => {
    const other = 'shellyplus1pm-b0b0b0b0b0b0/status/switch:0';
    send(`deskprint/office/_gw/${other}`, SHELLY);
    send('deskprint/office/_gw/tele/tasmota_0THER1/SENSOR', '{"ENERGY":{"Power":45,"Total":1.5}}');
    expect(stored).toHaveLength(0);
    expect(ingest.counters.rejectedByReason).toEqual({ unknown_device: 2 });
    expect(published.map((p) => [p.topic, p.body.reason, p.body.topic])).toEqual([
      ['deskprint/_derived/office/rejected', 'unknown_device', `deskprint/office/_gw/${other}`],
      ['deskprint/_derived/office/rejected', 'unknown_device', 'deskprint/office/_gw/tele/tasmota_0THER1/SENSOR'],
    ]);
    expect(published[0]!.body.message).toBe('shelly device "shellyplus1pm-b0b0b0b0b0b0:switch:0" is registered at site "other", not at site "office" it arrived through');
    // A native device of another site is no different.
    send('deskprint/office/_gw/deskprint/other/plug-o1/telemetry', JSON.stringify({ ts: new Date(AT).toISOString(), power_w: 40 }));
    expect(ingest.counters.rejectedByReason).toEqual({ unknown_device: 3 });

    send(`deskprint/other/_gw/${other}`, SHELLY);
    expect(stored.map((p) => [p.tags.site, p.tags.device])).toEqual([['other', 'plug-o1']]);
  });

  it('marks online only the channels of the gateway\'s own site', () => {
    send('deskprint/other/_gw/shellyplus1pm-a8032ab12345/online', 'true');
    expect(ingest.activity.get('office', 'plug-d1')).toBeUndefined();
    send('deskprint/office/_gw/shellyplus1pm-a8032ab12345/online', 'true');
    expect(ingest.activity.get('office', 'plug-d1')?.status).toBe('online');
  });

  it('counts unsupported layouts with their hint, and a prefix naming no registered site as unknown_site', () => {
    send('deskprint/office/_gw/tasmota_A1B2C3/tele/SENSOR', '{"ENERGY":{"Power":45}}');
    send('deskprint/nowhere/_gw/shellypro4pm-f008d1d8b8b8/status/switch:0', SHELLY);
    expect(stored).toHaveLength(0);
    expect(ingest.counters.rejectedByReason).toEqual({ unsupported: 1, unknown_site: 1 });
    expect(ingest.unsupported().map((u) => [u.topic, u.ecosystem])).toEqual([['deskprint/office/_gw/tasmota_A1B2C3/tele/SENSOR', 'tasmota']]);
    expect(ingest.unsupported()[0]!.hint).toMatch(/FullTopic/);
  });
});
