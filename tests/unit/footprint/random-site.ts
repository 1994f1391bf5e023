/** Seeded random building days for the property and streaming tests. */
import type { SiteFile } from '../../../devices/site.ts';
import type { FootprintEvent } from '../../../footprint/events.ts';
import { checkin, makeSite, reading } from './helpers.ts';

/** mulberry32: a small, well-mixed 32-bit PRNG; the same seed gives the same scenario. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const MIN = 60_000;

export function randomSite(rand: () => number): SiteFile {
  const devices: Parameters<typeof makeSite>[0] = [
    { id: 'occ-d1', kind: 'desk_occupancy', desk: 'd1' },
    { id: 'occ-d2', kind: 'desk_occupancy', desk: 'd2' },
    { id: 'plug-d1', kind: 'desk_plug', desk: 'd1', carrier: 'electricity' },
    { id: 'plug-d2', kind: 'desk_plug', desk: 'd2', carrier: 'electricity' },
    { id: 'plug-d3', kind: 'desk_plug', desk: 'd3', carrier: 'electricity' },
    { id: 'light-z1', kind: 'zone_lighting', zone: 'z1', carrier: 'electricity' },
    { id: 'heat-z2', kind: 'zone_heating', zone: 'z2', carrier: 'gas' },
    { id: 'common', kind: 'meter', category: 'common', carrier: 'electricity' },
    { id: 'grid', kind: 'grid_feed' },
  ];
  if (rand() < 0.7) devices.push({ id: 'main-el', kind: 'meter', category: 'main', carrier: 'electricity' });
  if (rand() < 0.5) devices.push({ id: 'main-gas', kind: 'meter', category: 'main', carrier: 'gas' });
  return makeSite(devices, {
    timezone: 'Europe/London',
    members: [1, 2, 3, 4, 5].map((i) => ({ id: `m${i}`, name: `M${i}` })),
    factors: [
      { name: 'F2025', year: 2025, basis: 'test', source: 'test', electricity: 0.177, gas: 0.183 },
    ],
  });
}

/**
 * Readings and check-ins over [from, to): power meters with jitter and occasional gaps
 * longer than max_gap, counters with occasional resets, desks toggling, people coming and
 * going (some by entrance badge, some never checking out).
 */
export function randomEvents(site: SiteFile, rand: () => number, from: number, to: number): FootprintEvent[] {
  const out: FootprintEvent[] = [];
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  for (const d of site.devices) {
    if (d.kind === 'badge_reader') continue;
    const counter = d.id === 'plug-d2' || d.id === 'heat-z2' || (d.id === 'main-gas');
    let t = from + Math.floor(rand() * 10 * MIN);
    let wh = Math.floor(rand() * 10_000);
    let occupied = 0;
    while (t < to) {
      if (d.kind === 'desk_occupancy') {
        if (rand() < 0.3) occupied = 1 - occupied;
        out.push(reading(site, d.id, 'occupied', occupied, t));
        t += Math.floor((2 + rand() * 40) * MIN);
      } else if (d.kind === 'grid_feed') {
        out.push(reading(site, d.id, 'grid_intensity_g_per_kwh', Math.round(100 + rand() * 200), t));
        t += 30 * MIN;
      } else {
        const watts = d.category === 'main' ? 800 + rand() * 1500 : rand() * 400;
        if (counter) {
          wh = rand() < 0.02 ? Math.floor(rand() * 50) : wh + (watts * 5) / 60;
          out.push(reading(site, d.id, 'energy_wh', wh, t));
          if (rand() < 0.3) out.push(reading(site, d.id, 'power_w', watts, t)); // ignored: counters win
          if (d.kind === 'zone_heating' && rand() < 0.5) out.push(reading(site, d.id, 'temperature_c', 18 + rand() * 4, t)); // no effect
        } else out.push(reading(site, d.id, 'power_w', watts, t));
        t += rand() < 0.05 ? Math.floor((16 + rand() * 20) * MIN) : Math.floor((1 + rand() * 7) * MIN);
      }
    }
  }
  const desks = ['d1', 'd2', 'd3', undefined];
  for (const m of site.members) {
    let t = from + Math.floor(rand() * 3 * 60 * MIN);
    while (t < to) {
      out.push(checkin(site, m.id, 'check_in', t, pick(desks)));
      t += Math.floor((20 + rand() * 300) * MIN);
      if (t < to && rand() < 0.8) out.push(checkin(site, m.id, 'check_out', t));
      t += Math.floor((10 + rand() * 600) * MIN);
    }
  }
  return out;
}
