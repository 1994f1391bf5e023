/**
 * Sparkplug B beyond single messages: aliases defined by a BIRTH and used alone by later
 * DATA messages, forgotten at DEATH; metric names mapped by the site file, with a scale.
 */
import { describe, expect, it } from 'vitest';
import { createSparkplugAdapter, SparkplugPayload } from '../../../devices/sparkplug/adapter.ts';
import { parseSiteYaml } from '../../../devices/site.ts';

const T = 1_795_251_590_000;
const ctx = { receivedAt: T + 10_000 };
const enc = (o: object) => SparkplugPayload.encode(SparkplugPayload.fromObject(o)).finish();
const DEVICE = 'spBv1.0/coworking/%s/floor2-gateway/pm-lights-2';
const topic = (type: string) => DEVICE.replace('%s', type);

describe('sparkplug adapter', () => {
  it('reads a DATA metric sent by alias only, with the name its BIRTH gave it, until the device dies', () => {
    const adapter = createSparkplugAdapter();
    adapter.decode(topic('DBIRTH'), enc({ timestamp: T, metrics: [{ name: 'Meter/power_w', alias: 4, datatype: 10, doubleValue: 400 }] }), ctx);
    const data = adapter.decode(topic('DDATA'), enc({ timestamp: T + 5_000, metrics: [{ alias: 4, datatype: 10, doubleValue: 398.5 }] }), ctx);
    expect(data).toMatchObject({ ok: true, readings: [{ metric: 'power_w', value: 398.5, ts: T + 5_000 }] });
    adapter.decode(topic('DDEATH'), enc({ timestamp: T + 6_000 }), ctx);
    const after = adapter.decode(topic('DDATA'), enc({ timestamp: T + 7_000, metrics: [{ alias: 4, datatype: 10, doubleValue: 1 }] }), ctx);
    expect(after).toMatchObject({ ok: false, reason: 'schema' });
  });

  it('maps an edge node\'s own metric names through the site file, converting kWh to Wh', () => {
    const site = parseSiteYaml(`
id: s
name: S
timezone: UTC
area_m2: 10
factors: [{ name: f, year: 2026, basis: b, source: s, electricity: 0.2 }]
zones: [{ id: z, name: Z, area_m2: 10 }]
desks: []
devices:
  - id: lights
    kind: zone_lighting
    zone: z
    carrier: electricity
    foreign:
      ecosystem: sparkplug
      id: coworking/floor2-gateway/pm-lights-2
      metrics: { "Meter/ActivePower": power_w, "Meter/ActiveEnergy": { metric: energy_wh, scale: 1000 } }
`);
    const mapping = site.devices[0]!.foreign!.metrics;
    const adapter = createSparkplugAdapter({ metricsOf: (id) => (id === 'coworking/floor2-gateway/pm-lights-2' ? mapping : undefined) });
    const r = adapter.decode(topic('DDATA'), enc({ timestamp: T, metrics: [
      { name: 'Meter/ActivePower', datatype: 10, doubleValue: 412.5 },
      { name: 'Meter/ActiveEnergy', datatype: 10, doubleValue: 182.34525 },
      { name: 'Meter/Frequency', datatype: 9, floatValue: 50 },
    ] }), ctx);
    expect(r).toEqual({
      ok: true,
      identity: { ecosystem: 'sparkplug', foreignId: 'coworking/floor2-gateway/pm-lights-2' },
      readings: [{ metric: 'power_w', value: 412.5, ts: T }, { metric: 'energy_wh', value: 182345.25, ts: T }],
      checkins: [],
    });
  });
});
