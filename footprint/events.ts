/**
 * What the footprint is computed from, in one place: the enriched readings and check-ins
 * ingest produces, their raw layout in the time-series store (docs/store-schema.md), the
 * codec between the two, and the canonical event order. The live path (ingest writer and
 * footprint stream) and the batch path (recompute) both go through here, so a stored
 * point read back is exactly the event the live engine saw (issue 3, item 6).
 */
import type { Checkin, Reading } from '../devices/adapter.ts';
import type { Carrier, Category, DeviceKind } from '../devices/kinds.ts';
import type { Point } from '../store/types.ts';

/** Where a registered device sits: everything the registry knows, nothing from the payload. */
export interface DeviceContext {
  site: string;
  device: string;
  kind: DeviceKind;
  zone?: string;
  desk?: string;
  /** Energy category (explicit in the site file, or the kind's default). */
  category?: Category;
  carrier?: Carrier;
}

export interface EnrichedReading extends Reading, DeviceContext {}

export interface EnrichedCheckin extends Checkin {
  site: string;
  /** The badge reader or app that sent it. */
  device: string;
  /** The desk from the payload, else the badge reader's desk; absent for an entrance badge. */
  desk?: string;
  zone?: string;
}

/**
 * Raw data layout in the time-series store (docs/store-schema.md):
 * - measurement `readings`: tags site, device, kind, and zone, desk, category, carrier when
 *   the registry has them; one field per metric key (canonical units, booleans 1/0).
 * - measurement `checkins`: tags site, member, device, and desk/zone when known;
 *   field `check_in` = 1 for a check-in, 0 for a check-out.
 */
export const MEASUREMENT_READINGS = 'readings';
export const MEASUREMENT_CHECKINS = 'checkins';

export type FootprintEvent =
  | { type: 'checkin'; ts: number; checkin: EnrichedCheckin }
  | { type: 'reading'; ts: number; reading: EnrichedReading };

// ------------------------------------------------------------------ event order

/**
 * The canonical order of events with equal timestamps: check-ins, then readings; then by
 * device, metric or member. The store returns the same set (one value per series, field and
 * timestamp), so sorting with this comparator makes live and batch input identical.
 */
export function compareEvents(a: FootprintEvent, b: FootprintEvent): number {
  if (a.ts !== b.ts) return a.ts - b.ts;
  const ka = orderKey(a);
  const kb = orderKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * Identity of an event as the store sees it (same series, field and timestamp overwrite),
 * prefixed so that check-ins sort before readings at equal timestamps.
 */
export function orderKey(e: FootprintEvent): string {
  if (e.type === 'reading') return `1${e.reading.device}\u0000${e.reading.metric}`;
  const c = e.checkin;
  return `0${c.member}\u0000${c.device}\u0000${c.desk ?? ''}\u0000${c.zone ?? ''}`;
}

/** Events in the canonical order; each key is worked out once (a month is millions of events). */
export function sortEvents(events: readonly FootprintEvent[]): FootprintEvent[] {
  const keyed = events.map((e) => ({ e, key: orderKey(e) }));
  keyed.sort((a, b) => (a.e.ts !== b.e.ts ? a.e.ts - b.e.ts : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map((k) => k.e);
}

// ------------------------------------------------------------------ point codec

/** The store tags of a registered device's readings. */
export function tagsOf(ctx: DeviceContext): Record<string, string> {
  const tags: Record<string, string> = { site: ctx.site, device: ctx.device, kind: ctx.kind };
  if (ctx.zone) tags.zone = ctx.zone;
  if (ctx.desk) tags.desk = ctx.desk;
  if (ctx.category) tags.category = ctx.category;
  if (ctx.carrier) tags.carrier = ctx.carrier;
  return tags;
}

/** The raw `readings` point of one reading (ingest groups a sample's metrics into one point). */
export function readingToPoint(r: EnrichedReading): Point {
  return { measurement: MEASUREMENT_READINGS, tags: tagsOf(r), fields: { [r.metric]: r.value }, ts: r.ts };
}

/** The raw `checkins` point of one check-in or check-out. */
export function checkinToPoint(c: EnrichedCheckin): Point {
  const tags: Record<string, string> = { site: c.site, member: c.member, device: c.device };
  if (c.desk) tags.desk = c.desk;
  if (c.zone) tags.zone = c.zone;
  return { measurement: MEASUREMENT_CHECKINS, tags, fields: { check_in: c.action === 'check_in' ? 1 : 0 }, ts: c.ts };
}

/** A stored `readings` point back into enriched readings, one per field (metric). */
export function pointToReadings(p: Point): EnrichedReading[] {
  const t = p.tags;
  if (t.site === undefined || t.device === undefined) return [];
  const out: EnrichedReading[] = [];
  for (const [metric, value] of Object.entries(p.fields)) {
    const r: EnrichedReading = { site: t.site, device: t.device, kind: t.kind as DeviceKind, metric: metric as EnrichedReading['metric'], value, ts: p.ts };
    if (t.zone !== undefined) r.zone = t.zone;
    if (t.desk !== undefined) r.desk = t.desk;
    if (t.category !== undefined) r.category = t.category as NonNullable<EnrichedReading['category']>;
    if (t.carrier !== undefined) r.carrier = t.carrier as NonNullable<EnrichedReading['carrier']>;
    out.push(r);
  }
  return out;
}

/** A stored `checkins` point back into an enriched check-in. */
export function pointToCheckin(p: Point): EnrichedCheckin | null {
  const t = p.tags;
  const flag = p.fields.check_in;
  if (t.site === undefined || t.member === undefined || t.device === undefined || flag === undefined) return null;
  const c: EnrichedCheckin = { site: t.site, device: t.device, member: t.member, action: flag >= 0.5 ? 'check_in' : 'check_out', ts: p.ts };
  if (t.desk !== undefined) c.desk = t.desk;
  if (t.zone !== undefined) c.zone = t.zone;
  return c;
}

/** Stored raw points of one window back into events, in the canonical order. */
export function pointsToEvents(readings: readonly Point[], checkins: readonly Point[]): FootprintEvent[] {
  const events: FootprintEvent[] = [];
  for (const p of readings) for (const r of pointToReadings(p)) events.push({ type: 'reading', ts: r.ts, reading: r });
  for (const p of checkins) {
    const c = pointToCheckin(p);
    if (c) events.push({ type: 'checkin', ts: c.ts, checkin: c });
  }
  return sortEvents(events);
}
