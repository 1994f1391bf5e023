/**
 * Hourly downsampling written by deskprint itself, so it works the same on every store
 * (no InfluxDB continuous queries or tasks): for each closed hour, mean, min, max, sum and
 * count of a measurement's fields go to `<measurement>_1h`, and raw points past a
 * configurable retention are deleted.
 *
 * Rollup points: measurement `<measurement>_1h`, the `by` tags, ts = start of the hour (UTC),
 * fields `<field>_mean`, `<field>_min`, `<field>_max`, `<field>_sum`, `<field>_count`.
 * Re-running over the same hours overwrites identical points, so a run may revisit recent
 * hours to take in late data (a gateway flushing its offline buffer) without duplicates.
 */
import type { Point, TagFilter, Tags, TimeSeriesStore } from './types.ts';

export const HOUR_MS = 3_600_000;
export const ROLLUP_AGGREGATES = ['mean', 'min', 'max', 'sum', 'count'] as const;

export interface RollupSpec {
  /** Raw measurement, e.g. `readings`. */
  measurement: string;
  /** Raw fields to roll up, e.g. `['power_w', 'temperature_c']`. */
  fields: readonly string[];
  /** Tags that identify a rollup series, e.g. `['site', 'zone', 'desk', 'device', 'category', 'carrier']`. */
  by: readonly string[];
  where?: TagFilter;
}

export function rollupMeasurement(measurement: string): string {
  return `${measurement}_1h`;
}

export function floorHour(ts: number): number {
  return Math.floor(ts / HOUR_MS) * HOUR_MS;
}

/**
 * Rolls up the closed hours in [floorHour(from), floorHour(now)). The hour containing `now`
 * is open and left alone. Returns how many rollup points were written.
 */
export async function rollupHours(store: TimeSeriesStore, spec: RollupSpec, range: { from: number; now: number }): Promise<{ points: number }> {
  const start = floorHour(range.from);
  const end = floorHour(range.now);
  if (end <= start) return { points: 0 };
  const target = rollupMeasurement(spec.measurement);
  const byKey = new Map<string, Point>();
  for (const field of spec.fields) {
    for (const fn of ROLLUP_AGGREGATES) {
      const series = await store.queryAggregate({
        measurement: spec.measurement,
        field,
        from: start,
        to: end,
        every: HOUR_MS,
        fn,
        where: spec.where,
        by: spec.by,
      });
      for (const s of series) {
        const tags: Tags = {};
        // A series without one of the `by` tags reports it as ''; a stored tag is never empty.
        for (const [k, v] of Object.entries(s.tags)) if (v !== '') tags[k] = v;
        for (const { ts, value } of s.points) {
          const key = `${ts}\u0000${JSON.stringify(s.tags)}`;
          let p = byKey.get(key);
          if (!p) byKey.set(key, (p = { measurement: target, tags, fields: {}, ts }));
          p.fields[`${field}_${fn}`] = value;
        }
      }
    }
  }
  const points = [...byKey.values()].sort((a, b) => a.ts - b.ts);
  if (points.length > 0) await store.write(points);
  return { points: points.length };
}

/** Deletes raw points older than `retentionMs` (cut at an hour boundary); returns the cut. */
export async function applyRawRetention(store: TimeSeriesStore, measurement: string, retentionMs: number, now: number): Promise<number> {
  if (!store.deleteBefore) throw new Error(`the ${store.kind} store cannot delete, so raw retention cannot be applied`);
  const cut = floorHour(now - retentionMs);
  await store.deleteBefore(measurement, cut);
  return cut;
}

export interface RollupRunOptions {
  now: number;
  /** How far back each run recomputes, to take in late data. Default 48 h. */
  lookbackMs?: number;
  /** Raw points older than this are deleted after the rollup; unset keeps raw data forever. */
  rawRetentionMs?: number;
}

/**
 * One scheduled run (e.g. a few minutes past every hour): roll up the recent closed hours,
 * then apply raw retention. Raw points about to be deleted are rolled up first, however
 * old. Hours before the retention cut have no raw data left, so later runs write nothing
 * for them and their rollups stay as they were.
 */
export async function runRollup(store: TimeSeriesStore, specs: readonly RollupSpec[], opts: RollupRunOptions): Promise<{ points: number }> {
  let points = 0;
  for (const spec of specs) {
    let from = opts.now - (opts.lookbackMs ?? 48 * HOUR_MS);
    if (opts.rawRetentionMs !== undefined) {
      const cut = floorHour(opts.now - opts.rawRetentionMs);
      const [oldest] = await store.queryRaw({ measurement: spec.measurement, from: 0, to: cut, where: spec.where, limit: 1 });
      if (oldest && oldest.ts < from) from = oldest.ts;
    }
    points += (await rollupHours(store, spec, { from, now: opts.now })).points;
    if (opts.rawRetentionMs !== undefined) await applyRawRetention(store, spec.measurement, opts.rawRetentionMs, opts.now);
  }
  return { points };
}
