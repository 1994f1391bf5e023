/**
 * One state owner per site (ingest/sites.ts): the live view and the alerts read the same
 * check-ins, and a registry change (a device added while running) rebuilds the site's state
 * without forgetting who is in or what the devices last said.
 */
import { describe, expect, it } from 'vitest';
import { siteFileSchema, type SiteFile } from '../../../devices/site.ts';
import { LiveState } from '../../../ingest/live.ts';
import { SiteStates } from '../../../ingest/sites.ts';
import type { EnrichedCheckin, EnrichedReading } from '../../../ingest/types.ts';
import { Registry } from '../../../store/registry.ts';

const hub = (devices: SiteFile['devices'] extends (infer D)[] ? Partial<D>[] : never): SiteFile =>
  siteFileSchema.parse({
    id: 'hub', name: 'Hub', timezone: 'Europe/London', area_m2: 100,
    factors: [{ name: 'UK DESNZ 2025', year: 2025, basis: 'location, gross CV', source: 'DESNZ 2025', electricity: 0.177, gas: 0.183 }],
    zones: [{ id: 'north', name: 'North Studio', area_m2: 100 }],
    desks: [{ id: 'n1', zone: 'north' }, { id: 'n2', zone: 'north' }],
    devices: [{ id: 'plug-n1', kind: 'desk_plug', desk: 'n1', carrier: 'electricity' }, { id: 'badge', kind: 'badge_reader', zone: 'north' }, ...devices],
    members: [{ id: 'm1', name: 'Ada' }, { id: 'm2', name: 'Ben' }],
  });

describe('per-site state', () => {
  it('is rebuilt when a device is added, keeping presence and latest values, and the live view sees the new device', () => {
    const registry = new Registry();
    registry.loadSite(hub([]));
    const sites = new SiteStates(registry);
    const live = new LiveState({ registry, sites });
    const changed: string[] = [];
    sites.onSiteChange((s) => changed.push(s.site.devices.map((d) => d.id).join(',')));
    const now = Date.now();
    const checkin: EnrichedCheckin = { site: 'hub', device: 'badge', member: 'm1', action: 'check_in', ts: now - 60_000, desk: 'n1', zone: 'north' };
    sites.onCheckins([checkin]);
    const power = (device: string, desk: string, w: number): EnrichedReading => ({ site: 'hub', device, kind: 'desk_plug', desk, zone: 'north', category: 'desk', carrier: 'electricity', metric: 'power_w', value: w, ts: now - 1_000 });
    sites.onReadings([power('plug-n1', 'n1', 40)]);
    expect(live.snapshot('hub')).toMatchObject({ people_present: 1, power_w: { total: 40 } });

    registry.loadSite(hub([{ id: 'plug-n2', kind: 'desk_plug', desk: 'n2', carrier: 'electricity' }]));
    expect(changed).toEqual(['plug-n1,badge,plug-n2']);
    sites.onReadings([power('plug-n2', 'n2', 25)]);
    expect(live.snapshot('hub')).toMatchObject({ people_present: 1, power_w: { total: 65 }, devices: { total: 3 } });
    expect(sites.get('hub')!.presence.get('m1')).toMatchObject({ desk: 'n1' });
  });

  it('ends a session at check-out, for the live view and for the alerts (desk left since)', () => {
    const registry = new Registry();
    registry.loadSite(hub([]));
    const sites = new SiteStates(registry);
    const live = new LiveState({ registry, sites });
    const now = Date.now();
    sites.onCheckins([{ site: 'hub', device: 'badge', member: 'm2', action: 'check_in', ts: now - 120_000, desk: 'n2', zone: 'north' }]);
    expect(live.snapshot('hub')!.people_present).toBe(1);
    expect([...sites.get('hub')!.presence.keys()]).toEqual(['m2']);
    sites.onCheckins([{ site: 'hub', device: 'badge', member: 'm2', action: 'check_out', ts: now - 60_000, desk: 'n2', zone: 'north' }]);
    expect(live.snapshot('hub')!.people_present).toBe(0);
    expect(sites.get('hub')!.deskLeft.get('n2')).toBe(now - 60_000);
  });
});
