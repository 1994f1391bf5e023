/**
 * Home Assistant discovery: what a Home Assistant user sees appear, and that the state
 * message feeds the sensors the configs declare.
 */
import { describe, expect, it } from 'vitest';
import type { LiveSnapshot } from '../../../devices/api-types.ts';
import {
  HA_SENSORS,
  haAvailabilityMessage,
  haDiscoveryMessages,
  haDiscoveryRemovals,
  haStateMessage,
  haTopics,
} from '../../../devices/homeassistant/discovery.ts';

const site = { id: 'demo', name: 'Deskprint Demo Hub' };

function snapshot(today: LiveSnapshot['today']): LiveSnapshot {
  return {
    site: 'demo',
    name: site.name,
    at: 1_795_251_600_000,
    power_w: { total: 4321.66, by_category: { desk: 900, lighting: 400, heating: 2800, hvac: 0, common: 221.66, unmetered: 0 }, by_carrier: { electricity: 1521.66, gas: 2800 } },
    desks: { total: 24, occupied: 11, checked_in: 9 },
    people_present: 13,
    zones: [],
    desk_states: [],
    devices: { total: 60, online: 58, offline: 1, silent: 1 },
    today,
  };
}

describe('Home Assistant discovery', () => {
  const messages = haDiscoveryMessages(site, { swVersion: '0.1.0' });
  const configs = messages.map((m) => ({ topic: m.topic, retain: m.retain, config: JSON.parse(m.payload) as Record<string, unknown> }));
  const byKey = (key: string) => configs.find((c) => c.topic === `homeassistant/sensor/deskprint_demo/${key}/config`)!.config;

  it('announces one retained config per derived sensor under the discovery prefix', () => {
    expect(configs.map((c) => c.topic)).toEqual([
      'homeassistant/sensor/deskprint_demo/power_w/config',
      'homeassistant/sensor/deskprint_demo/desks_occupied/config',
      'homeassistant/sensor/deskprint_demo/people_present/config',
      'homeassistant/sensor/deskprint_demo/today_kwh/config',
      'homeassistant/sensor/deskprint_demo/today_kgco2e/config',
    ]);
    expect(configs.every((c) => c.retain)).toBe(true);
    expect(new Set(configs.map((c) => c.config.unique_id)).size).toBe(configs.length);
  });

  it('declares site power as a W power measurement and today\'s totals as total_increasing', () => {
    expect(byKey('power_w')).toMatchObject({ unit_of_measurement: 'W', device_class: 'power', state_class: 'measurement' });
    expect(byKey('today_kwh')).toMatchObject({ unit_of_measurement: 'kWh', device_class: 'energy', state_class: 'total_increasing' });
    expect(byKey('today_kgco2e')).toMatchObject({ unit_of_measurement: 'kgCO2e', state_class: 'total_increasing' });
    expect(byKey('today_kgco2e')).not.toHaveProperty('device_class');
    expect(byKey('desks_occupied')).toMatchObject({ state_class: 'measurement', unit_of_measurement: 'desks' });
  });

  it('puts every sensor of a site on one device, one state topic under deskprint/_derived/<site>/ and one availability topic', () => {
    for (const { config } of configs) {
      expect(config.state_topic).toBe('deskprint/_derived/demo/ha/state');
      expect(config.availability_topic).toBe('deskprint/_derived/demo/availability');
      expect(config.payload_available).toBe('online');
      expect(config.payload_not_available).toBe('offline');
      expect(config.device).toEqual({ identifiers: ['deskprint_demo'], name: 'Deskprint Demo Hub', manufacturer: 'deskprint', model: 'Shared workspace footprint', sw_version: '0.1.0' });
    }
  });

  it('honours a custom discovery prefix', () => {
    expect(haDiscoveryMessages(site, { discoveryPrefix: 'ha' })[0]!.topic).toBe('ha/sensor/deskprint_demo/power_w/config');
  });

  it('sends a state message whose fields are exactly what the value templates read', () => {
    const state = haStateMessage(snapshot({ basis: 'metered_so_far', label: 'metered so far', from: 0, up_to: 1, has_data: true, kwh: 41.23456, kgco2e: 7.2981, by_carrier: { electricity: 20, gas: 21.23 } }));
    expect(state.topic).toBe(haTopics.state('demo'));
    expect(state.retain).toBe(false);
    const values = JSON.parse(state.payload) as Record<string, unknown>;
    expect(values).toEqual({ power_w: 4321.7, desks_occupied: 11, desks_total: 24, people_present: 13, today_kwh: 41.235, today_kgco2e: 7.298 });
    for (const sensor of HA_SENSORS) {
      expect(byKey(sensor.key).value_template).toBe(`{{ value_json.${sensor.key} }}`);
      expect(values).toHaveProperty(sensor.key);
    }
  });

  it('reports today\'s totals as null (unknown in Home Assistant) while the footprint engine has no figure', () => {
    const values = JSON.parse(haStateMessage(snapshot(null)).payload) as Record<string, unknown>;
    expect(values.today_kwh).toBeNull();
    expect(values.today_kgco2e).toBeNull();
  });

  it('removes a site\'s entities with empty retained configs, and publishes retained availability', () => {
    expect(haDiscoveryRemovals('demo')).toEqual(configs.map((c) => ({ topic: c.topic, payload: '', retain: true })));
    expect(haAvailabilityMessage('demo', false)).toEqual({ topic: 'deskprint/_derived/demo/availability', payload: 'offline', retain: true });
  });
});
