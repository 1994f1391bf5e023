/**
 * The alerts processor with a fake clock: readings and check-ins go in with explicit
 * timestamps, `tick(now)` decides, and the test reads the lists a facility manager sees.
 */
import { describe, expect, it } from 'vitest';
import type { AlertsResponse } from '../../../devices/api-types.ts';
import { siteFileSchema } from '../../../devices/site.ts';
import { AlertsProcessor, WASTE_AFTER_MS } from '../../../ingest/alerts.ts';
import type { EnrichedCheckin, EnrichedReading } from '../../../ingest/types.ts';
import { Registry } from '../../../store/registry.ts';

const MIN = 60_000;
/** Tuesday 17 November 2026, 10:00 in London (UTC+0 in November). */
const TUE_10 = Date.UTC(2026, 10, 17, 10, 0);
const TUE_1930 = Date.UTC(2026, 10, 17, 19, 30);
const TUE_20 = Date.UTC(2026, 10, 17, 20, 0);
const SAT_10 = Date.UTC(2026, 10, 21, 10, 0);
const ELECTRICITY = 0.177;
const GAS = 0.183;

function setup(activity?: Map<string, { lastSeen: number; status: 'online' | 'offline' | null }>, opening_hours?: Record<string, string>) {
  const registry = new Registry();
  registry.loadSite(
    siteFileSchema.parse({
      id: 'hub', name: 'Hub', timezone: 'Europe/London', area_m2: 200, ...(opening_hours ? { opening_hours } : {}),
      factors: [{ name: 'UK DESNZ 2025', year: 2025, basis: 'location, gross CV', source: 'DESNZ 2025', electricity: ELECTRICITY, gas: GAS }],
      zones: [{ id: 'north', name: 'North Studio', area_m2: 100 }, { id: 'south', name: 'South Room', area_m2: 100 }],
      desks: [{ id: 'n1', zone: 'north' }, { id: 'n2', zone: 'north' }, { id: 's1', zone: 'south' }],
      devices: [
        { id: 'occ-n1', kind: 'desk_occupancy', desk: 'n1' },
        { id: 'occ-n2', kind: 'desk_occupancy', desk: 'n2' },
        { id: 'plug-n1', kind: 'desk_plug', desk: 'n1', carrier: 'electricity' },
        { id: 'light-north', kind: 'zone_lighting', zone: 'north', carrier: 'electricity' },
        { id: 'heat-south', kind: 'zone_heating', zone: 'south', carrier: 'gas' },
        { id: 'badge', kind: 'badge_reader', zone: 'south' },
        { id: 'zb-occ-s1', kind: 'desk_occupancy', desk: 's1', foreign: { ecosystem: 'zigbee2mqtt', id: 'desk s1' } },
      ],
      members: [{ id: 'm1', name: 'Ada' }, { id: 'm2', name: 'Ben' }],
    }),
  );
  const alerts = new AlertsProcessor({ registry, ...(activity ? { activity: (site, device) => activity.get(`${site}/${device}`) } : {}) });
  const updates: AlertsResponse[] = [];
  alerts.on('alerts', (u: AlertsResponse) => updates.push(u));
  return { registry, alerts, updates };
}

function reading(device: string, metric: EnrichedReading['metric'], value: number, ts: number, where: Partial<EnrichedReading>): EnrichedReading {
  return { site: 'hub', device, kind: 'zone_lighting', metric, value, ts, ...where } as EnrichedReading;
}
const light = (metric: EnrichedReading['metric'], value: number, ts: number) =>
  reading('light-north', metric, value, ts, { kind: 'zone_lighting', zone: 'north', category: 'lighting', carrier: 'electricity' });
const occupancy = (desk: 'n1' | 'n2', occupied: boolean, ts: number) =>
  reading(`occ-${desk}`, 'occupied', occupied ? 1 : 0, ts, { kind: 'desk_occupancy', desk, zone: 'north' });
const plug = (watts: number, ts: number) => reading('plug-n1', 'power_w', watts, ts, { kind: 'desk_plug', desk: 'n1', zone: 'north', category: 'desk', carrier: 'electricity' });
const heating = (metric: EnrichedReading['metric'], value: number, ts: number) =>
  reading('heat-south', metric, value, ts, { kind: 'zone_heating', zone: 'south', category: 'heating', carrier: 'gas' });
const checkin = (member: string, action: 'check_in' | 'check_out', ts: number, desk: string, zone: string): EnrichedCheckin =>
  ({ site: 'hub', device: 'badge', member, action, ts, desk, zone }) as EnrichedCheckin;

describe('lights on in an empty zone', () => {
  it('is raised after 15 minutes, dated from when the waste began, with the energy and CO2e wasted so far', () => {
    const { alerts, updates } = setup();
    alerts.onReadings([occupancy('n1', false, TUE_10), occupancy('n2', false, TUE_10), light('on', 1, TUE_10), light('power_w', 240, TUE_10)]);
    alerts.onReadings([light('power_w', 240, TUE_10 + 10 * MIN)]);

    alerts.tick(TUE_10 + 14 * MIN);
    expect(alerts.list('hub').active).toEqual([]);

    const now = TUE_10 + WASTE_AFTER_MS + 1_000;
    alerts.tick(now);
    const [alert] = alerts.list('hub').active;
    expect(alert).toMatchObject({ kind: 'lights_empty_zone', device: 'light-north', zone: 'north', since: TUE_10, raised_at: now, resolved_at: null, value: 240 });
    expect(alert!.message).toContain('North Studio');
    // 240 W held for 15 min 1 s.
    const kwh = (240 * (WASTE_AFTER_MS + 1_000)) / 3_600_000 / 1000;
    expect(alert!.wasted_kwh).toBeCloseTo(kwh, 9);
    expect(alert!.wasted_kgco2e).toBeCloseTo(kwh * ELECTRICITY, 9);
    expect(updates.at(-1)!.active.map((a) => a.kind)).toEqual(['lights_empty_zone']);
  });

  it('counts from the moment the last person left, and resolves when someone comes back', () => {
    const { alerts } = setup();
    alerts.onReadings([occupancy('n1', true, TUE_10), light('on', 1, TUE_10), light('power_w', 100, TUE_10)]);
    alerts.tick(TUE_10 + 60 * MIN);
    expect(alerts.list('hub').active).toEqual([]);

    const left = TUE_10 + 60 * MIN;
    alerts.onReadings([occupancy('n1', false, left)]);
    alerts.tick(left + WASTE_AFTER_MS - 1_000);
    expect(alerts.list('hub').active).toEqual([]);
    alerts.tick(left + WASTE_AFTER_MS);
    const raised = alerts.list('hub').active[0]!;
    expect(raised.since).toBe(left);
    expect(raised.wasted_kwh).toBeCloseTo((100 * WASTE_AFTER_MS) / 3_600_000 / 1000, 9);

    const back = left + 20 * MIN;
    alerts.onReadings([occupancy('n2', true, back)]);
    alerts.tick(back + 1_000);
    const list = alerts.list('hub');
    expect(list.active).toEqual([]);
    expect(list.resolved).toHaveLength(1);
    expect(list.resolved[0]).toMatchObject({ id: raised.id, resolved_at: back + 1_000 });
    // 100 W from leaving to the tick that saw the zone occupied again, then frozen.
    expect(list.resolved[0]!.wasted_kwh).toBeCloseTo((100 * (20 * MIN + 1_000)) / 3_600_000 / 1000, 9);
    alerts.tick(back + 60 * MIN);
    expect(alerts.list('hub').resolved[0]!.wasted_kwh).toBe(list.resolved[0]!.wasted_kwh);
  });

  it('is not raised while the lights are off', () => {
    const { alerts } = setup();
    alerts.onReadings([occupancy('n1', false, TUE_10), light('on', 0, TUE_10), light('power_w', 0, TUE_10)]);
    alerts.tick(TUE_10 + 60 * MIN);
    expect(alerts.list('hub').active).toEqual([]);
  });
});

describe('heating on in an empty zone', () => {
  it('waits for the last check-out and prices the gas at the gas factor', () => {
    const { alerts } = setup();
    alerts.onCheckins([checkin('m1', 'check_in', TUE_10, 's1', 'south')]);
    alerts.onReadings([heating('valve_pct', 60, TUE_10), heating('power_w', 2_000, TUE_10)]);
    alerts.tick(TUE_10 + 60 * MIN);
    expect(alerts.list('hub').active).toEqual([]);

    const out = TUE_10 + 60 * MIN;
    alerts.onCheckins([checkin('m1', 'check_out', out, 's1', 'south')]);
    alerts.onReadings([heating('power_w', 2_000, out)]);
    alerts.tick(out + 30 * MIN);
    const alert = alerts.list('hub').active.find((a) => a.kind === 'heating_empty_zone')!;
    expect(alert.since).toBe(out);
    expect(alert.wasted_kwh).toBeCloseTo(1, 9); // 2 kW for 30 min
    expect(alert.wasted_kgco2e).toBeCloseTo(GAS, 9);
  });
});

describe('desk plug after hours', () => {
  it('is raised 15 minutes after closing time when nobody is checked in at the desk', () => {
    const { alerts } = setup();
    alerts.onReadings([plug(60, TUE_1930), plug(60, TUE_20 + 10 * MIN)]);
    alerts.tick(TUE_1930 + 20 * MIN); // 19:50, open
    alerts.tick(TUE_20 + 14 * MIN);
    expect(alerts.list('hub').active).toEqual([]);
    alerts.tick(TUE_20 + 15 * MIN);
    const alert = alerts.list('hub').active[0]!;
    expect(alert).toMatchObject({ kind: 'plug_after_hours', desk: 'n1', since: TUE_20 });
    expect(alert.wasted_kwh).toBeCloseTo((60 * 15 * MIN) / 3_600_000 / 1000, 9);
  });

  it('is not raised while the member is still checked in at that desk', () => {
    const { alerts } = setup();
    alerts.onCheckins([checkin('m1', 'check_in', TUE_1930, 'n1', 'north')]);
    alerts.onReadings([plug(60, TUE_1930)]);
    alerts.tick(TUE_20 + 60 * MIN);
    expect(alerts.list('hub').active.filter((a) => a.kind === 'plug_after_hours')).toEqual([]);
  });

  it('on a Saturday dates the waste from Friday closing, in the site time zone', () => {
    const { alerts } = setup();
    const friday1800 = Date.UTC(2026, 10, 20, 18, 0);
    alerts.onReadings([plug(40, friday1800)]);
    alerts.tick(SAT_10);
    expect(alerts.list('hub').active[0]).toMatchObject({ kind: 'plug_after_hours', since: Date.UTC(2026, 10, 20, 20, 0) });
  });

  it("follows the site's own opening hours: a late evening, a Saturday, a closed Sunday", () => {
    const { alerts } = setup(undefined, { tue: '07:00-22:00', sat: '10:00-16:00' });
    // Tuesday 21:30: open late, so nothing.
    alerts.onReadings([plug(60, TUE_20), plug(60, TUE_20 + 90 * MIN)]);
    alerts.tick(TUE_20 + 90 * MIN);
    expect(alerts.list('hub').active).toEqual([]);
    // Saturday 11:00, open; 16:20 (closed at 16:00) raises; dated from Saturday's closing.
    const sat11 = Date.UTC(2026, 10, 21, 11, 0);
    alerts.onReadings([plug(60, sat11), plug(60, sat11 + 5 * 60 * MIN)]);
    alerts.tick(sat11 + 5 * 60 * MIN);
    expect(alerts.list('hub').active).toEqual([]);
    alerts.tick(Date.UTC(2026, 10, 21, 16, 20));
    expect(alerts.list('hub').active[0]).toMatchObject({ kind: 'plug_after_hours', since: Date.UTC(2026, 10, 21, 16, 0) });
  });

  it('treats a day left out of opening_hours as closed, from the previous open day', () => {
    const { alerts } = setup(undefined, { mon: '08:00-18:00' });
    // Tuesday 10:00 is a working hour by default, but this site opens on Mondays only.
    alerts.onReadings([plug(60, TUE_10 - 60 * MIN)]);
    alerts.tick(TUE_10);
    expect(alerts.list('hub').active[0]).toMatchObject({ kind: 'plug_after_hours', since: TUE_10 - 60 * MIN });
  });

  it('is quiet during opening hours', () => {
    const { alerts } = setup();
    alerts.onReadings([plug(60, TUE_10)]);
    alerts.tick(TUE_10 + 120 * MIN);
    expect(alerts.list('hub').active).toEqual([]);
  });
});

describe('device health', () => {
  it('flags a device silent for over three times its cadence, and one that says it is offline', () => {
    const activity = new Map<string, { lastSeen: number; status: 'online' | 'offline' | null }>();
    const { registry, alerts } = setup(activity);
    for (const d of registry.devices('hub')) activity.set(`hub/${d.device}`, { lastSeen: TUE_10, status: 'online' });
    activity.set('hub/occ-n2', { lastSeen: TUE_10, status: 'offline' });
    // desk_plug cadence 30 s: silent after 90 s.
    alerts.tick(TUE_10 + 90_000);
    expect(alerts.list('hub').active.map((a) => `${a.kind}:${a.device}`)).toEqual(['device_offline:occ-n2']);
    alerts.tick(TUE_10 + 91_000);
    const active = alerts.list('hub').active;
    expect(active.find((a) => a.device === 'plug-n1')).toMatchObject({ kind: 'device_silent', since: TUE_10, wasted_kwh: null });
    // A Zigbee2MQTT sensor with availability online reports on change only: quiet is fine.
    alerts.tick(TUE_10 + 3_600_000);
    expect(alerts.list('hub').active.find((a) => a.device === 'zb-occ-s1')).toBeUndefined();
    // Heard again: resolved.
    activity.set('hub/plug-n1', { lastSeen: TUE_10 + 3_600_000, status: 'online' });
    alerts.tick(TUE_10 + 3_601_000);
    expect(alerts.list('hub').active.find((a) => a.device === 'plug-n1')).toBeUndefined();
    expect(alerts.list('hub').resolved.find((a) => a.device === 'plug-n1')).toBeDefined();
  });

  it('counts a device never heard from as silent from when ingest started', () => {
    const activity = new Map<string, { lastSeen: number; status: 'online' | 'offline' | null }>();
    const { alerts } = setup(activity);
    alerts.tick(TUE_10);
    alerts.tick(TUE_10 + 91_000);
    expect(alerts.list('hub').active.find((a) => a.device === 'plug-n1')).toMatchObject({ kind: 'device_silent', since: TUE_10 });
    expect(alerts.list('hub').active.find((a) => a.device === 'plug-n1')!.message).toContain('has not reported');
  });

  it('flags a battery under 15 % and clears it only once it is clearly back up', () => {
    const { alerts } = setup();
    const battery = (pct: number, ts: number) => reading('occ-n1', 'battery_pct', pct, ts, { kind: 'desk_occupancy', desk: 'n1', zone: 'north' });
    alerts.onReadings([battery(16, TUE_10), battery(14, TUE_10 + MIN)]);
    alerts.tick(TUE_10 + 2 * MIN);
    expect(alerts.list('hub').active).toMatchObject([{ kind: 'battery_low', device: 'occ-n1', since: TUE_10 + MIN, value: 14 }]);
    expect(alerts.battery('hub', 'occ-n1')).toEqual({ value: 14, ts: TUE_10 + MIN });
    alerts.onReadings([battery(16, TUE_10 + 3 * MIN)]);
    alerts.tick(TUE_10 + 4 * MIN);
    expect(alerts.list('hub').active).toHaveLength(1);
    alerts.onReadings([battery(100, TUE_10 + 5 * MIN)]);
    alerts.tick(TUE_10 + 6 * MIN);
    expect(alerts.list('hub').active).toEqual([]);
  });
});
