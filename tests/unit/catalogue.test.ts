import { describe, expect, it } from 'vitest';
import { METRICS, METRIC_KEYS, SERIES_METRIC_KEYS } from '../../devices/catalogue.ts';
import { DEVICE_KINDS, DEVICE_KIND_KEYS } from '../../devices/kinds.ts';

/** Names that would be synonyms of a catalogue metric; a second name for one thing splits the data. */
const SYNONYMS = ['power', 'watts', 'watt', 'energy', 'kwh', 'wh', 'temp', 'temperature', 'occupancy', 'presence', 'battery', 'lux', 'illuminance', 'state', 'switch', 'humidity', 'setpoint', 'valve'];

describe('metric catalogue', () => {
  it('has every metric the native payloads and the footprint method need', () => {
    for (const key of ['occupied', 'power_w', 'energy_wh', 'temperature_c', 'setpoint_c', 'valve_pct', 'on', 'illuminance_lx', 'battery_pct', 'member', 'action']) {
      expect(METRIC_KEYS).toContain(key);
    }
  });

  it('gives each metric one key, and the key matches its descriptor', () => {
    expect(new Set(METRIC_KEYS).size).toBe(METRIC_KEYS.length);
    for (const k of METRIC_KEYS) expect(METRICS[k].key).toBe(k);
  });

  it('has no synonyms: no two metrics share a base name, and no bare synonym is a key', () => {
    const base = (k: string) => k.replace(/_(w|wh|c|pct|lx|v|a|ppm|g_per_kwh)$/, '');
    const bases = METRIC_KEYS.map(base);
    expect(new Set(bases).size).toBe(bases.length);
    for (const s of SYNONYMS) expect(METRIC_KEYS as string[]).not.toContain(s);
  });

  it('names numeric metrics with their canonical unit suffix', () => {
    const suffix: Record<string, string> = { W: '_w', Wh: '_wh', '°C': '_c', '%': '_pct', lx: '_lx', V: '_v', A: '_a', ppm: '_ppm', 'gCO2/kWh': '_g_per_kwh', people: '_count' };
    for (const k of SERIES_METRIC_KEYS) {
      const d = METRICS[k];
      if (d.kind === 'number') expect(k.endsWith(suffix[d.unit]!), `${k} in ${d.unit}`).toBe(true);
    }
  });

  it('marks cumulative energy as total_increasing and instantaneous power as measurement', () => {
    expect(METRICS.energy_wh.stateClass).toBe('total_increasing');
    expect(METRICS.power_w.stateClass).toBe('measurement');
  });

  it('lets every device kind report only catalogue metrics', () => {
    for (const kind of DEVICE_KIND_KEYS) for (const m of DEVICE_KINDS[kind].metrics) expect(SERIES_METRIC_KEYS).toContain(m);
    expect(DEVICE_KIND_KEYS).toEqual(expect.arrayContaining(['desk_occupancy', 'desk_plug', 'zone_heating', 'zone_lighting', 'meter', 'badge_reader']));
  });
});
