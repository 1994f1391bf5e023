/**
 * Raw readings and rollups in two retention policies of one database, as InfluxDB's own
 * downsampling guide has it: raw points in the database's default policy (weekly shard
 * groups, which retention can drop), rollups and their marks in `deskprint_rollups`, kept
 * forever in year-long shard groups. A chart over a year of rollups then reads one or two
 * shards instead of 53 (bench/RESULTS.md: the 1-year chart in 72–97 ms instead of 118–126).
 * Each policy has its own `InfluxStore` (writer, spool); calls go to the one that holds the
 * measurement.
 */
import { latestError, type AggregateQuery, type AggregatesQuery, type Point, type RawQuery, type RollupQuery, type SeriesResult, type StoreHealth, type StoreState, type TagFilter, type TimeSeriesStore } from '../types.ts';
import { isRollupData, ROLLUP_MARKS, ROLLUP_SUFFIXES } from '../rollup.ts';
import { InfluxStore, type InfluxStoreOptions } from './store.ts';

/** The rollups' retention policy unless configured otherwise. */
export const ROLLUP_RETENTION_POLICY = 'deskprint_rollups';
/** Shard group duration of the rollups' policy: a year of hourly rollups in one or two shards. */
export const ROLLUP_SHARD_DURATION = '52w';
/** `isRollupData` as an InfluxQL regex: what a deskprint that kept everything in the default policy had there, copied over once. */
const ROLLUP_DATA = `/${ROLLUP_SUFFIXES.map((suffix) => `${suffix}$`).join('|')}|^${ROLLUP_MARKS}$/`;

const STATE_ORDER: StoreState[] = ['ok', 'degraded', 'down'];

export class SplitInfluxStore implements TimeSeriesStore {
  readonly kind = 'influx';
  readonly raw: InfluxStore;
  readonly rollups: InfluxStore;

  /** `opts.spoolDir` spools raw points; the rollups spool beside it, in `<spoolDir>-rollups`. */
  constructor(opts: InfluxStoreOptions, rollupRetentionPolicy = ROLLUP_RETENTION_POLICY) {
    this.raw = new InfluxStore(opts);
    this.rollups = new InfluxStore({
      ...opts,
      retentionPolicy: rollupRetentionPolicy,
      spoolDir: `${opts.spoolDir.replace(/[\\/]+$/, '')}-rollups`,
      createRetentionPolicy: { shardDuration: ROLLUP_SHARD_DURATION, copy: ROLLUP_DATA },
    });
  }

  #of(measurement: string): InfluxStore {
    return isRollupData(measurement) ? this.rollups : this.raw;
  }

  async init(): Promise<void> {
    // Together: each waits a bounded time for an InfluxDB that does not answer (store.ts).
    await Promise.all([this.raw.init(), this.rollups.init()]);
  }

  async write(points: readonly Point[]): Promise<void> {
    const raw: Point[] = [];
    const rollups: Point[] = [];
    for (const p of points) (isRollupData(p.measurement) ? rollups : raw).push(p);
    await Promise.all([raw.length > 0 && this.raw.write(raw), rollups.length > 0 && this.rollups.write(rollups)]);
  }

  queryAggregate(q: AggregateQuery): Promise<SeriesResult[]> {
    return this.#of(q.measurement).queryAggregate(q);
  }

  queryAggregates(q: AggregatesQuery): Promise<SeriesResult[][]> {
    return this.#of(q.measurement).queryAggregates(q);
  }

  /** `q.measurement` is the rollup. */
  queryRollup(q: RollupQuery): Promise<SeriesResult[]> {
    return this.#of(q.measurement).queryRollup(q);
  }

  queryRaw(q: RawQuery): Promise<Point[]> {
    return this.#of(q.measurement).queryRaw(q);
  }

  deleteBefore(measurement: string, before: number): Promise<void> {
    return this.#of(measurement).deleteBefore(measurement, before);
  }

  deleteWhere(measurement: string, where: TagFilter): Promise<void> {
    return this.#of(measurement).deleteWhere(measurement, where);
  }

  /** Both policies as one store: the worse state, queues and spools added, the latest error. */
  health(): StoreHealth {
    const [a, b] = [this.raw.health(), this.rollups.health()];
    const dropped = { ...a.dropped };
    for (const [reason, n] of Object.entries(b.dropped)) dropped[reason] = (dropped[reason] ?? 0) + n;
    return {
      kind: this.kind,
      state: STATE_ORDER[Math.max(STATE_ORDER.indexOf(a.state), STATE_ORDER.indexOf(b.state))]!,
      queueDepth: a.queueDepth + b.queueDepth,
      spoolBytes: a.spoolBytes + b.spoolBytes,
      written: a.written + b.written,
      dropped,
      lastError: latestError(a.lastError, b.lastError),
    };
  }

  async close(): Promise<void> {
    await Promise.all([this.raw.close(), this.rollups.close()]);
  }
}
