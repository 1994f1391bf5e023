/**
 * devices/index.ts is the one explicit list of adapters: a folder under devices/ with an
 * adapter.ts that is missing from ADAPTERS would silently never decode anything.
 */
import { describe, expect, it } from 'vitest';
import { ADAPTERS, adapterFor } from '../../../devices/index.ts';
import { ecosystemFolders } from './fixture-loader.ts';

describe('adapter index', () => {
  it('lists exactly the ecosystem folders that have an adapter.ts, each under its folder name', () => {
    expect(ADAPTERS.map((a) => a.name).sort()).toEqual(ecosystemFolders());
  });

  it('has no two adapters with the same name', () => {
    expect(new Set(ADAPTERS.map((a) => a.name)).size).toBe(ADAPTERS.length);
  });

  it.each([
    ['deskprint/demo/plug-n01/telemetry', 'native'],
    ['zigbee2mqtt/desk-n01-plug', 'zigbee2mqtt'],
    ['zigbee2mqtt/bridge/state', 'zigbee2mqtt'],
    ['tele/tasmota_A1B2C3/SENSOR', 'tasmota'],
    ['shellyplus1pm-a8032ab12345/status/switch:0', 'shelly'],
    ['shellyplus1pm-a8032ab12345/events/rpc', 'shelly'],
    ['shellies/shellyplug-s-7A3B2C/relay/0/power', 'shelly'],
  ])('routes %s to %s', (topic, name) => {
    expect(adapterFor(topic)?.name).toBe(name);
  });

  it('routes no adapter for topics nobody owns, including deskprint\'s own derived topics', () => {
    expect(adapterFor('office/random/thing')).toBeUndefined();
    expect(adapterFor('deskprint/_derived/demo/live')).toBeUndefined();
    expect(adapterFor('deskprint/_derived/demo/online')).toBeUndefined();
  });
});
