/**
 * Downsampling written by deskprint itself, so it works the same on every store (no InfluxDB
 * continuous queries or tasks): for each closed hour, mean, min, max, sum and count of a
 * measurement's fields go to `<measurement>_1h`; for each closed UTC day whose hours are all
 * rolled up, the same from the hours to `<measurement>_1d`; raw points past a configurable
 * retention are deleted.
 *
 * Rollup points: measurement `<measurement>_1h` (`_1d`), the `by` tags, ts = start of the
 * hour (day, UTC), fields `<field>_mean`, `<field>_min`, `<field>_max`, `<field>_sum`,
 * `<field>_count`. Re-running over the same hours overwrites identical points, so a run may
 * revisit recent hours to take in late data (a gateway flushing its offline buffer) without
 * duplicates.
 *
 * Each run also marks the hours and days it rolled up (measurement `rollup_marks`, tag
 * `rollup` = the rollup measurement, one field per rolled-up raw field, ts = the period's
 * start), so a reader knows what the rollups cover: `querySeries` answers an aggregate query
 * from the day rollup, the hour rollup and raw points, each where it covers, with the raw
 * answer.
 */
import { SERIES_METRIC_KEYS } from '../devices/catalogue.ts';
import type { Aggregate, AggregateQuery, AggregatesQuery, Point, RollupQuery, SeriesResult, TagFilter, Tags, TimeSeriesStore } from './types.ts';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
export const ROLLUP_AGGREGATES = ['mean', 'min', 'max', 'sum', 'count'] as const;
/** Marker measurement: a point per rolled-up period (ts = its start), tag `rollup` = the rollup measurement. */
export const ROLLUP_MARKS = 'rollup_marks';

export interface RollupSpec {
  /** Raw measurement, e.g. `readings`. */
  measurement: string;
  /** Raw fields to roll up, e.g. `['power_w', 'temperature_c']`. */
  fields: readonly string[];
  /** Tags that identify a rollup series, e.g. `['site', 'zone', 'desk', 'device', 'category', 'carrier']`. */
  by: readonly string[];
  where?: TagFilter;
}

/** What a rollup's measurement adds to its raw measurement's name: hour, day. */
export const ROLLUP_SUFFIXES = ['_1h', '_1d'] as const;

/** Whether a measurement holds rollup data: a rollup (`<measurement>_1h`, `_1d`) or the marks. */
export function isRollupData(measurement: string): boolean {
  return measurement === ROLLUP_MARKS || ROLLUP_SUFFIXES.some((suffix) => measurement.endsWith(suffix));
}

/** `<measurement>_1h`, or `_1d` for the day rollup. */
export function rollupMeasurement(measurement: string, period: number = HOUR_MS): string {
  return measurement + ROLLUP_SUFFIXES[period === DAY_MS ? 1 : 0];
}

export function floorHour(ts: number): number {
  return Math.floor(ts / HOUR_MS) * HOUR_MS;
}

export function ceilHour(ts: number): number {
  return Math.ceil(ts / HOUR_MS) * HOUR_MS;
}

const floorTo = (ts: number, period: number) => Math.floor(ts / period) * period;
const ceilTo = (ts: number, period: number) => Math.ceil(ts / period) * period;

/**
 * The rollup of raw readings the series API reads (`readings_1h`, `readings_1d`): every numeric metric,
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
    const answers = await queryAggregatesOf(store, { measurement: spec.measurement, field, from: start, to: end, every: HOUR_MS, fns: ROLLUP_AGGREGATES, where: spec.where, by: spec.by });
    ROLLUP_AGGREGATES.forEach((fn, i) => addToPoints(byKey, target, answers[i]!, `${field}_${fn}`));
  }
  const points = [...byKey.values()].sort((a, b) => a.ts - b.ts);
  if (points.length > 0) await store.write(points);
  // A filtered rollup does not cover the measurement's hours for every reader: no marks.
  if (!spec.where) await markRolledUp(store, spec.measurement, spec.fields, start, end);
  return { points: points.length };
}

/**
 * Several aggregates of one field: in one pass where the store can (`queryAggregates`: the
 * SQLite store reads the rows once instead of five times), else one query each.
 */
export async function queryAggregatesOf(store: Pick<TimeSeriesStore, 'queryAggregate' | 'queryAggregates'>, q: AggregatesQuery): Promise<SeriesResult[][]> {
  if (store.queryAggregates) return store.queryAggregates(q);
  const { fns, ...one } = q;
  const out: SeriesResult[][] = [];
  for (const fn of fns) out.push(await store.queryAggregate({ ...one, fn }));
  return out;
}

/** Adds aggregate results as `field` of rollup points, one point per series tags and window. */
function addToPoints(byKey: Map<string, Point>, measurement: string, series: readonly SeriesResult[], field: string): void {
  for (const s of series) {
    const tags: Tags = {};
    // A series without one of the `by` tags reports it as ''; a stored tag is never empty.
    for (const [k, v] of Object.entries(s.tags)) if (v !== '') tags[k] = v;
    for (const { ts, value } of s.points) {
      const key = `${ts}\u0000${JSON.stringify(s.tags)}`;
      let p = byKey.get(key);
      if (!p) byKey.set(key, (p = { measurement, tags, fields: {}, ts }));
      p.fields[field] = value;
    }
  }
}

/**
 * Rolls up the closed UTC days in [floorDay(from), floorDay(floorHour(now))) from the hour
 * rollup, field by field, for the days whose 24 hours are all marked rolled up: sums and
 * counts add, min of mins, max of maxes, mean = sum / count. Returns points written (a
 * point per series, day and field).
 */
export async function rollupDays(store: TimeSeriesStore, spec: RollupSpec, range: { from: number; now: number }): Promise<{ points: number }> {
  const start = floorTo(range.from, DAY_MS);
  const end = floorTo(floorHour(range.now), DAY_MS);
  if (end <= start || spec.where) return { points: 0 };
  const hourly = rollupMeasurement(spec.measurement);
  const target = rollupMeasurement(spec.measurement, DAY_MS);
  const parts: [(typeof ROLLUP_AGGREGATES)[number], Aggregate][] = [['sum', 'sum'], ['count', 'sum'], ['min', 'min'], ['max', 'max']];
  let written = 0;
  for (const field of spec.fields) {
    const hours = await rolledUpRanges(store, spec.measurement, field, start, end);
    for (const [from, to] of hours.map(([a, b]) => [ceilTo(a, DAY_MS), floorTo(b, DAY_MS)] as const).filter(([a, b]) => b > a)) {
      const byKey = new Map<string, Point>();
      for (const [part, fn] of parts) {
        const series = await store.queryAggregate({ measurement: hourly, field: `${field}_${part}`, from, to, every: DAY_MS, fn, by: spec.by });
        addToPoints(byKey, target, series, `${field}_${part}`);
      }
      const points = [...byKey.values()].sort((a, b) => a.ts - b.ts);
      for (const p of points) p.fields[`${field}_mean`] = p.fields[`${field}_sum`]! / p.fields[`${field}_count`]!;
      if (points.length > 0) await store.write(points);
      await markRolledUp(store, spec.measurement, [field], from, to, DAY_MS);
      written += points.length;
    }
  }
  return { points: written };
}

/**
 * Marks the periods (hours, or days with `period` = DAY_MS) in [from, to) as rolled up for
 * `fields`, after their rollup points are written: `querySeries` reads them from the rollup.
 */
export async function markRolledUp(store: TimeSeriesStore, measurement: string, fields: readonly string[], from: number, to: number, period: number = HOUR_MS): Promise<void> {
  const tags = { rollup: rollupMeasurement(measurement, period) };
  const marks: Point[] = [];
  for (let t = ceilTo(from, period); t < to; t += period) marks.push({ measurement: ROLLUP_MARKS, tags, fields: Object.fromEntries(fields.map((f) => [f, 1])), ts: t });
  for (let i = 0; i < marks.length; i += 10_000) await store.write(marks.slice(i, i + 10_000));
}

/**
 * The periods of [from, to) (whole periods: hours, or days with `period` = DAY_MS) marked
 * as rolled up for `field`, as sorted, disjoint, maximal [start, end) ranges. Two small
 * queries at most: marks counted per day, then period by period only for the days with
 * some missing.
 */
export async function rolledUpRanges(store: TimeSeriesStore, measurement: string, field: string, from: number, to: number, period: number = HOUR_MS): Promise<[number, number][]> {
  if (to <= from) return [];
  const where = { rollup: rollupMeasurement(measurement, period) };
  const perDay = await store.queryAggregate({ measurement: ROLLUP_MARKS, field, from, to, every: DAY_MS, fn: 'count', where });
  const covered: [number, number][] = [];
  const partial: [number, number][] = [];
  for (const { ts, value } of perDay[0]?.points ?? []) {
    const a = Math.max(from, ts);
    const b = Math.min(to, ts + DAY_MS);
    const target = value >= Math.ceil((b - a) / period) ? covered : partial;
    const last = target.at(-1);
    if (last && last[1] === a) last[1] = b;
    else target.push([a, b]);
  }
  for (const detail of await Promise.all(partial.map(([a, b]) => store.queryAggregate({ measurement: ROLLUP_MARKS, field, from: a, to: b, every: period, fn: 'count', where })))) {
    for (const { ts } of detail[0]?.points ?? []) covered.push([ts, ts + period]);
  }
  return mergeRanges(covered);
}

/** Aggregates a rollup can answer exactly; `first` and `last` need the raw samples. */
export const ROLLUP_ANSWERS: readonly Aggregate[] = ROLLUP_AGGREGATES;

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
export async function queryRollupGeneric(store: Pick<TimeSeriesStore, 'queryAggregate'>, q: AggregateQuery): Promise<SeriesResult[]> {
  const parts = await Promise.all(rollupParts(q.field, q.fn).map((p) => store.queryAggregate({ measurement: q.measurement, from: q.from, to: q.to, every: q.every, where: q.where, by: q.by, field: p.field, fn: p.fn })));
  if (q.fn !== 'mean') return parts[0]!;
  const merged = new Merge('mean');
  merged.add(parts[0]!, 0);
  merged.add(parts[1]!, 1);
  return merged.result();
}

/**
 * Per group, the windows of an aggregate from several sources: final values of windows
 * only one source has, and parts of windows several sources share, combined as `fn` would
 * be over all their samples.
 */
class Merge {
  readonly #fn: Aggregate;
  readonly #groups = new Map<string, { tags: Tags; finals: { order: number; points: SeriesResult['points'] }[]; parts: Map<number, { a: number; n: number }> }>();
  constructor(fn: Aggregate) {
    this.#fn = fn;
  }

  #group(tags: Tags) {
    const key = JSON.stringify(tags);
    let g = this.#groups.get(key);
    if (!g) this.#groups.set(key, (g = { tags, finals: [], parts: new Map() }));
    return g;
  }

  /**
   * Adds one source's part of shared windows. `part` 0 is the value (mean: the sum), 1 the
   * sample count (mean only).
   */
  add(results: readonly SeriesResult[], part: 0 | 1): void {
    for (const s of results) {
      const parts = this.#group(s.tags).parts;
      for (const { ts, value } of s.points) {
        const w = parts.get(ts);
        if (!w) parts.set(ts, part === 0 ? { a: value, n: 0 } : { a: 0, n: value });
        else if (part === 1) w.n += value;
        else if (this.#fn === 'min') w.a = Math.min(w.a, value);
        else if (this.#fn === 'max') w.a = Math.max(w.a, value);
        else w.a += value;
      }
    }
  }

  /** Adds final values of windows no other source has; `order` orders sources in time. */
  addFinal(results: readonly SeriesResult[], order: number): void {
    for (const s of results) if (s.points.length > 0) this.#group(s.tags).finals.push({ order, points: s.points });
  }

  result(): SeriesResult[] {
    const out: { key: string; s: SeriesResult }[] = [];
    for (const [key, g] of this.#groups) {
      const finals = g.finals.sort((x, y) => x.order - y.order);
      let points = finals.length === 1 ? finals[0]!.points : finals.flatMap((f) => f.points);
      if (g.parts.size > 0) {
        for (const [ts, w] of g.parts) points.push({ ts, value: this.#fn === 'mean' ? w.a / w.n : w.a });
        points = points.sort((x, y) => x.ts - y.ts);
      }
      if (points.length > 0) out.push({ key, s: { tags: g.tags, points } });
    }
    // The stores' order (the key is JSON.stringify(tags)).
    return out.sort((a, b) => a.key.localeCompare(b.key)).map((o) => o.s);
  }
}

export interface SeriesSegment {
  from: number;
  to: number;
  /** Raw points, or the rollup of this period (HOUR_MS, DAY_MS). */
  source: 'raw' | number;
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
 * Where `q`'s answer comes from: for windows of whole days the days marked rolled up from
 * the day rollup; then the hours marked rolled up from the hour rollup; the rest (partial
 * hours at either end, the open hour, hours not rolled up yet) raw.
 */
export async function planSeries(store: TimeSeriesStore, q: AggregateQuery, spec: RollupSpec): Promise<SeriesSegment[]> {
  if (q.to <= q.from) return [];
  const periods = !rollupCanAnswer(q, spec) ? [] : Number.isInteger(q.every / DAY_MS) ? [DAY_MS, HOUR_MS] : [HOUR_MS];
  const cover = async (from: number, to: number, level: number): Promise<SeriesSegment[]> => {
    if (from >= to) return [];
    const period = periods[level];
    if (period === undefined) return [{ from, to, source: 'raw' }];
    const covered = await rolledUpRanges(store, spec.measurement, q.field, ceilTo(from, period), floorTo(to, period), period);
    const gaps: [number, number][] = [];
    let at = from;
    for (const [a, b] of covered) {
      gaps.push([at, a]);
      at = b;
    }
    gaps.push([at, to]);
    const filled = await Promise.all(gaps.map(([a, b]) => cover(a, b, level + 1)));
    return filled.flatMap((segments, i) => (i < covered.length ? [...segments, { from: covered[i]![0], to: covered[i]![1], source: period }] : segments));
  };
  return cover(q.from, q.to, 0);
}

/**
 * `store.queryAggregate(q)` for the raw measurement of `spec`, answered from its rollups
 * where they cover (`planSeries`) and from raw points elsewhere; the same answer as the raw
 * query on the same data (to float rounding), in a fraction of the time for long ranges. A
 * window that spans several sources (a day whose last hours are not rolled up yet) combines
 * the parts: sums and counts add, mean = Σ sum / Σ count, min of mins, max of maxes.
 */
export async function querySeries(store: TimeSeriesStore, q: AggregateQuery, spec: RollupSpec = READINGS_ROLLUP): Promise<SeriesResult[]> {
  const segments = await planSeries(store, q, spec);
  if (!segments.some((s) => s.source !== 'raw')) return store.queryAggregate(q);
  const every = q.every;
  const windowOf = (t: number) => t - (((t % every) + every) % every);
  const merge = new Merge(q.fn);
  const jobs: Promise<void>[] = [];
  for (const [order, s] of segments.entries()) {
    const rollup = s.source === 'raw' ? undefined : { measurement: rollupMeasurement(spec.measurement, s.source), period: s.source };
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
      const rq: RollupQuery | undefined = rollup && { ...wq, ...rollup };
      const answer = !rq ? store.queryAggregate(wq) : store.queryRollup ? store.queryRollup(rq) : queryRollupGeneric(store, rq);
      jobs.push(answer.then((r) => merge.addFinal(r, order)));
    }
    for (const p of parts) {
      const pq = { ...q, from: p.from, to: p.to };
      if (!rollup) {
        // A mean's sums and counts from one pass over the raw rows.
        const { fn, ...raw } = pq;
        const fns = fn === 'mean' ? (['sum', 'count'] as const) : [fn];
        jobs.push(queryAggregatesOf(store, { ...raw, fns }).then((answers) => answers.forEach((r, i) => merge.add(r, i as 0 | 1))));
      } else {
        rollupParts(q.field, q.fn).forEach((c, i) => jobs.push(store.queryAggregate({ ...pq, measurement: rollup.measurement, field: c.field, fn: c.fn }).then((r) => merge.add(r, i as 0 | 1))));
      }
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
    points += (await rollupDays(store, spec, { from, now: opts.now })).points;
    if (opts.rawRetentionMs !== undefined) await applyRawRetention(store, spec.measurement, opts.rawRetentionMs, opts.now);
  }
  return { points };
}

export interface RollupSchedule {
  /** Time between runs (default 15 min). */
  everyMs?: number;
  /** The last hours the catch-up at start recomputes, the previous process's last writes (default 3 h). */
  lookbackMs?: number;
  /** The first run after a start catches up this far (default 48 h). */
  catchUpMs?: number;
  /**
   * The hours the writer has written to: regular runs recompute exactly those that have
   * closed, however late their points came, and read nothing else.
   */
  written: WrittenHours;
  clock?: () => number;
  log?: { warn(o: object, m: string): void };
}

/**
 * The hours each measurement received points in, as a writer reports them (ingest's
 * StoreWriter, once the store has acknowledged them): the rollups the schedule must
 * (re)compute. At 2,000 messages/s, recomputing the last 3 h every 15 min read every raw
 * reading twelve times, 15 s of SQLite work a run (bench/RESULTS.md).
 */
export class WrittenHours {
  readonly #hours = new Map<string, Set<number>>();

  note(points: readonly Point[]): void {
    let measurement: string | undefined;
    let set: Set<number> | undefined;
    let hour = NaN;
    for (const p of points) {
      if (p.measurement !== measurement) {
        measurement = p.measurement;
        set = this.#hours.get(measurement);
        if (!set) this.#hours.set(measurement, (set = new Set()));
        hour = NaN;
      }
      const h = floorHour(p.ts);
      if (h !== hour) set!.add((hour = h));
    }
  }

  /** Removes and returns, in order, the hours noted for `measurement` that closed by `end`. */
  take(measurement: string, end: number): number[] {
    const set = this.#hours.get(measurement);
    if (!set) return [];
    const out: number[] = [];
    for (const h of set) if (h + HOUR_MS <= end) out.push(h);
    for (const h of out) set.delete(h);
    return out.sort((a, b) => a - b);
  }

  /** Notes hours again, when a run over them failed. */
  restore(measurement: string, hours: readonly number[]): void {
    let set = this.#hours.get(measurement);
    if (!set) this.#hours.set(measurement, (set = new Set()));
    for (const h of hours) set.add(h);
  }
}

/**
 * Keeps the rollups current in a running deskprint: a catch-up run at start over the hours
 * of the last `catchUpMs` not yet marked rolled up plus the last `lookbackMs`, then a run
 * every `everyMs` over the closed hours written to since.
 */
export function startRollups(store: TimeSeriesStore, specs: readonly RollupSpec[], schedule: RollupSchedule): { stop(): Promise<void>; ran: Promise<unknown> } {
  const clock = schedule.clock ?? Date.now;
  const lookbackMs = schedule.lookbackMs ?? 3 * HOUR_MS;
  const written = schedule.written;
  let running: Promise<unknown> = Promise.resolve();
  const run = (catchUpMs: number | null) =>
    (running = running
      .then(() => runWritten(store, specs, written, clock(), catchUpMs === null ? null : { catchUpMs, lookbackMs }))
      .catch((err: Error) => schedule.log?.warn({ err: err.message }, 'rollup run failed; the next run tries again')));
  const ran = run(schedule.catchUpMs ?? 48 * HOUR_MS);
  const timer = setInterval(() => void run(null), schedule.everyMs ?? 15 * 60_000);
  timer.unref();
  return {
    /** Stops the schedule; resolves once a run in progress has finished. */
    async stop() {
      clearInterval(timer);
      await running;
    },
    ran,
  };
}

/** One run of the schedule with `written`: the closed hours written to, and at start the catch-up's. */
async function runWritten(store: TimeSeriesStore, specs: readonly RollupSpec[], written: WrittenHours, now: number, catchUp: { catchUpMs: number; lookbackMs: number } | null): Promise<void> {
  const end = floorHour(now);
  for (const spec of specs) {
    const hours = written.take(spec.measurement, end);
    try {
      const ranges: [number, number][] = hours.map((h) => [h, h + HOUR_MS]);
      if (catchUp) {
        const from = floorHour(end - catchUp.catchUpMs);
        let t = from;
        for (const [a, b] of spec.where ? [] : await rolledUpRanges(store, spec.measurement, spec.fields[0]!, from, end)) {
          if (a > t) ranges.push([t, a]);
          t = Math.max(t, b);
        }
        if (t < end) ranges.push([t, end]);
        ranges.push([floorHour(end - catchUp.lookbackMs), end]);
      }
      const merged = mergeRanges(ranges);
      for (const [a, b] of merged) await rollupHours(store, spec, { from: a, now: b });
      if (merged.length > 0) await rollupDays(store, spec, { from: merged[0]![0], now });
    } catch (err) {
      written.restore(spec.measurement, hours);
      throw err;
    }
  }
}

/** Sorted, disjoint, maximal [start, end) ranges covering the given ones. */
function mergeRanges(ranges: readonly [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (const [a, b] of [...ranges].filter(([x, y]) => y > x).sort((x, y) => x[0] - y[0])) {
    const last = out.at(-1);
    if (last && last[1] >= a) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}
