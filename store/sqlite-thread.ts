/**
 * The SQLite store writes on a thread of its own (store/sqlite-writer.ts), so that a commit
 * never blocks the event loop that runs the broker, ingest and the API, and so that commits
 * can be as large as the load makes them. This side turns points into rows of numbers
 * (series, field, ts, value) in one transferred buffer; a series or field is described
 * to the thread by name until a write that carried the description has been acknowledged.
 */
import type Database from 'better-sqlite3';
import { Worker } from 'node:worker_threads';
import { matchesFilter, seriesKey, type Point, type TagFilter, type Tags } from './types.ts';

/** Numbers per row: series, field, ts, value. */
export const ROW_WIDTH = 4;
/** Connection settings, the same for the writer thread and the main thread's reading connection. */
export const SQLITE_PRAGMAS = ['journal_mode = WAL', 'synchronous = NORMAL', 'cache_size = -65536', 'busy_timeout = 10000'] as const;

/** Rows of points for the writer thread. */
export interface PointsRequest {
  id: number;
  series: { wire: number; key: string; measurement: string; tags: string }[];
  fields: { wire: number; name: string }[];
  rows: ArrayBuffer;
  /** Numbers used in `rows`. */
  length: number;
}

/** A delete for the writer thread, in order with the writes queued before it. */
export interface DeleteRequest {
  id: number;
  delete: PointsToDelete;
}

export type WriteRequest = PointsRequest | DeleteRequest;

/** The points of a measurement's series matching `where` (all: null): all of them, or those before `before`. */
export interface PointsToDelete {
  measurement: string;
  where: TagFilter | null;
  before: number | null;
}

/**
 * Deletes points on the connection given. The series are looked up here, in the same
 * transaction, so a series a write queued before the delete created is deleted too.
 */
export function deletePoints(db: Database.Database, d: PointsToDelete): void {
  const rows = db.prepare('SELECT id, tags FROM series WHERE measurement = ?').raw(true).all(d.measurement) as [number, string][];
  const ids = rows.filter(([, tags]) => matchesFilter(JSON.parse(tags) as Tags, d.where ?? undefined)).map(([id]) => id);
  if (ids.length === 0) return;
  const list = ids.map(() => '?').join(',');
  if (d.before === null) db.prepare(`DELETE FROM points WHERE series IN (${list})`).run(...ids);
  else db.prepare(`DELETE FROM points WHERE series IN (${list}) AND ts < ?`).run(...ids, d.before);
}

export interface WriteReply {
  id: number;
  error: string | null;
}

interface WireSeries {
  wire: number;
  measurement: string;
  key: string;
  acked: boolean;
}

interface Wire {
  wire: number;
  acked: boolean;
}

interface Waiting {
  resolve: () => void;
  reject: (err: Error) => void;
  described: Set<Wire>;
}

export class SqliteWriterThread {
  readonly #file: string;
  #worker: Worker | undefined;
  #byTags = this.#seriesCache();
  #byKey = new Map<string, WireSeries>();
  #fields = new Map<string, Wire>();
  #nextWire = 1;
  #nextId = 1;
  readonly #waiting = new Map<number, Waiting>();
  /** Writes not yet answered, for close(). */
  readonly #inFlight = new Set<Promise<void>>();
  #rows = new Float64Array(4096);

  constructor(file: string) {
    this.#file = file;
  }

  /**
   * Writes points (non-finite values skipped); resolves once they are committed, with how
   * many points had a value to store.
   */
  async write(points: readonly Point[]): Promise<number> {
    const series: PointsRequest['series'] = [];
    const fields: PointsRequest['fields'] = [];
    const described = new Set<Wire>();
    let rows = this.#rows;
    let n = 0;
    let stored = 0;
    for (const p of points) {
      const s = this.#series(p.measurement, p.tags);
      if (!s.acked && !described.has(s)) {
        series.push({ wire: s.wire, key: s.key, measurement: s.measurement, tags: JSON.stringify(p.tags) });
        described.add(s);
      }
      const ts = Math.round(p.ts);
      let any = false;
      for (const name in p.fields) {
        const value = p.fields[name]!;
        if (!Number.isFinite(value)) continue;
        let f = this.#fields.get(name);
        if (!f) this.#fields.set(name, (f = { wire: this.#nextWire++, acked: false }));
        if (!f.acked && !described.has(f)) {
          fields.push({ wire: f.wire, name });
          described.add(f);
        }
        if (n + ROW_WIDTH > rows.length) {
          const bigger = new Float64Array(rows.length * 2);
          bigger.set(rows);
          rows = bigger;
        }
        rows[n++] = s.wire;
        rows[n++] = f.wire;
        rows[n++] = ts;
        rows[n++] = value;
        any = true;
      }
      if (any) stored++;
    }
    if (n === 0) return 0;
    // The buffer goes to the thread; the next write starts a fresh one of the size this needed.
    this.#rows = new Float64Array(Math.max(4096, Math.min(rows.length, 1 << 20)));
    await this.#send({ id: this.#nextId++, series, fields, rows: rows.buffer as ArrayBuffer, length: n }, described);
    return stored;
  }

  /**
   * Deletes the points of series (their ids in the file), all of them or those before
   * `before`, on the writer's connection: in order with the writes, and without the caller
   * waiting for the write lock while a commit holds it.
   */
  async delete(d: PointsToDelete): Promise<void> {
    await this.#send({ id: this.#nextId++, delete: d }, new Set());
  }

  #send(req: WriteRequest, described: Set<Wire>): Promise<void> {
    const committed = new Promise<void>((resolve, reject) => {
      this.#waiting.set(req.id, { resolve, reject, described });
      this.#thread().postMessage(req, 'rows' in req ? [req.rows] : []);
    });
    this.#inFlight.add(committed);
    return committed.finally(() => this.#inFlight.delete(committed));
  }

  /**
   * Starts the thread now rather than at the first write: it loads its code (compiled on
   * load) in parallel with the rest of the start, instead of while devices wait for PUBACKs.
   */
  start(): void {
    this.#thread();
  }

  /** Waits for every write in flight, then stops the thread. */
  async close(): Promise<void> {
    const worker = this.#worker;
    if (!worker) return;
    await Promise.allSettled(this.#inFlight);
    this.#worker = undefined;
    await worker.terminate();
  }

  #series(measurement: string, tags: Tags): WireSeries {
    return this.#byTags.get(measurement, tags);
  }

  #seriesCache(): SeriesByTags<WireSeries> {
    return new SeriesByTags((key, measurement) => {
      let s = this.#byKey.get(key);
      if (!s) this.#byKey.set(key, (s = { wire: this.#nextWire++, measurement, key, acked: false }));
      return s;
    });
  }

  #thread(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL('./sqlite-writer.mjs', import.meta.url), { workerData: { file: this.#file } });
    // Never what keeps a process alive: close() waits for what is in flight.
    worker.unref();
    worker.on('message', (reply: WriteReply) => {
      const w = this.#waiting.get(reply.id);
      if (!w) return;
      this.#waiting.delete(reply.id);
      if (reply.error !== null) return w.reject(new Error(reply.error));
      for (const d of w.described) d.acked = true;
      w.resolve();
    });
    const lost = (err: Error) => {
      if (this.#worker !== worker) return;
      // A new thread knows no series or fields: describe everything again.
      this.#worker = undefined;
      this.#byTags = this.#seriesCache();
      this.#byKey = new Map();
      this.#fields = new Map();
      for (const w of this.#waiting.values()) w.reject(err);
      this.#waiting.clear();
    };
    worker.on('error', (err) => lost(new Error(`SQLite writer thread failed: ${err.message || String(err)}`)));
    worker.on('exit', (code) => lost(new Error(`SQLite writer thread exited (code ${code})`)));
    this.#worker = worker;
    return worker;
  }
}

/**
 * Series by the tags object they were asked for with. Ingest hands the same tags object for
 * every point of a device, so its series is remembered, checked against the tags as they are
 * now (computing the key costs ~1 µs a point). `make` gives the series of a key not seen
 * through this tags object.
 */
export class SeriesByTags<T> {
  #byTags = new WeakMap<Tags, { measurement: string; entries: string[]; value: T }>();
  readonly #make: (key: string, measurement: string, tags: Tags) => T;

  constructor(make: (key: string, measurement: string, tags: Tags) => T) {
    this.#make = make;
  }

  get(measurement: string, tags: Tags): T {
    const known = this.#byTags.get(tags);
    if (known && known.measurement === measurement && sameTags(known.entries, tags)) return known.value;
    const value = this.#make(seriesKey(measurement, tags), measurement, tags);
    this.#byTags.set(tags, { measurement, entries: tagEntries(tags), value });
    return value;
  }
}

/** A tag set as [key, value, key, value, …] in its own order. */
function tagEntries(tags: Tags): string[] {
  const out: string[] = [];
  for (const k in tags) out.push(k, tags[k]!);
  return out;
}

function sameTags(entries: readonly string[], tags: Tags): boolean {
  let i = 0;
  for (const k in tags) {
    if (entries[i] !== k || entries[i + 1] !== tags[k]) return false;
    i += 2;
  }
  return i === entries.length;
}
