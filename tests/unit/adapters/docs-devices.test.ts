/**
 * docs/devices.md tells people how to register foreign devices: its site-file example must
 * be a valid site file, naming ecosystems that exist and ids the adapters actually produce.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ADAPTERS } from '../../../devices/index.ts';
import { parseSiteYaml } from '../../../devices/site.ts';

const doc = readFileSync(new URL('../../../docs/devices.md', import.meta.url), 'utf8');
const example = /```yaml\n(devices:\n[\s\S]*?)```/.exec(doc)?.[1];

/** A topic each documented foreign id publishes on, and a payload that carries a reading. */
const PUBLISHES: Record<string, [string, string]> = {
  'zigbee2mqtt:desk-n01-plug': ['zigbee2mqtt/desk-n01-plug', '{"power":40}'],
  'zigbee2mqtt:floor1/desk-n01-motion': ['zigbee2mqtt/floor1/desk-n01-motion', '{"occupancy":true}'],
  'zigbee2mqtt:north-trv-1': ['zigbee2mqtt/north-trv-1', '{"local_temperature":19.5}'],
  'shelly:shellyplus1pm-a8032ab12345:switch:0': ['shellyplus1pm-a8032ab12345/status/switch:0', '{"id":0,"apower":40}'],
  'shelly:shellypro3em-c8f09e8a1b2c:em:0': ['shellypro3em-c8f09e8a1b2c/status/emdata:0', '{"id":0,"total_act":1000}'],
  'shelly:shelly1pm-B1C2D3:relay:0': ['shellies/shelly1pm-B1C2D3/relay/0/power', '40'],
  'tasmota:tasmota_A1B2C3': ['tele/tasmota_A1B2C3/SENSOR', '{"ENERGY":{"Power":40}}'],
};

describe('docs/devices.md site-file example', () => {
  const site = parseSiteYaml(
    `id: office\nname: Office\ntimezone: Europe/London\narea_m2: 500\nfactors: [{ name: f, year: 2026, basis: b, source: s, electricity: 0.2, gas: 0.18 }]\n` +
      `zones: [{ id: north, name: North, area_m2: 100 }, { id: loft, name: Loft, area_m2: 100 }]\n` +
      `desks: [{ id: n01, zone: north }, { id: n02, zone: north }, { id: n03, zone: north }]\n${example ?? ''}`,
    'docs/devices.md',
  );
  const foreign = site.devices.filter((d) => d.foreign);

  it('is a valid site file whose foreign devices name registered adapters', () => {
    expect(example).toBeDefined();
    expect(foreign.length).toBe(Object.keys(PUBLISHES).length);
    for (const d of foreign) expect(ADAPTERS.map((a) => a.name)).toContain(d.foreign!.ecosystem);
  });

  it('registers exactly the foreign ids the adapters decode from those devices\' topics', () => {
    for (const d of foreign) {
      const key = `${d.foreign!.ecosystem}:${d.foreign!.id}`;
      const sample = PUBLISHES[key];
      expect(sample, key).toBeDefined();
      const adapter = ADAPTERS.find((a) => a.name === d.foreign!.ecosystem)!;
      const result = adapter.decode(sample![0], new TextEncoder().encode(sample![1]), { receivedAt: 1_795_251_600_000 });
      expect(result.ok && result.readings.length > 0 && result.identity.foreignId, key).toBe(d.foreign!.id);
    }
  });
});
