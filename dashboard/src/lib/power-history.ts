/**
 * The rolling power history behind the live chart: pure functions over immutable arrays,
 * so the manager can hold the result in `$state.raw` and replace it whole each second.
 */
import type { LiveSnapshot, SeriesResponse } from '../../../devices/api-types.ts';
import { POWER_CATEGORIES, zeroCategoryPower, type CategoryPower, type PowerCategory } from './categories.ts';

export interface PowerSample {
  /** Epoch ms, server clock. */
  readonly at: number;
  readonly total_w: number;
  readonly by_category: Readonly<CategoryPower>;
}

/** How much history the live chart keeps in memory. */
export const LIVE_WINDOW_MS = 10 * 60_000;

export function sampleOf(snapshot: LiveSnapshot): PowerSample {
  return { at: snapshot.at, total_w: snapshot.power_w.total, by_category: snapshot.power_w.by_category };
}

/** Appends a sample in time order; a sample not newer than the last one replaces nothing. */
export function appendSample(samples: readonly PowerSample[], sample: PowerSample): readonly PowerSample[] {
  const last = samples.at(-1);
  if (last && sample.at <= last.at) return samples;
  return [...samples, sample];
}

/** Drops samples older than `windowMs` before the newest one (server time, so clock skew cannot empty it). */
export function trimWindow(samples: readonly PowerSample[], windowMs: number): readonly PowerSample[] {
  const newest = samples.at(-1);
  if (!newest) return samples;
  const oldestKept = newest.at - windowMs;
  const firstKept = samples.findIndex((s) => s.at >= oldestKept);
  return firstKept <= 0 ? samples : samples.slice(firstKept);
}

/**
 * A history sample is covered by live data when a live sample lies this close to it. The
 * server emits at 1 Hz, so connected stretches have one every second; anything farther is
 * a gap (before the page opened, or while the connection was down).
 */
export const LIVE_COVER_MS = 2_000;

/** Fills the gaps in the live samples with history; where both exist, live samples win. */
export function mergeHistory(history: readonly PowerSample[], live: readonly PowerSample[]): readonly PowerSample[] {
  const merged: PowerSample[] = [];
  let i = 0;
  for (const h of history) {
    // Live samples are sorted; advance to the first one not far before this history sample.
    while (i < live.length && live[i]!.at < h.at - LIVE_COVER_MS) i++;
    const covered = i < live.length && live[i]!.at <= h.at + LIVE_COVER_MS;
    if (!covered) merged.push(h);
  }
  return [...merged, ...live].sort((a, b) => a.at - b.at);
}

/**
 * Converts `GET /series?metric=power_w&by=category` into samples. The response has one
 * series per category, including `main` (incoming supply meters). As in the live snapshot,
 * `unmetered` is main minus the sub-meters, never negative, and the total is the main
 * meters where present, else the sum of sub-meters.
 */
export function samplesFromSeries(series: SeriesResponse): PowerSample[] {
  const byWindow = new Map<number, { categories: CategoryPower; main: number | null }>();
  const subCategories = POWER_CATEGORIES.filter((c) => c !== 'unmetered') as PowerCategory[];
  for (const s of series.series) {
    const category = s.tags.category;
    const isMain = category === 'main';
    if (!isMain && !subCategories.includes(category as PowerCategory)) continue;
    for (const [ts, value] of s.points) {
      let window = byWindow.get(ts);
      if (!window) {
        window = { categories: zeroCategoryPower(), main: null };
        byWindow.set(ts, window);
      }
      if (isMain) window.main = (window.main ?? 0) + value;
      else window.categories[category as PowerCategory] += value;
    }
  }
  // A window's aggregate describes its whole span, so plot it at the middle.
  const half = series.every_ms / 2;
  return [...byWindow.entries()]
    .sort(([a], [b]) => a - b)
    .map(([ts, { categories, main }]) => {
      const metered = subCategories.reduce((sum, c) => sum + categories[c], 0);
      const by_category = { ...categories, unmetered: main === null ? 0 : Math.max(0, main - metered) };
      return { at: ts + half, total_w: main ?? metered, by_category };
    });
}
