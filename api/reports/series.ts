/**
 * Reads the stored footprint series (docs/footprint.md "Series written") that a report is
 * built from. Thin on purpose: the figures are the engine's, summed, never recomputed here.
 */
import type { SiteFile } from '../../devices/site.ts';
import { M_DAY, M_MONTH, M_PRESENCE, M_SITE } from '../../footprint/schema.ts';
import type { FootprintProcessor } from '../../footprint/stream.ts';
import type { Point, TagFilter, TimeSeriesStore } from '../../store/types.ts';

const DAY_MS = 86_400_000;
/** Stored points are read in windows of this length (a 100-desk site: ~5,000 points a week). */
export const READ_WINDOW_MS = 7 * DAY_MS;

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
  engine?: FootprintProcessor;
  /** Called after each window with the data time read so far and in all. */
  onProgress?: (done: number, total: number) => void;
}

export async function readFootprintSeries(o: ReadOptions): Promise<FootprintSeries> {
  const out: FootprintSeries = { site: [], days: [], presence: [], months: [] };
  const where = { site: o.site.id };
  for (let w = o.from; w < o.to; w += READ_WINDOW_MS) {
    const wEnd = Math.min(w + READ_WINDOW_MS, o.to);
    out.site.push(...(await readAll(o.store, M_SITE, where, w, wEnd)));
    out.days.push(...(await readAll(o.store, M_DAY, where, w, wEnd)));
    out.presence.push(...(await readAll(o.store, M_PRESENCE, where, w, wEnd)));
    o.onProgress?.(wEnd - o.from, o.to - o.from);
  }
  out.months = await readAll(o.store, M_MONTH, { site: o.site.id, account: '_site' }, o.monthsFrom, o.to);

  const live = o.engine?.stream(o.site.id)?.engine.provisionalDays() ?? [];
  if (live.length) {
    const byKey = new Map(out.days.map((p) => [`${p.tags.account}|${p.ts}`, p]));
    for (const p of live) if (p.ts >= o.from && p.ts < o.to) byKey.set(`${p.tags.account}|${p.ts}`, p);
    out.days = [...byKey.values()].sort((a, b) => a.ts - b.ts);
  }
  return out;
}

/** Every point of a window; a window that fills a page is split in halves. */
async function readAll(store: TimeSeriesStore, measurement: string, where: TagFilter, from: number, to: number): Promise<Point[]> {
  const limit = 500_000;
  const pts = await store.queryRaw({ measurement, where, from, to, limit });
  if (pts.length < limit || to - from <= 1) return pts;
  const mid = from + Math.floor((to - from) / 2);
  return [...(await readAll(store, measurement, where, from, mid)), ...(await readAll(store, measurement, where, mid, to))];
}

/** Whether the store holds any footprint for the site in [from, to) (the scheduler skips empty periods). */
export async function hasFootprint(store: TimeSeriesStore, site: string, from: number, to: number): Promise<boolean> {
  return (await store.queryRaw({ measurement: M_SITE, where: { site }, from, to, limit: 1 })).length > 0;
}
