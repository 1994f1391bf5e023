/**
 * The footprint engine as an ingest processor (footprint/stream.ts holds the per-site live
 * path): `onReadings`/`onCheckins` only buffer; `tick(now)` releases what the lateness
 * window allows and returns the finished points. With a store, a restart warms each site's
 * open month up from stored raw data, and months marked dirty by late data are recomputed
 * from raw data in the background.
 */
import type { SiteFile } from '../devices/site.ts';
import { recompute } from '../footprint/recompute.ts';
import { DEFAULT_LATENESS_MS, SiteFootprintStream } from '../footprint/stream.ts';
import type { Point, TimeSeriesStore } from '../store/types.ts';
import type { Processor } from './types.ts';

/** How long the live "today" figure is reused before it is worked out again. */
const TODAY_CACHE_MS = 5_000;

export interface FootprintProcessorOptions {
  sites: ReadonlyMap<string, SiteFile> | readonly SiteFile[];
  /** Store of raw data, for recomputing months that late data touched. */
  store?: TimeSeriesStore;
  /** Wall clock, for the idle rule; injectable for tests. */
  clock?: () => number;
  latenessMs?: number;
  counterHoldMs?: number;
  /** Recompute a dirty month this long after it was last marked (lets the writer store the late data first). */
  recomputeDelayMs?: number;
  /**
   * With a store: rebuild each site's open month from stored raw data at the first tick, so a
   * restart does not leave the month's pool and hours partial (default true).
   */
  warmStart?: boolean;
}

export interface FootprintProcessor extends Processor {
  /** Today's energy and carbon for a site (local day), null for an unknown site. */
  today(site: string): { kwh: number; kgco2e: number; by_carrier: Record<string, number> } | null;
  /** The live stream of a site (engine, dirty months), for the API and tests. */
  stream(site: string): SiteFootprintStream | undefined;
  /** Months waiting for a recompute, per site. */
  dirty(): { site: string; from: number; to: number }[];
  /** Resolves once the warm start (if any) is done; ticks return nothing until then. */
  ready(): Promise<void>;
  /** Resolves once no background recompute is running (shutdown, tests). */
  settled(): Promise<void>;
  /**
   * A site added or changed while running (a device added): its engine is rebuilt for the
   * new site file and, with a store, warmed up again from the stored raw data of the open
   * month, so the new device counts from its first reading without a restart.
   */
  siteChanged(site: SiteFile): void;
  /**
   * Takes a site on (past one machine, its bucket was acquired): its engine is built and
   * warmed up from the store's raw data of the open month, the warm start that the previous
   * owner's figures continue from. Resolves once it is warm; the bucket's messages should
   * flow only then.
   */
  adopt(site: SiteFile): Promise<void>;
  /** Lets a site go (its bucket moved): what its engine held is rebuilt by the next owner's warm start. */
  drop(siteId: string): void;
}

export function createFootprintProcessor(opts: FootprintProcessorOptions): FootprintProcessor {
  const siteList = opts.sites instanceof Map ? [...opts.sites.values()] : [...(opts.sites as readonly SiteFile[])];
  const todayCache = new Map<string, { at: number; value: { kwh: number; kgco2e: number; by_carrier: Record<string, number> } }>();
  const streams = new Map(siteList.map((s) => [s.id, new SiteFootprintStream(s, opts)] as const));
  const clock = opts.clock ?? Date.now;
  const lateness = opts.latenessMs ?? DEFAULT_LATENESS_MS;
  const recomputeDelay = opts.recomputeDelayMs ?? 60_000;
  const dirtySince = new Map<string, number>();
  /** Wall-clock time of each site's latest message, for the idle rule. */
  const lastArrival = new Map<string, number>();
  const started = clock();
  /** The background recompute in progress, if any (one at a time). */
  let recomputing: Promise<void> | false = false;
  /** Warm start: not begun (undefined), running (a promise), or done (true). */
  let warm: Promise<void> | true | undefined = opts.store && opts.warmStart !== false ? undefined : true;
  /** Streams already warmed up (each is warmed once, before its first release). */
  const warmed = new WeakSet<SiteFootprintStream>();
  /** Sites whose rebuilt stream is warming up: not released until it is done. */
  const rebuilding = new Map<string, Promise<void>>();
  const warmStream = async (s: SiteFootprintStream, now: number): Promise<void> => {
    if (warmed.has(s)) return;
    warmed.add(s);
    try {
      await s.warmStart(opts.store!, now);
    } catch {
      // Store unreachable: carry on live; the month is flagged for a recompute.
      s.dirtyMonths.add(s.engine.clock.monthStart(now));
    }
  };
  const warmUp = (now: number): Promise<void> => {
    if (warm === true) return Promise.resolve();
    warm ??= (async () => {
      for (const s of streams.values()) await warmStream(s, now);
      warm = true;
    })();
    return warm;
  };

  return {
    name: 'footprint',
    onReadings(batch) {
      // A batch is one device's message: nearly always one site.
      let site: string | undefined;
      let s: SiteFootprintStream | undefined;
      for (const r of batch) {
        if (r.site !== site) {
          site = r.site;
          s = streams.get(site);
          if (s) lastArrival.set(site, clock());
        }
        s?.pushReading(r);
      }
    },
    onCheckins(batch) {
      const t = clock();
      for (const c of batch) {
        const s = streams.get(c.site);
        if (!s) continue;
        s.push({ type: 'checkin', ts: c.ts, checkin: c });
        lastArrival.set(c.site, t);
      }
    },
    async tick(now) {
      if (warm !== true) {
        void warmUp(now);
        return [];
      }
      const points: Point[] = [];
      for (const [site, s] of streams) {
        if (rebuilding.has(site)) continue;
        // A quiet site still needs its intervals closed: after a lateness of silence the
        // wall clock stands in for event time.
        const idle = now - (lastArrival.get(site) ?? started) >= lateness ? now : undefined;
        s.release(idle);
        points.push(...s.engine.drainPoints());
      }
      if (opts.store && !recomputing) {
        for (const [site, s] of streams) {
          for (const m of s.dirtyMonths) {
            const key = `${site}@${m}`;
            if (!dirtySince.has(key)) dirtySince.set(key, now);
          }
        }
        // Only months that have ended: an open month's live accumulators are finalised by
        // the live engine and would overwrite a recompute (its late data stay flagged).
        const due = [...dirtySince.entries()].find(([key, t]) => {
          const [site, m] = key.split('@') as [string, string];
          return now - t >= recomputeDelay && streams.get(site)!.engine.clock.nextMonthStart(Number(m)) <= now - lateness;
        });
        if (due) {
          const [key] = due;
          const [site, m] = key.split('@') as [string, string];
          const s = streams.get(site)!;
          const monthStart = Number(m);
          dirtySince.delete(key);
          s.dirtyMonths.delete(monthStart);
          // In the background: a month of raw data takes seconds, and live ticks go on.
          recomputing = recompute({ store: opts.store, site: s.engine.site, from: monthStart, to: monthStart + 1, now, write: true })
            .then(() => undefined)
            .catch(() => {
              s.dirtyMonths.add(monthStart); // store trouble: try again later
            })
            .finally(() => {
              recomputing = false;
            });
        }
      }
      return points;
    },
    today(site) {
      const s = streams.get(site);
      if (!s) return null;
      // The live view asks every second; the preview walks the lateness buffer, so a figure
      // a few seconds old is reused (bench/RESULTS.md: the walk cost grows with the rate).
      const now = clock();
      const cached = todayCache.get(site);
      if (cached && now - cached.at < TODAY_CACHE_MS && now >= cached.at) return cached.value;
      const value = s.today(now);
      todayCache.set(site, { at: now, value });
      return value;
    },
    stream(site) {
      return streams.get(site);
    },
    dirty() {
      const out: { site: string; from: number; to: number }[] = [];
      for (const [site, s] of streams) for (const m of s.dirtyMonths) out.push({ site, from: m, to: s.engine.clock.nextMonthStart(m) });
      return out;
    },
    ready() {
      return warm === true ? Promise.resolve() : warmUp(clock());
    },
    async settled() {
      while (recomputing) await recomputing;
      await Promise.all(rebuilding.values());
    },
    siteChanged(site) {
      const old = streams.get(site.id);
      const fresh = new SiteFootprintStream(site, opts);
      streams.set(site.id, fresh);
      todayCache.delete(site.id);
      if (!old) return;
      for (const m of old.dirtyMonths) fresh.dirtyMonths.add(m);
      // The readings the old engine still held in its lateness window reach the new one
      // through the store (warm start reads them back); should one not be stored yet, the
      // month is flagged so a recompute after its end makes it whole.
      const now = clock();
      fresh.dirtyMonths.add(fresh.engine.clock.monthStart(now));
      if (!opts.store || opts.warmStart === false) return;
      const done = (async () => {
        if (warm !== true) await warmUp(now);
        await warmStream(fresh, clock());
      })().finally(() => {
        if (rebuilding.get(site.id) === done) rebuilding.delete(site.id);
      });
      rebuilding.set(site.id, done);
    },
    adopt(site) {
      const fresh = new SiteFootprintStream(site, opts);
      streams.set(site.id, fresh);
      todayCache.delete(site.id);
      if (!opts.store || opts.warmStart === false) return Promise.resolve();
      const done = (async () => {
        if (warm !== true) await warmUp(clock());
        await warmStream(fresh, clock());
      })().finally(() => {
        if (rebuilding.get(site.id) === done) rebuilding.delete(site.id);
      });
      rebuilding.set(site.id, done);
      return done;
    },
    drop(siteId) {
      streams.delete(siteId);
      rebuilding.delete(siteId);
      todayCache.delete(siteId);
      lastArrival.delete(siteId);
      for (const key of [...dirtySince.keys()]) if (key.startsWith(`${siteId}@`)) dirtySince.delete(key);
    },
    async close() {
      while (recomputing) await recomputing;
      await Promise.all(rebuilding.values());
      streams.clear();
    },
  };
}
