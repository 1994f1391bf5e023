/**
 * Sites and stores for the normalised-indicator and network tests (METHODOLOGY §10, §11),
 * each figure worked by hand in the tests that use them. The footprint is the engine's,
 * recomputed from raw readings in a real SQLite store (in memory).
 */
import { afterAll } from 'vitest';
import type { SiteFile } from '../../../devices/site.ts';
import { checkinToPoint, readingToPoint, type FootprintEvent } from '../../../footprint/events.ts';
import { recompute } from '../../../footprint/recompute.ts';
import { SqliteStore } from '../../../store/sqlite.ts';
import type { TimeSeriesStore } from '../../../store/types.ts';
import { T, checkin, constantPower, makeSite, reading } from './helpers.ts';

export const HOUR = 3_600_000;
const stores: SqliteStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
});

export const devices = [
  { id: 'main-el', kind: 'meter' as const, category: 'main' as const, carrier: 'electricity' as const },
  { id: 'heat-z1', kind: 'zone_heating' as const, zone: 'z1', carrier: 'gas' as const },
  { id: 'outdoor', kind: 'outdoor_sensor' as const },
];
export const sensorSite = makeSite(devices, { degree_days: { device: 'outdoor' } });

/** One day of the building: 1000 W of electricity, `gasKwh` of heating spread evenly, a steady outdoor temperature. */
export function day(site: SiteFile, date: string, gasKwh: number, outdoorC: number | null, counterStartWh: number): FootprintEvent[] {
  const start = T(`${date}T00:00`);
  const out: FootprintEvent[] = [...constantPower(site, 'main-el', 1000, start, start + 24 * HOUR)];
  for (let h = 0; h <= 24; h++) out.push(reading(site, 'heat-z1', 'energy_wh', counterStartWh + (gasKwh * 1000 * h) / 24, start + h * HOUR));
  if (outdoorC !== null && site.devices.some((d) => d.id === 'outdoor')) for (let m = 0; m < 24 * 60; m += 30) out.push(reading(site, 'outdoor', 'temperature_c', outdoorC, start + m * 60_000));
  return out;
}

export async function storeOf(site: SiteFile, events: FootprintEvent[], from: string, to: string, now: string): Promise<SqliteStore> {
  const store = new SqliteStore({ file: ':memory:' });
  await store.init();
  stores.push(store);
  await store.write(events.map((e) => (e.type === 'reading' ? readingToPoint(e.reading) : checkinToPoint(e.checkin))));
  await recompute({ store, site, from: T(from), to: T(to), now: T(now) });
  return store;
}

/** Two winter days from `first` (YYYY-MM-DD, 13 January 2025 unless given). */
export const winterEvents = (site: SiteFile, first = '2025-01-13') => {
  const d0 = T(`${first}T00:00`);
  const second = new Date(d0 + 24 * HOUR).toISOString().slice(0, 10);
  const at = (dayOffset: number, h: number) => d0 + (dayOffset * 24 + h) * HOUR;
  return [
    // First day: 5.5 °C all day, 60 kWh of gas; second: 10.5 °C, 36 kWh (counter continues).
    ...day(site, first, 60, 5.5, 0),
    ...day(site, second, 36, 10.5, 60_000),
    checkin(site, 'm1', 'check_in', at(0, 9), 'd1'),
    checkin(site, 'm1', 'check_out', at(0, 17)),
    checkin(site, 'm1', 'check_in', at(1, 9), 'd1'),
    checkin(site, 'm1', 'check_out', at(1, 13)),
    checkin(site, 'm2', 'check_in', at(1, 9), 'd2'),
    checkin(site, 'm2', 'check_out', at(1, 17)),
  ];
};


// ------------------------------------------------------------------ a network of three sites (§11)

/** Distinctive member names, so a leak into a network report is unambiguous. */
export const NETWORK_MEMBER_NAMES = ['Zebedee Quartermain', 'Ottoline Vasquez', 'Philippa Wolstenholme', 'Barnaby Oyelaran'];

/** A: the §10 winter site (100 m², gas heating, outdoor sensor). */
export const siteA = makeSite(devices, {
  id: 'ancoats', name: 'Ancoats Hub', degree_days: { device: 'outdoor' },
  members: [{ id: 'm1', name: NETWORK_MEMBER_NAMES[0] }, { id: 'm2', name: NETWORK_MEMBER_NAMES[1] }],
});
/** B: 200 m², electricity only (nothing to weather-normalise), 500 W throughout. */
export const siteB = makeSite([{ id: 'main-el', kind: 'meter', category: 'main', carrier: 'electricity' }], {
  id: 'bedminster', name: 'Bedminster Loft', area_m2: 200, members: [{ id: 'm1', name: NETWORK_MEMBER_NAMES[2] }],
});
/** C: somebody else's site, which a funder of A and B must not see. */
export const siteC = makeSite([{ id: 'main-el', kind: 'meter', category: 'main', carrier: 'electricity' }], {
  id: 'carlisle', name: 'Carlisle Works', members: [{ id: 'm1', name: NETWORK_MEMBER_NAMES[3] }],
});

/** Raw events of the three sites over two days from `first` (YYYY-MM-DD). */
export function networkEvents(first = '2025-01-13'): FootprintEvent[] {
  const d0 = T(`${first}T00:00`);
  const at = (h: number) => d0 + h * HOUR;
  return [
    ...winterEvents(siteA, first),
    ...constantPower(siteB, 'main-el', 500, d0, d0 + 48 * HOUR),
    checkin(siteB, 'm1', 'check_in', at(10), 'd1'),
    checkin(siteB, 'm1', 'check_out', at(14)),
    ...constantPower(siteC, 'main-el', 2000, d0, d0 + 48 * HOUR),
    checkin(siteC, 'm1', 'check_in', at(10), 'd1'),
    checkin(siteC, 'm1', 'check_out', at(12)),
  ];
}

/** Writes the network's raw events into `store` and recomputes each site's footprint over [from, now). */
export async function writeNetwork(store: TimeSeriesStore, first: string, from: number, now: number): Promise<void> {
  await store.write(networkEvents(first).map((e) => (e.type === 'reading' ? readingToPoint(e.reading) : checkinToPoint(e.checkin))));
  for (const site of [siteA, siteB, siteC]) await recompute({ store, site, from, to: now, now });
}

/** One store with 13–14 January 2025 of all three sites, January recomputed. */
export async function networkStore(): Promise<SqliteStore> {
  const store = new SqliteStore({ file: ':memory:' });
  await store.init();
  stores.push(store);
  await writeNetwork(store, '2025-01-13', T('2025-01-01T00:00'), T('2025-01-20T00:00'));
  return store;
}
