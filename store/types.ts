/**
 * `TimeSeriesStore`: the one seam between the pipeline and persistence (DESIGN.md "Stores").
 * Every implementation passes tests/contracts/store.contract.ts.
 *
 * Data model (InfluxDB's, so both stores read the same): a point is a measurement, a set
 * of string tags, numeric fields (always float) and a timestamp in epoch ms. Identical
 * points (same measurement, tag set and timestamp) overwrite, so replays are idempotent.
 */

export type Tags = Record<string, string>;

/** A span of epoch ms times, ends included. */
export interface TimeRange {
  min: number;
  max: number;
}

/**
 * The times every store holds and can be asked about, epoch ms: InfluxDB's, int64
 * nanoseconds (1677-09-21 to 2262-04-11, its `MinNanoTime`/`MaxNanoTime`). The API keeps
 * queries within them (api/params.ts), so both stores answer a query alike.
 */
export const STORE_TIME_RANGE_MS: TimeRange = { min: -9_223_372_036_854, max: 9_223_372_036_854 };

/** A query a store cannot represent: a time outside its range, a filter value it cannot quote. */
export class QueryRefusedError extends Error {
  override name = 'QueryRefusedError';
}

/** Refuses a time outside `range` (NaN included); `name` says which in the message. */
export function refuseTimeOutside(name: string, t: number, range: TimeRange): void {
  if (!(t >= range.min && t <= range.max)) throw new QueryRefusedError(`${name}: ${t} is outside the times this store holds (${range.min} to ${range.max} epoch ms)`);
}

/**
 * Refuses a query whose times lie outside `range` or whose window (`every`) is not a
 * positive length within it; NaN is refused too.
 */
export function refuseTimesOutside(q: { from: number; to: number; every?: number }, range: TimeRange): void {
  refuseTimeOutside('from', q.from, range);
  refuseTimeOutside('to', q.to, range);
  if (q.every !== undefined && !(q.every > 0 && q.every <= range.max)) throw new QueryRefusedError(`every: ${q.every} ms is not a window this store can use (up to ${range.max} ms)`);
}

export interface Point {
  measurement: string;
  tags: Tags;
  fields: Record<string, number>;
  /** Epoch milliseconds. */
  ts: number;
}

export const AGGREGATES = ['mean', 'sum', 'min', 'max', 'last', 'first', 'count'] as const;
export type Aggregate = (typeof AGGREGATES)[number];

/** Tag filter: exact value, or any of several values. */
export type TagFilter = Record<string, string | readonly string[]>;

export interface AggregateQuery {
  measurement: string;
  field: string;
  /** Inclusive start, epoch ms. */
  from: number;
  /** Exclusive end, epoch ms. */
  to: number;
  /** Window length in ms; windows are aligned to the Unix epoch (UTC), like InfluxQL `time()`. */
  every: number;
  fn: Aggregate;
  where?: TagFilter;
  /** Tags to group by; one result series per distinct combination. */
  by?: readonly string[];
}

/** Several aggregates of one field over the same windows (`TimeSeriesStore.queryAggregates`). */
export interface AggregatesQuery extends Omit<AggregateQuery, 'fn'> {
  fns: readonly Aggregate[];
}

/** An aggregate of a raw field asked of its rollup (`TimeSeriesStore.queryRollup`). */
export interface RollupQuery extends AggregateQuery {
  /** The rollup's period in ms (an hour for `<m>_1h`, a day for `<m>_1d`): a point per series at each period's start. */
  period: number;
}

export interface SeriesResult {
  /** Values of the `by` tags for this series. */
  tags: Tags;
  /** Windows with data only, ascending; `ts` is the window start. */
  points: { ts: number; value: number }[];
}

export interface RawQuery {
  measurement: string;
  from: number;
  to: number;
  where?: TagFilter;
  /** Defaults to 100,000; raw exports page by time. */
  limit?: number;
}

export type StoreState = 'ok' | 'degraded' | 'down';

export interface StoreHealth {
  kind: string;
  state: StoreState;
  /** Points accepted by write() and not yet durably stored. */
  queueDepth: number;
  /** Bytes spooled to disk while the backend is unreachable (0 when not applicable). */
  spoolBytes: number;
  /** Points durably stored since start. */
  written: number;
  /** Points dropped as bad data (4xx), by reason. */
  dropped: Record<string, number>;
  lastError: { at: number; message: string } | null;
}

export interface TimeSeriesStore {
  readonly kind: string;
  /** Creates schema or database; idempotent. */
  init(): Promise<void>;
  /**
   * Accepts a batch. Resolves once the points are durably stored (or, for a remote store
   * during an outage, durably spooled to local disk). Rejects only when that is impossible.
   */
  write(points: readonly Point[]): Promise<void>;
  queryAggregate(q: AggregateQuery): Promise<SeriesResult[]>;
  /**
   * Optional: several aggregates of one field in one pass over its rows (the rollup job asks
   * for five an hour). Answers in the order of `fns`, each as `queryAggregate` would.
   * store/rollup.ts `queryAggregatesOf` asks `queryAggregate` once per aggregate for a
   * store without it.
   */
  queryAggregates?(q: AggregatesQuery): Promise<SeriesResult[][]>;
  /**
   * Optional: `queryAggregate` of a raw field answered from its rollup (store/rollup.ts):
   * `q.measurement` is the rollup (`readings_1h`, `readings_1d`), `q.field` the raw field
   * (`power_w`). Reads `<field>_sum`, `_count`, `_min`, `_max` (or `_mean`, where that is the
   * same) and combines them per group and window as `fn` over the raw samples would:
   * mean = Σ sum / Σ count, sum and count add, min of mins, max of maxes. Only those five
   * aggregates, windows of whole periods. store/rollup.ts `queryRollupGeneric` does the same
   * with `queryAggregate` calls for a store without it.
   */
  queryRollup?(q: RollupQuery): Promise<SeriesResult[]>;
  /** Raw points in ascending time order, for exports and recomputation. */
  queryRaw(q: RawQuery): Promise<Point[]>;
  /** Deletes raw points of a measurement older than `before` (retention). */
  deleteBefore?(measurement: string, before: number): Promise<void>;
  /**
   * Deletes every point of a measurement whose tags match `where` (all of it, not a time
   * range): member erasure re-keys a member's points and then deletes the originals.
   */
  deleteWhere?(measurement: string, where: TagFilter): Promise<void>;
  health(): StoreHealth;
  /** Flushes what is pending and releases resources. */
  close(): Promise<void>;
}

/** The most recent of several errors (`StoreHealth.lastError`), null when there is none. */
export function latestError(...errors: StoreHealth['lastError'][]): StoreHealth['lastError'] {
  return errors.reduce((a, b) => (b && (!a || b.at > a.at) ? b : a), null);
}

/** Canonical series key: measurement plus sorted tags, as InfluxDB identifies a series. */
export function seriesKey(measurement: string, tags: Tags): string {
  const keys = Object.keys(tags).sort();
  return measurement + keys.map((k) => `,${k}=${tags[k]}`).join('');
}

export function matchesFilter(tags: Tags, where: TagFilter | undefined): boolean {
  if (!where) return true;
  for (const [k, want] of Object.entries(where)) {
    const have = tags[k];
    if (have === undefined) return false;
    if (typeof want === 'string' ? have !== want : !want.includes(have)) return false;
  }
  return true;
}
