/**
 * Live state behind `GET /api/sites/:site/live`: a request gets the 1 Hz snapshot while it
 * is recent, and a fresh one after that, so a reading shows within a quarter of a second.
 */
import { describe, expect, it } from 'vitest';
import { siteFileSchema } from '../../devices/site.ts';
import { LiveState } from '../../ingest/live.ts';
import type { EnrichedReading } from '../../ingest/types.ts';
import { Registry } from '../../store/registry.ts';

function setup() {
  const registry = new Registry();
  registry.loadSite(
    siteFileSchema.parse({
      id: 'hub', name: 'Hub', timezone: 'Europe/London', area_m2: 100,
      factors: [{ name: 'UK DESNZ 2025', year: 2025, basis: 'location, gross CV', source: 'DESNZ 2025', electricity: 0.177, gas: 0.183 }],
      zones: [{ id: 'north', name: 'North Studio', area_m2: 100 }],
      desks: [{ id: 'n1', zone: 'north' }],
      devices: [{ id: 'plug-n1', kind: 'desk_plug', desk: 'n1', carrier: 'electricity' }],
      members: [{ id: 'm1', name: 'Ada' }],
    }),
  );
  return new LiveState({ registry });
}

const power = (watts: number, ts: number): EnrichedReading => ({ site: 'hub', device: 'plug-n1', kind: 'desk_plug', desk: 'n1', zone: 'north', category: 'desk', carrier: 'electricity', metric: 'power_w', value: watts, ts });
const deskPower = (live: LiveState) => live.latest('hub')!.desk_states.find((d) => d.id === 'n1')!.power_w;

describe('live state', () => {
  it('answers a request from the last snapshot while it is recent, then with a fresh one', async () => {
    const live = setup();
    live.onReadings([power(40, Date.now())]);
    live.tick(); // the 1 Hz snapshot
    expect(deskPower(live)).toBe(40);
    live.onReadings([power(55, Date.now())]);
    expect(deskPower(live)).toBe(40); // the snapshot is a few ms old: reused
    await new Promise((r) => setTimeout(r, 300));
    expect(deskPower(live)).toBe(55); // no tick since, but the snapshot was too old to reuse
  });
});
