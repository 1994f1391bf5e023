/** Small sites and event builders for the footprint tests (no MQTT, no database). */
import { siteFileSchema, type FactorSet, type SiteFile } from '../../../devices/site.ts';
import type { EnrichedCheckin, EnrichedReading } from '../../../ingest/types.ts';
import { SiteFootprintEngine } from '../../../footprint/engine.ts';
import { feed } from '../../../footprint/engine.ts';
import { compareEvents, type FootprintEvent } from '../../../footprint/events.ts';
import type { Point } from '../../../store/types.ts';
import type { DeviceKind, OccupancySensorModelKey } from '../../../devices/kinds.ts';

export const UK_2025: FactorSet = {
  unit: 'kgCO2e/kWh',
  name: 'UK DESNZ 2025', year: 2025, basis: 'location-based', source: 'https://www.gov.uk/government/collections/government-conversion-factors-for-company-reporting',
  electricity: 0.177, gas: 0.183, heat: 0.1796,
};

type DeviceSpec = { id: string; kind: DeviceKind; desk?: string; zone?: string; carrier?: 'electricity' | 'gas' | 'heat'; category?: 'desk' | 'lighting' | 'heating' | 'hvac' | 'common' | 'main'; model?: OccupancySensorModelKey; heartbeat_s?: number; hold_s?: number };

/** Zones z1 (desks d1, d2) and z2 (desk d3); the devices are chosen per test. */
export function makeSite(devices: DeviceSpec[], over: Record<string, unknown> = {}): SiteFile {
  return siteFileSchema.parse({
    id: 'hub', name: 'Test hub', timezone: 'UTC', area_m2: 100, factors: [UK_2025],
    zones: [{ id: 'z1', name: 'Z1', area_m2: 50 }, { id: 'z2', name: 'Z2', area_m2: 50 }],
    desks: [{ id: 'd1', zone: 'z1' }, { id: 'd2', zone: 'z1' }, { id: 'd3', zone: 'z2' }],
    devices: [...devices, { id: 'badge', kind: 'badge_reader' }],
    members: [{ id: 'm1', name: 'One' }, { id: 'm2', name: 'Two' }],
    ...over,
  });
}

export const T = (iso: string): number => Date.parse(iso.endsWith('Z') ? iso : `${iso}Z`);
const MIN = 60_000;

export function reading(site: SiteFile, device: string, metric: EnrichedReading['metric'], value: number, ts: number): FootprintEvent {
  const d = site.devices.find((x) => x.id === device)!;
  const r: EnrichedReading = { site: site.id, device, kind: d.kind, metric, value, ts };
  if (d.desk) r.desk = d.desk;
  if (d.zone) r.zone = d.zone;
  if (d.carrier) r.carrier = d.carrier;
  if (d.category) r.category = d.category;
  return { type: 'reading', ts, reading: r };
}

/** Constant power readings every `stepMin` minutes from `from` to `to` inclusive. */
export function constantPower(site: SiteFile, device: string, watts: number, from: number, to: number, stepMin = 5): FootprintEvent[] {
  const out: FootprintEvent[] = [];
  for (let t = from; t <= to; t += stepMin * MIN) out.push(reading(site, device, 'power_w', watts, t));
  return out;
}

export function checkin(site: SiteFile, member: string, action: 'check_in' | 'check_out', ts: number, desk?: string): FootprintEvent {
  const c: EnrichedCheckin = { site: site.id, device: 'badge', member, action, ts };
  if (desk) c.desk = desk;
  return { type: 'checkin', ts, checkin: c };
}

/** Runs a batch of events through a fresh engine in canonical order and closes up to `to`. */
export function run(site: SiteFile, events: FootprintEvent[], to: number): { engine: SiteFootprintEngine; points: Point[] } {
  const engine = new SiteFootprintEngine(site);
  for (const e of [...events].sort(compareEvents)) feed(engine, e);
  engine.finish(to);
  return { engine, points: engine.drainPoints() };
}

/** Last value per (measurement, tags, ts), as the store keeps it. */
export function latest(points: readonly Point[]): Map<string, Point> {
  const m = new Map<string, Point>();
  for (const p of points) m.set(`${p.measurement}|${JSON.stringify(Object.entries(p.tags).sort())}|${p.ts}`, p);
  return m;
}

/** Σ of a field over the latest points of a measurement matching the tags. */
export function sum(points: readonly Point[], measurement: string, tags: Record<string, string>, field: string): number {
  let s = 0;
  for (const p of latest(points).values()) {
    if (p.measurement !== measurement) continue;
    if (Object.entries(tags).some(([k, v]) => p.tags[k] !== v)) continue;
    s += p.fields[field] ?? 0;
  }
  return s;
}

export function pointAt(points: readonly Point[], measurement: string, tags: Record<string, string>, ts: number): Point | undefined {
  return [...latest(points).values()].find((p) => p.measurement === measurement && p.ts === ts && Object.entries(tags).every(([k, v]) => p.tags[k] === v));
}
