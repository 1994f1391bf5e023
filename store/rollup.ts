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
 *
 * Each run also marks the hours it rolled up (measurement `rollup_hours`, tag `rollup`, one
 * field per rolled-up raw field), so a reader knows which hours the rollup covers and reads
 * the others raw: `querySeries` answers an aggregate query from rollups where they exist and
 * from raw points elsewhere (the open hour, hours never rolled up), with the raw answer.
 */
import { SERIES_METRIC_KEYS } from '../devices/catalogue.ts';
import type { Aggregate, AggregateQuery, Point, SeriesResult, TagFilter, Tags, TimeSeriesStore } from './types.ts';

export const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
export const ROLLUP_AGGREGATES = ['mean', 'min', 'max', 'sum', 'count'] as const;
/** Marker measurement: a point per rolled-up hour (ts = its start), tag `rollup` = the rollup measurement. */
export const ROLLUP_HOURS = 'rollup_hours';

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

export function ceilHour(ts: number): number {
  return Math.ceil(ts / HOUR_MS) * HOUR_MS;
}

/**
 * The rollup of raw readings the series API reads (`readings_1h`): every numeric metric,
 * by every tag a reading carries (ingest/pipeline.ts `tagsOf`), all sites.
 */
export const READINGS_ROLLUP: RollupSpec = {
  measurement: 'readings',
  fields: SERIES_METRIC_KEYS,
  by: ['site', 'zone', 'desk', 'device', 'kind', 'category', 'carrier'],
};

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
  // A filtered rollup does not cover the measurement's hours for every reader: no marks.
  if (!spec.where) await markRolledUp(store, spec.measurement, spec.fields, start, end);
  return { points: points.length };
}

/**
 * Marks the hours in [from, to) as rolled up for `fields` (after their rollup points are
 * written): `querySeries` reads these hours from the rollup, the others raw.
 */
export async function markRolledUp(store: TimeSeriesStore, measurement: string, fields: readonly string[], from: number, to: number): Promise<void> {
  const tags = { rollup: rollupMeasurement(measurement) };
  const marks: Point[] = [];
  for (let h = ceilHour(from); h < to; h += HOUR_MS) marks.push({ measurement: ROLLUP_HOURS, tags, fields: Object.fromEntries(fields.map((f) => [f, 1])), ts: h });
  if (marks.length > 0) await store.write(marks);
}

/**
 * The hours of [from, to) (whole hours) marked as rolled up for `field`, as sorted,
 * disjoint, maximal [start, end) ranges. Two small queries at most: marks counted per day,
 * then hour by hour only for the days with some hours missing.
 */
export async function rolledUpRanges(store: TimeSeriesStore, measurement: string, field: string, from: number, to: number): Promise<[number, number][]> {
  if (to <= from) return [];
  const where = { rollup: rollupMeasurement(measurement) };
  const perDay = await store.queryAggregate({ measurement: ROLLUP_HOURS, field, from, to, every: DAY_MS, fn: 'count', where });
  const hours: [number, number][] = [];
  const partial: [number, number][] = [];
  for (const { ts, value } of perDay[0]?.points ?? []) {
    const a = Math.max(from, ts);
    const b = Math.min(to, ts + DAY_MS);
    const target = value >= (b - a) / HOUR_MS ? hours : partial;
    const last = target.at(-1);
    if (last && last[1] === a) last[1] = b;
    else target.push([a, b]);
  }
  for (const detail of await Promise.all(partial.map(([a, b]) => store.queryAggregate({ measurement: ROLLUP_HOURS, field, from: a, to: b, every: HOUR_MS, fn: 'count', where })))) {
    for (const { ts } of detail[0]?.points ?? []) hours.push([ts, ts + HOUR_MS]);
  }
  hours.sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of hours) {
    const last = out.at(-1);
    if (last && last[1] >= a) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** Aggregates an hourly rollup can answer exactly; `first` and `last` need the raw samples. */
export const ROLLUP_ANSWERS: readonly Aggregate[] = ['mean', 'sum', 'min', 'max', 'count'];

/**
 * The rollup fields behind an aggregate of a raw field, each with the aggregate that
 * combines it across rollup points: mean = Σ sum / Σ count, min of mins, max of maxes.
 */
export function rollupParts(field: string, fn: Aggregate): { field: string; fn: Aggregate }[] {
  switch (fn) {
    case 'mean': return [{ field: `${field}_sum`, fn: 'sum' }, { field: `${field}_count`, fn: 'sum' }];
    case 'sum': return [{ field: `${field}_sum`, fn: 'sum' }];
    case 'count': return [{ field: `${field}_count`, fn: 'sum' }];
    case 'min': return [{ field: `${field}_min`, fn: 'min' }];
    case 'max': return [{ field: `${field}_max`, fn: 'max' }];
    default: throw new Error(`${fn} cannot be answered from a rollup`);
  }
}

/**
 * `queryRollup` for a store without its own: one `queryAggregate` per rollup field (two for
 * mean, sent together), combined. `q.measurement` is the rollup, `q.field` the raw field.
 */
export async function queryRollupGeneric(store: TimeSeriesStore, q: AggregateQuery): Promise<SeriesResult[]> {
  const parts = await Promise.all(rollupParts(q.field, q.fn).map((p) => store.queryAggregate({ ...q, field: p.field, fn: p.fn })));
  if (q.fn !== 'mean') return parts[0]!;
  const merged = new Merge('mean');
  merged.add(parts[0]!, 0);
  merged.add(parts[1]!, 1);
  return merged.result();
}

/** Per group and window, the parts of an aggregate from several sources, combined as `fn` would be over all their samples. */
class Merge {
  readonly #fn: Aggregate;
  readonly #groups = new Map<string, { tags: Tags; windows: Map<number, { a: number; n: number }> }>();
  constructor(fn: Aggregate) {
    this.#fn = fn;
  }

  /**
   * Adds one source's results. `part` 0 is the value (mean: the sum), 1 the sample count
   * (mean only).
   */
  add(results: readonly SeriesResult[], part: 0 | 1): void {
    for (const s of results) {
      const key = JSON.stringify(s.tags);
      let g = this.#groups.get(key);
      if (!g) this.#groups.set(key, (g = { tags: s.tags, windows: new Map() }));
      for (const { ts, value } of s.points) {
        const w = g.windows.get(ts);
        if (!w) g.windows.set(ts, part === 0 ? { a: value, n: 0 } : { a: 0, n: value });
        else if (part === 1) w.n += value;
        else if (this.#fn === 'min') w.a = Math.min(w.a, value);
        else if (this.#fn === 'max') w.a = Math.max(w.a, value);
        else w.a += value;
      }
    }
  }

  /** Adds final values of windows no other source has. */
  addFinal(results: readonly SeriesResult[]): void {
    for (const s of results) {
      const key = JSON.stringify(s.tags);
      let g = this.#groups.get(key);
      if (!g) this.#groups.set(key, (g = { tags: s.tags, windows: new Map() }));
      for (const { ts, value } of s.points) g.windows.set(ts, { a: value, n: NaN });
    }
  }

  result(): SeriesResult[] {
    const out: SeriesResult[] = [];
    for (const g of this.#groups.values()) {
      const points = [...g.windows.entries()]
        .sort((x, y) => x[0] - y[0])
        .map(([ts, w]) => ({ ts, value: this.#fn === 'mean' && !Number.isNaN(w.n) ? w.a / w.n : w.a }));
      if (points.length > 0) out.push({ tags: g.tags, points });
    }
    // The stores' order.
    return out.sort((a, b) => JSON.stringify(a.tags).localeCompare(JSON.stringify(b.tags)));
  }
}

export interface SeriesSegment {
  from: number;
  to: number;
  source: 'raw' | 'rollup';
}

/**
 * Whether `q` (a query on the raw measurement of `spec`) can be answered from the rollup:
 * an aggregate the rollup keeps, windows of whole hours, and only tags the rollup keeps.
 */
export function rollupCanAnswer(q: AggregateQuery, spec: RollupSpec): boolean {
  return (
    q.measurement === spec.measurement &&
    spec.where === undefined &&
    spec.fields.includes(q.field) &&
    ROLLUP_ANSWERS.includes(q.fn) &&
    Number.isInteger(q.every / HOUR_MS) &&
    q.every > 0 &&
    (q.by ?? []).every((t) => spec.by.includes(t)) &&
    Object.keys(q.where ?? {}).every((t) => spec.by.includes(t))
  );
}

/**
 * Where `q`'s answer comes from: the hours marked as rolled up from the rollup, the rest
 * (partial hours at either end, the open hour, hours not rolled up yet) raw.
 */
export async function planSeries(store: TimeSeriesStore, q: AggregateQuery, spec: RollupSpec): Promise<SeriesSegment[]> {
  if (q.to <= q.from) return [];
  const covered = rollupCanAnswer(q, spec) ? await rolledUpRanges(store, spec.measurement, q.field, ceilHour(q.from), floorHour(q.to)) : [];
  const out: SeriesSegment[] = [];
  let at = q.from;
  for (const [a, b] of covered) {
    if (a > at) out.push({ from: at, to: a, source: 'raw' });
    out.push({ from: a, to: b, source: 'rollup' });
    at = b;
  }
  if (at < q.to) out.push({ from: at, to: q.to, source: 'raw' });
  return out;
}

/**
 * `store.queryAggregate(q)` for the raw measurement of `spec`, answered from its hourly
 * rollup where the hours are rolled up (`planSeries`) and from raw points elsewhere; the
 * same answer as the raw query on the same data (to float rounding), in a fraction of the
 * time for long ranges. A window that spans both sources (a day whose last hours are not
 * rolled up yet) combines the parts: sums and counts add, mean = Σ sum / Σ count.
 */
export async function querySeries(store: TimeSeriesStore, q: AggregateQuery, spec: RollupSpec = READINGS_ROLLUP): Promise<SeriesResult[]> {
  const segments = await planSeries(store, q, spec);
  if (!segments.some((s) => s.source === 'rollup')) return store.queryAggregate(q);
  const every = q.every;
  const rollup = rollupMeasurement(spec.measurement);
  const windowOf = (t: number) => t - (((t % every) + every) % every);
  const merge = new Merge(q.fn);
  const jobs: Promise<void>[] = [];
  for (const s of segments) {
    // A window is shared with the neighbouring segment when the boundary cuts through it.
    const sharedLeft = s.from > q.from && windowOf(s.from) !== s.from;
    const sharedRight = s.to < q.to && windowOf(s.to) !== s.to;
    const whole = { from: sharedLeft ? windowOf(s.from) + every : s.from, to: sharedRight ? windowOf(s.to) : s.to };
    const parts: { from: number; to: number }[] = [];
    if (whole.from >= whole.to) parts.push({ from: s.from, to: s.to });
    else {
      if (s.from < whole.from) parts.push({ from: s.from, to: whole.from });
      if (whole.to < s.to) parts.push({ from: whole.to, to: s.to });
      const wq = { ...q, from: whole.from, to: whole.to };
      const answer = s.source === 'raw' ? store.queryAggregate(wq) : store.queryRollup ? store.queryRollup({ ...wq, measurement: rollup }) : queryRollupGeneric(store, { ...wq, measurement: rollup });
      jobs.push(answer.then((r) => merge.addFinal(r)));
    }
    for (const p of parts) {
      const pq = { ...q, from: p.from, to: p.to };
      const components =
        s.source === 'raw'
          ? (q.fn === 'mean' ? (['sum', 'count'] as const) : [q.fn]).map((fn) => ({ ...pq, fn }))
          : rollupParts(q.field, q.fn).map((c) => ({ ...pq, measurement: rollup, field: c.field, fn: c.fn }));
      components.forEach((c, i) => jobs.push(store.queryAggregate(c).then((r) => merge.add(r, i as 0 | 1))));
    }
  }
  await Promise.all(jobs);
  return merge.result();
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
