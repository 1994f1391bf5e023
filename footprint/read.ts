/**
 * The footprint read model: the stored footprint series (docs/footprint.md "Series
 * written") that the API and the reports both read, and the one windowed reader every
 * range read of the store goes through (footprint series, raw readings for recompute and
 * export). Thin on purpose: the figures are the engine's, summed, never recomputed here.
 */
import type { SiteFile } from '../devices/site.ts';
import type { Point, TagFilter, TimeSeriesStore } from '../store/types.ts';
import type { EnergyReading } from './figures.ts';
import { ACCOUNT_SITE, M_DAY, M_MONTH, M_PRESENCE, M_SITE } from './schema.ts';

const DAY_MS = 86_400_000;
/** A read that returns this many points may have been cut short: it is split in halves. */
const PAGE_LIMIT = 200_000;
/** Footprint series are read in windows of this length (a 100-desk site: ~5,000 points a week). */
export const READ_WINDOW_MS = 7 * DAY_MS;

/** The windows [start, end) of length `windowMs` (the last one shorter) that cover [from, to). */
export function* windows(from: number, to: number, windowMs: number): Generator<[number, number]> {
  for (let w = from; w < to; w += windowMs) yield [w, Math.min(w + windowMs, to)];
}

/**
 * Every stored point of one measurement in [from, to), read window by window so no single
 * query is large; a window that fills a page is split in halves until it does not.
 */
export async function readPoints(store: TimeSeriesStore, measurement: string, where: TagFilter, from: number, to: number, windowMs = READ_WINDOW_MS): Promise<Point[]> {
  const out: Point[] = [];
  for (const [w, wEnd] of windows(from, to, windowMs)) for (const p of await readPage(store, measurement, where, w, wEnd)) out.push(p);
  return out;
}

async function readPage(store: TimeSeriesStore, measurement: string, where: TagFilter, from: number, to: number): Promise<Point[]> {
  const pts = await store.queryRaw({ measurement, where, from, to, limit: PAGE_LIMIT });
  if (pts.length < PAGE_LIMIT || to - from <= 1) return pts;
  const mid = from + Math.floor((to - from) / 2);
  return [...(await readPage(store, measurement, where, from, mid)), ...(await readPage(store, measurement, where, mid, to))];
}

/**
 * The live engine as the read model sees it: per site, the open month's day points as they
 * stand (provisional pool shares), which replace the stored ones so today's figure is live.
 */
export interface LiveDays {
  stream(site: string): { readonly engine: { provisionalDays(): Point[] } } | undefined;
  /** Today so far as the live view shows it (`metered_so_far`, footprint/today.ts). */
  today?(site: string): EnergyReading<'metered_so_far'> | null;
}

/** `footprint_day` points of a site in [from, to), with the live engine's open month overlaid. */
export async function readDays(store: TimeSeriesStore, site: SiteFile, from: number, to: number, opts: { account?: string; live?: LiveDays | undefined } = {}): Promise<Point[]> {
  const where: TagFilter = opts.account === undefined ? { site: site.id } : { site: site.id, account: opts.account };
  return overlayLive(await readPoints(store, M_DAY, where, from, to), site, from, to, opts);
}

function overlayLive(stored: Point[], site: SiteFile, from: number, to: number, opts: { account?: string; live?: LiveDays | undefined }): Point[] {
  const live = opts.live?.stream(site.id)?.engine.provisionalDays() ?? [];
  if (live.length === 0) return stored;
  const byKey = new Map(stored.map((p) => [`${p.tags.account}|${p.ts}`, p]));
  for (const p of live) {
    if (p.ts < from || p.ts >= to) continue;
    if (opts.account !== undefined && p.tags.account !== opts.account) continue;
    byKey.set(`${p.tags.account}|${p.ts}`, p);
  }
  return [...byKey.values()].sort((a, b) => a.ts - b.ts);
}

export interface FootprintSeries {
  /** `footprint_site`: per carrier and interval. */
  site: Point[];
  /** `footprint_day`: per account and local day, with the live engine's open month overlaid. */
  days: Point[];
  /** `footprint_presence`: per interval. */
  presence: Point[];
  /** `footprint_month`, account `_site`: the M6 check of each month starting in the range. */
  months: Point[];
}

export interface ReadOptions {
  store: TimeSeriesStore;
  site: SiteFile;
  from: number;
  to: number;
  /** Months starting at or after this are read for the conservation check. */
  monthsFrom: number;
  /** The live engine: its provisional day points replace stored ones of the open month. */
  engine?: LiveDays;
  /** Called after each window with the data time read so far and in all. */
  onProgress?: (done: number, total: number) => void;
}

/** A site's footprint series of [from, to), as a report or the site footprint route reads them. */
export async function readFootprintSeries(o: ReadOptions): Promise<FootprintSeries> {
  const out: FootprintSeries = { site: [], days: [], presence: [], months: [] };
  const where = { site: o.site.id };
  for (const [w, wEnd] of windows(o.from, o.to, READ_WINDOW_MS)) {
    out.site.push(...(await readPage(o.store, M_SITE, where, w, wEnd)));
    out.days.push(...(await readPage(o.store, M_DAY, where, w, wEnd)));
    out.presence.push(...(await readPage(o.store, M_PRESENCE, where, w, wEnd)));
    o.onProgress?.(wEnd - o.from, o.to - o.from);
  }
  out.months = await readPoints(o.store, M_MONTH, { site: o.site.id, account: ACCOUNT_SITE }, o.monthsFrom, o.to);
  out.days = overlayLive(out.days, o.site, o.from, o.to, { live: o.engine });
  return out;
}

/** Whether the store holds any footprint for the site in [from, to) (the scheduler skips empty periods). */
export async function hasFootprint(store: TimeSeriesStore, site: string, from: number, to: number): Promise<boolean> {
  return (await store.queryRaw({ measurement: M_SITE, where: { site }, from, to, limit: 1 })).length > 0;
}
