/**
 * Queries of the SQLite store, on whichever connection they are given. A file-backed store
 * runs them on reader threads of their own (`SqliteReaderPool`, entry store/sqlite-reader.ts),
 * each with its own connection: WAL lets them read while the writer thread commits. A query
 * over hours of raw readings at thousands a second is seconds of SQLite work (the rollup
 * job took 4.9 s for an hour at 2,000 messages/s, bench/RESULTS.md), which on the main
 * thread would freeze the broker, ingest and the API for as long. A `:memory:` store, or
 * one writing on the caller's thread, queries inline.
 */
import type Database from 'better-sqlite3';
import { Worker } from 'node:worker_threads';
import { matchesFilter, refuseTimesOutside, type Aggregate, type AggregateQuery, type AggregatesQuery, type Point, type RawQuery, type RollupQuery, type SeriesResult, type Tags } from './types.ts';
import { ROLLUP_ANSWERS, queryRollupGeneric, rollupParts } from './rollup.ts';

export interface SeriesRow {
  id: number;
  measurement: string;
  tags: Tags;
}

type AggregateColumn = 'sum' | 'count' | 'min' | 'max' | 't0' | 't1';
const SQL_OF_COLUMN: Record<AggregateColumn, string> = { sum: 'SUM(value)', count: 'COUNT(*)', min: 'MIN(value)', max: 'MAX(value)', t0: 'MIN(ts)', t1: 'MAX(ts)' };
const AGGREGATE_COLUMNS: Record<Aggregate, readonly AggregateColumn[]> = {
  mean: ['sum', 'count'],
  sum: ['sum'],
  min: ['min'],
  max: ['max'],
  count: ['count'],
  first: ['t0'],
  last: ['t1'],
};
/**
 * Times this store answers about: whole ms stay exact up to 2^53 (window starts are computed
 * in JavaScript numbers); beyond, a window step can vanish in rounding. Wider than
 * `STORE_TIME_RANGE_MS`, which the API keeps to.
 */
export const SQLITE_TIME_RANGE_MS = { min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER } as const;

/** Above this many rows per series and window, scanning window by window beats one grouped statement. */
export const ROWS_PER_WINDOW_FOR_SCANS = 8;

/** Series and fields as this connection last saw them, and the queries over them. */
export class SqliteReader {
  readonly #db: Database.Database;
  /** Series by key (`seriesKey`), and by id. */
  readonly series = new Map<string, SeriesRow>();
  readonly seriesById = new Map<number, SeriesRow>();
  /** Field ids by name. */
  readonly fields = new Map<string, number>();
  #maxSeriesId = 0;
  #maxFieldId = 0;
  /** Statements every query uses, prepared once. */
  #stmts: ReturnType<SqliteReader['prepare']> | undefined;

  constructor(db: Database.Database) {
    this.#db = db;
  }

  private prepare() {
    return {
      newSeries: this.#db.prepare('SELECT id, key, measurement, tags FROM series WHERE id > ?'),
      newFields: this.#db.prepare('SELECT id, name FROM fields WHERE id > ?'),
      /** Whether a series has a field in a time range. */
      has: this.#db.prepare('SELECT 1 FROM points WHERE field = ? AND series = ? AND ts >= ? AND ts < ? LIMIT 1').pluck(),
      count: this.#db.prepare('SELECT COUNT(*) FROM points WHERE field = ? AND series = ? AND ts >= ? AND ts < ?').pluck(),
      valueAt: this.#db.prepare('SELECT value FROM points WHERE field = ? AND series = ? AND ts = ?').pluck(),
    };
  }

  /**
   * Loads series and fields created since the last look, by this process or another one
   * sharing the file (a `deskprint api` process reads what `deskprint ingest` writes).
   */
  refresh(): void {
    const stmts = (this.#stmts ??= this.prepare());
    for (const row of stmts.newSeries.all(this.#maxSeriesId) as {
      id: number;
      key: string;
      measurement: string;
      tags: string;
    }[]) {
      const s = { id: row.id, measurement: row.measurement, tags: JSON.parse(row.tags) as Tags };
      this.series.set(row.key, s);
      this.seriesById.set(s.id, s);
      this.#maxSeriesId = Math.max(this.#maxSeriesId, row.id);
    }
    for (const row of stmts.newFields.all(this.#maxFieldId) as { id: number; name: string }[]) {
      this.fields.set(row.name, row.id);
      this.#maxFieldId = Math.max(this.#maxFieldId, row.id);
    }
  }


  /** A series this connection has just created. */
  remember(key: string, s: SeriesRow): void {
    this.series.set(key, s);
    this.seriesById.set(s.id, s);
    this.#maxSeriesId = Math.max(this.#maxSeriesId, s.id);
  }

  matchingSeries(measurement: string, where: RawQuery['where']): SeriesRow[] {
    this.refresh();
    const out: SeriesRow[] = [];
    for (const s of this.series.values()) if (s.measurement === measurement && matchesFilter(s.tags, where)) out.push(s);
    return out;
  }

  async queryAggregate(q: AggregateQuery): Promise<SeriesResult[]> {
    const { fn, ...rest } = q;
    return (await this.queryAggregates({ ...rest, fns: [fn] }))[0]!;
  }

  /** Every aggregate in `q.fns` from one scan: the rows are read once, whatever is asked of them. */
  async queryAggregates(q: AggregatesQuery): Promise<SeriesResult[][]> {
    refuseTimesOutside(q, SQLITE_TIME_RANGE_MS);
    const none = () => q.fns.map((): SeriesResult[] => []);
    const matching = this.matchingSeries(q.measurement, q.where); // first: it learns what other writers added
    const fieldId = this.fields.get(q.field);
    if (fieldId === undefined || matching.length === 0 || q.to <= q.from) return none();
    // Only the series with this field in range (one index probe each): a filter such as a
    // site matches devices of every kind, and each series in the list costs a seek per window.
    const { has, count, valueAt } = (this.#stmts ??= this.prepare());
    const series = matching.filter((s) => has.get(fieldId, s.id, q.from, q.to) !== undefined);
    if (series.length === 0) return none();
    const every = Math.max(1, Math.round(q.every));
    const ids = series.map((s) => s.id);
    const list = ids.map(() => '?').join(',');
    // Only the aggregates these functions need: each extra one costs per row.
    const cols = [...new Set(q.fns.flatMap((fn) => AGGREGATE_COLUMNS[fn]))];
    const select = cols.map((c) => SQL_OF_COLUMN[c]).join(', ');
    // Rows: [series, window start, ...cols], in series order within a window.
    let rows: number[][];
    const firstWindow = q.from - (q.from % every);
    const windows = Math.ceil((q.to - firstWindow) / every);
    const sample = count.get(fieldId, ids[0], q.from, q.to) as number;
    if (sample / windows >= ROWS_PER_WINDOW_FOR_SCANS) {
      // Many rows per window (a year of hourly rollups by day): one indexed scan per window,
      // grouped by series in key order. Grouping by (series, window) in one statement sorts
      // every row in a temp b-tree: 0.3 µs a row, 400 ms for that chart (bench/RESULTS.md).
      const stmt = this.#db.prepare(`SELECT series, ${select} FROM points WHERE field = ? AND series IN (${list}) AND ts >= ? AND ts < ? GROUP BY series`).raw(true);
      rows = [];
      for (let b = firstWindow; b < q.to; b += every) {
        for (const r of stmt.all(fieldId, ...ids, Math.max(q.from, b), Math.min(q.to, b + every)) as number[][]) {
          r.splice(1, 0, b);
          rows.push(r);
        }
      }
    } else {
      rows = this.#db
        .prepare(`SELECT series, ts - (ts % ?) AS b, ${select} FROM points WHERE field = ? AND series IN (${list}) AND ts >= ? AND ts < ? GROUP BY series, b`)
        .raw(true)
        .all(every, fieldId, ...ids, q.from, q.to) as number[][];
    }

    // first/last need the value at the window's first/last timestamp.
    const first = q.fns.includes('first');
    const last = q.fns.includes('last');


    const by = q.by ?? [];
    type Acc = { sm: number; n: number; mn: number; mx: number; t0: number; v0: number; t1: number; v1: number };
    type Group = { tags: Tags; windows: Map<number, Acc> };
    // The group of each series, worked out once per series rather than once per row.
    const { groups, groupOf } = groupSeries(series, by, (tags): Group => ({ tags, windows: new Map() }));
    const at = (c: AggregateColumn) => (cols.includes(c) ? 2 + cols.indexOf(c) : -1);
    const [iSm, iN, iMn, iMx, iT0, iT1] = [at('sum'), at('count'), at('min'), at('max'), at('t0'), at('t1')];
    for (const r of rows) {
      const g = groupOf.get(r[0]!)!;
      const b = r[1]!;
      const sm = r[iSm] ?? NaN;
      const n = r[iN] ?? NaN;
      const mn = r[iMn] ?? NaN;
      const mx = r[iMx] ?? NaN;
      const t0 = r[iT0] ?? NaN;
      const t1 = r[iT1] ?? NaN;
      const v0 = first ? (valueAt.get(fieldId, r[0], t0) as number) : NaN;
      const v1 = last ? (valueAt.get(fieldId, r[0], t1) as number) : NaN;
      const acc = g.windows.get(b);
      if (!acc) {
        g.windows.set(b, { sm, n, mn, mx, t0, v0, t1, v1 });
      } else {
        acc.sm += sm;
        acc.n += n;
        acc.mn = Math.min(acc.mn, mn);
        acc.mx = Math.max(acc.mx, mx);
        if (t0 < acc.t0) (acc.t0 = t0), (acc.v0 = v0);
        if (t1 > acc.t1) (acc.t1 = t1), (acc.v1 = v1);
      }
    }
    const pick = (a: Acc, fn: Aggregate): number => {
      switch (fn) {
        case 'mean': return a.sm / a.n;
        case 'sum': return a.sm;
        case 'min': return a.mn;
        case 'max': return a.mx;
        case 'count': return a.n;
        case 'first': return a.v0;
        case 'last': return a.v1;
      }
    };
    const filled = [...groups.values()]
      .filter((g) => g.windows.size > 0)
      .map((g) => ({ tags: g.tags, windows: [...g.windows.entries()].sort((a, b) => a[0] - b[0]) }))
      .sort((a, b) => JSON.stringify(a.tags).localeCompare(JSON.stringify(b.tags)));
    return q.fns.map((fn) => filled.map((g) => ({ tags: g.tags, points: g.windows.map(([ts, a]) => ({ ts, value: pick(a, fn) })) })));
  }

  /**
   * Windows of the rollup's own period (hourly windows on the hour rollup, daily on the day
   * rollup) hold one row per series: read the rows as they are, without windowing in SQL. A group of one series takes its rows as they are
   * (mean: `<field>_mean`); a group of several adds them up per window. Longer windows group
   * in SQL, one `queryAggregate` per rollup field.
   */
  async queryRollup(q: RollupQuery): Promise<SeriesResult[]> {
    if (!ROLLUP_ANSWERS.includes(q.fn)) throw new Error(`${q.fn} cannot be answered from a rollup`);
    refuseTimesOutside(q, SQLITE_TIME_RANGE_MS);
    if (Math.round(q.every) !== q.period) return queryRollupGeneric(this, q);
    const series = this.matchingSeries(q.measurement, q.where);
    if (series.length === 0 || q.to <= q.from) return [];
    const by = q.by ?? [];
    type Group = { tags: Tags; series: number; points: { ts: number; value: number }[]; acc: Map<number, { a: number; n: number }> };
    const { groups, groupOf } = groupSeries(series, by, (tags): Group => ({ tags, series: 0, points: [], acc: new Map() }));
    for (const s of series) groupOf.get(s.id)!.series++;
    // Each series' times and values of one field, as two JSON arrays a series: two
    // allocations a series instead of one a row (which cost more in garbage collection than
    // SQLite took to read them). Rows come in key order, each series in time order.
    const scan = (field: string, ids: number[]): [number, number[], number[]][] => {
      const fieldId = this.fields.get(field);
      if (fieldId === undefined || ids.length === 0) return [];
      const rows = this.#db
        .prepare(`SELECT series, json_group_array(ts), json_group_array(value) FROM points WHERE field = ? AND series IN (${ids.map(() => '?').join(',')}) AND ts >= ? AND ts < ? GROUP BY series`)
        .raw(true)
        .all(fieldId, ...ids, q.from, q.to) as [number, string, string][];
      return rows.map(([id, ts, values]) => [id, JSON.parse(ts) as number[], JSON.parse(values) as number[]]);
    };
    const single = series.filter((s) => groupOf.get(s.id)!.series === 1).map((s) => s.id);
    const several = series.filter((s) => groupOf.get(s.id)!.series > 1).map((s) => s.id);
    for (const [id, ts, values] of scan(`${q.field}_${q.fn}`, single)) {
      const points = groupOf.get(id)!.points;
      for (let i = 0; i < ts.length; i++) points.push({ ts: ts[i]!, value: values[i]! });
      if (!points.every((p, i) => i === 0 || points[i - 1]!.ts < p.ts)) points.sort((a, b) => a.ts - b.ts);
    }
    rollupParts(q.field, q.fn).forEach((part, i) => {
      for (const [id, times, values] of scan(part.field, several)) {
        const acc = groupOf.get(id)!.acc;
        times.forEach((ts, j) => {
          const value = values[j]!;
          const w = acc.get(ts);
          if (!w) acc.set(ts, i === 0 ? { a: value, n: 0 } : { a: 0, n: value });
          else if (i === 1) w.n += value;
          else if (part.fn === 'min') w.a = Math.min(w.a, value);
          else if (part.fn === 'max') w.a = Math.max(w.a, value);
          else w.a += value;
        });
      }
    });
    const out: SeriesResult[] = [];
    for (const g of groups.values()) {
      const points = g.series === 1 ? g.points : [...g.acc.entries()].sort((a, b) => a[0] - b[0]).map(([ts, w]) => ({ ts, value: q.fn === 'mean' ? w.a / w.n : w.a }));
      if (points.length > 0) out.push({ tags: g.tags, points });
    }
    return out.sort((a, b) => JSON.stringify(a.tags).localeCompare(JSON.stringify(b.tags)));
  }

  async queryRaw(q: RawQuery): Promise<Point[]> {
    refuseTimesOutside(q, SQLITE_TIME_RANGE_MS);
    const series = this.matchingSeries(q.measurement, q.where);
    if (series.length === 0) return [];
    const ids = series.map((s) => s.id);
    const fieldNames = new Map([...this.fields.entries()].map(([n, id]) => [id, n]));
    // Iterated rather than LIMITed by rows: a row limit cut points with many fields short.
    const rows = this.#db
      .prepare(
        `SELECT series AS s, field AS f, ts, value FROM points
          WHERE series IN (${ids.map(() => '?').join(',')}) AND ts >= ? AND ts < ?
          ORDER BY ts, series, field`,
      )
      .iterate(...ids, q.from, q.to) as IterableIterator<{ s: number; f: number; ts: number; value: number }>;
    const out: Point[] = [];
    let cur: Point | undefined;
    let curSeries = -1;
    for (const r of rows) {
      if (!cur || cur.ts !== r.ts || curSeries !== r.s) {
        if (out.length >= (q.limit ?? 100_000)) break;
        const s = this.seriesById.get(r.s)!;
        cur = { measurement: s.measurement, tags: { ...s.tags }, fields: {}, ts: r.ts };
        curSeries = r.s;
        out.push(cur);
      }
      cur.fields[fieldNames.get(r.f)!] = r.value;
    }
    return out;
  }
}

/** Groups series by their values of the `by` tags (a missing tag counts as ''): each group once, and the group of each series. */
function groupSeries<G>(series: readonly SeriesRow[], by: readonly string[], make: (tags: Tags) => G): { groups: Map<string, G>; groupOf: Map<number, G> } {
  const groups = new Map<string, G>();
  const groupOf = new Map<number, G>();
  for (const s of series) {
    const tags: Tags = {};
    for (const k of by) tags[k] = s.tags[k] ?? '';
    const gk = JSON.stringify(by.map((k) => tags[k]));
    let g = groups.get(gk);
    if (!g) groups.set(gk, (g = make(tags)));
    groupOf.set(s.id, g);
  }
  return { groups, groupOf };
}

/** The reader's queries a reader thread answers. */
export type ReadMethod = 'queryAggregate' | 'queryAggregates' | 'queryRollup' | 'queryRaw';

export interface ReadRequest {
  id: number;
  method: ReadMethod;
  query: AggregateQuery | AggregatesQuery | RollupQuery | RawQuery;
}

export interface ReadReply {
  id: number;
  /** queryRaw's points. */
  result?: unknown;
  /** queryAggregate's and queryRollup's series. */
  series?: PackedSeries;
  /** queryAggregates' series, an answer per aggregate. */
  seriesSets?: PackedSeries[];
  error: string | null;
}

/**
 * Series as they cross between threads: every point's numbers in two transferred arrays.
 * Cloned as objects, a point each, they doubled the time of a 30-day chart of per-desk
 * series (72,100 points): 31 ms queried inline, 66 ms cloned, 37 ms packed (bench/RESULTS.md).
 */
export interface PackedSeries {
  tags: Tags[];
  /** Points of each series, in order. */
  counts: number[];
  ts: Float64Array;
  values: Float64Array;
}

export function packSeries(series: readonly SeriesResult[]): PackedSeries {
  let n = 0;
  for (const s of series) n += s.points.length;
  const ts = new Float64Array(n);
  const values = new Float64Array(n);
  let i = 0;
  for (const s of series) {
    for (const p of s.points) {
      ts[i] = p.ts;
      values[i++] = p.value;
    }
  }
  return { tags: series.map((s) => s.tags), counts: series.map((s) => s.points.length), ts, values };
}

export function unpackSeries(packed: PackedSeries): SeriesResult[] {
  let i = 0;
  return packed.tags.map((tags, k) => {
    const points = new Array<{ ts: number; value: number }>(packed.counts[k]!);
    for (let j = 0; j < points.length; j++, i++) points[j] = { ts: packed.ts[i]!, value: packed.values[i]! };
    return { tags, points };
  });
}

interface ReadJob extends ReadRequest {
  resolve: (result: never) => void;
  reject: (err: Error) => void;
}

interface ReaderSlot {
  worker: Worker;
  job: ReadJob | null;
}

/**
 * Reader threads, started as queries need them, up to `size`: a long query (the rollup job,
 * a month's recompute) takes one while chart requests go to another. Queries beyond that
 * wait their turn, first come first served.
 */
export class SqliteReaderPool {
  readonly #file: string;
  readonly #size: number;
  readonly #slots: ReaderSlot[] = [];
  readonly #queue: ReadJob[] = [];
  readonly #inFlight = new Set<Promise<unknown>>();
  #nextId = 1;
  #closed = false;

  constructor(file: string, size = 2) {
    this.#file = file;
    this.#size = Math.max(1, size);
  }

  run<T>(method: ReadMethod, query: ReadRequest['query']): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('the SQLite store is closed'));
    // Here, not only in the thread: its errors come back as messages, and a refusal must stay a QueryRefusedError.
    try {
      refuseTimesOutside(query, SQLITE_TIME_RANGE_MS);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const answer = new Promise<T>((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, method, query, resolve: resolve as (r: never) => void, reject });
      this.#dispatch();
    });
    this.#inFlight.add(answer);
    const done = () => this.#inFlight.delete(answer);
    answer.then(done, done);
    return answer;
  }

  /** Lets every query asked so far finish, then stops the threads. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#inFlight]);
    const slots = this.#slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      const slot = this.#slots.find((s) => s.job === null) ?? (this.#slots.length < this.#size ? this.#spawn() : undefined);
      if (!slot) return;
      const job = this.#queue.shift()!;
      slot.job = job;
      slot.worker.postMessage({ id: job.id, method: job.method, query: job.query } satisfies ReadRequest);
    }
  }

  #spawn(): ReaderSlot {
    const worker = new Worker(new URL('./sqlite-reader.mjs', import.meta.url), { workerData: { file: this.#file } });
    // Never what keeps a process alive: close() waits for what is in flight.
    worker.unref();
    const slot: ReaderSlot = { worker, job: null };
    worker.on('message', (reply: ReadReply) => {
      const job = slot.job;
      slot.job = null;
      if (job?.id === reply.id) {
        if (reply.error === null) job.resolve((reply.series ? unpackSeries(reply.series) : reply.seriesSets ? reply.seriesSets.map(unpackSeries) : reply.result) as never);
        else job.reject(new Error(reply.error));
      }
      this.#dispatch();
    });
    const lost = (err: Error) => {
      const i = this.#slots.indexOf(slot);
      if (i < 0) return;
      this.#slots.splice(i, 1);
      slot.job?.reject(err);
      slot.job = null;
      this.#dispatch(); // the next query starts a fresh thread
    };
    worker.on('error', (err) => lost(new Error(`SQLite reader thread failed: ${err.message || String(err)}`)));
    worker.on('exit', (code) => lost(new Error(`SQLite reader thread exited (code ${code})`)));
    this.#slots.push(slot);
    return slot;
  }
}
