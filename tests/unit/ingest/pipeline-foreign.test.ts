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
import { topicMatchesFilter } from '../../../devices/topics.ts';

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
  const writer = { enqueue: (points: Point[]) => void stored.push(...points), backlog: () => undefined } as unknown as StoreWriter;
  ingest = new Ingest({ registry, source, writer, log: pino({ level: 'silent' }) });
  await ingest.start();
  await ingest.stop();
});

function send(topic: string, payload: string): void {
  const msg: InboundMessage = { topic, payload: Buffer.from(payload), receivedAt: AT };
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
});
