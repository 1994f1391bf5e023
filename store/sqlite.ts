/**
 * SQLite time-series store, the embedded default: one file, WAL, batched transactions.
 *
 * Writes go through a thread of its own (store/sqlite-thread.ts), queries through reader
 * threads (store/sqlite-read.ts): the event loop that runs the broker, ingest and the API
 * waits for neither. A `:memory:` store, or one built with `writerThread: false`, does both
 * on the caller's thread.
 *
 * Layout: `series` maps a measurement + tag set to an integer id, `fields` maps a field
 * name to an id, and `points` holds (series, field, ts) → value in a WITHOUT ROWID table
 * keyed for range scans. `INSERT OR REPLACE` makes identical points overwrite.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type AggregateQuery, type AggregatesQuery, type Point, type RawQuery, type RollupQuery, type SeriesResult, type StoreHealth, type TagFilter, type Tags, type TimeSeriesStore } from './types.ts';
import { SqliteReader, SqliteReaderPool, type SeriesRow } from './sqlite-read.ts';
import { SQLITE_PRAGMAS, SeriesByTags, SqliteWriterThread, deletePoints, type PointsToDelete } from './sqlite-thread.ts';

/** Rows per transaction without a writer thread: small enough that one commit blocks the event loop only briefly. */
const CHUNK = 2_000;

export interface SqliteStoreOptions {
  /** Path of the database file; ':memory:' for tests that need no file. */
  file: string;
  /**
   * Write on a thread of its own (store/sqlite-thread.ts): the default for a file. Without
   * it (and always for ':memory:'), writes are chunked transactions on the caller's thread,
   * and queries run there too.
   */
  writerThread?: boolean;
}

export class SqliteStore implements TimeSeriesStore {
  readonly kind = 'sqlite';
  readonly file: string;
  #db: Database.Database;
  /** This connection's series and fields: ids for inline writes, and inline queries. */
  #reader: SqliteReader;
  #seriesByTags = new SeriesByTags((key, measurement, tags) => this.#seriesForKey(key, measurement, tags));
  #written = 0;
  #lastError: StoreHealth['lastError'] = null;
  #insertPoint!: Database.Statement;
  #insertSeries!: Database.Statement;
  #insertField!: Database.Statement;

  constructor(opts: SqliteStoreOptions) {
    this.file = opts.file;
    if (opts.file !== ':memory:') mkdirSync(path.dirname(opts.file), { recursive: true });
    this.#db = new Database(opts.file);
    for (const p of SQLITE_PRAGMAS) this.#db.pragma(p);
    this.#reader = new SqliteReader(this.#db);
    if (opts.file !== ':memory:' && opts.writerThread !== false) {
      this.#thread = new SqliteWriterThread(opts.file);
      this.#readers = new SqliteReaderPool(opts.file);
    }
  }
  readonly #thread: SqliteWriterThread | undefined;
  readonly #readers: SqliteReaderPool | undefined;

  async init(): Promise<void> {
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS series (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        measurement TEXT NOT NULL,
        tags TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS fields (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE
      );
      CREATE TABLE IF NOT EXISTS points (
        series INTEGER NOT NULL,
        field INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        value REAL NOT NULL,
        PRIMARY KEY (field, series, ts)
      ) WITHOUT ROWID;
    `);
    this.#insertPoint = this.#db.prepare('INSERT OR REPLACE INTO points (series, field, ts, value) VALUES (?, ?, ?, ?)');
    this.#insertSeries = this.#db.prepare('INSERT OR IGNORE INTO series (key, measurement, tags) VALUES (?, ?, ?)');
    this.#insertField = this.#db.prepare('INSERT OR IGNORE INTO fields (name) VALUES (?)');
    this.#reader.refresh();
    this.#thread?.start();
  }

  async write(points: readonly Point[]): Promise<void> {
    if (this.#thread) {
      try {
        this.#written += await this.#thread.write(points);
      } catch (err) {
        this.#lastError = { at: Date.now(), message: (err as Error).message };
        throw err;
      }
      return;
    }
    for (let i = 0; i < points.length; i += CHUNK) {
      const chunk = points.slice(i, i + CHUNK);
      try {
        this.#writeChunk(chunk);
      } catch (err) {
        this.#lastError = { at: Date.now(), message: (err as Error).message };
        throw err;
      }
      // Let the broker and sockets breathe between chunks of a large batch.
      if (i + CHUNK < points.length) await new Promise<void>((r) => setImmediate(r));
    }
  }

  #writeChunk = (points: readonly Point[]): void => {
    this.#db.transaction(() => {
      for (const p of points) {
        const series = this.#seriesFor(p.measurement, p.tags);
        let stored = false;
        const ts = Math.round(p.ts);
        for (const name in p.fields) {
          const value = p.fields[name]!;
          if (!Number.isFinite(value)) continue;
          this.#insertPoint.run(series.id, this.#fieldId(name), ts, value);
          stored = true;
        }
        // health().written counts points, as the interface says, not field values.
        if (stored) this.#written++;
      }
    })();
  };

  #seriesFor(measurement: string, tags: Tags): SeriesRow {
    return this.#seriesByTags.get(measurement, tags);
  }

  #seriesForKey(key: string, measurement: string, tags: Tags): SeriesRow {
    let s = this.#reader.series.get(key);
    if (!s) {
      const info = this.#insertSeries.run(key, measurement, JSON.stringify(tags));
      if (info.changes === 0) {
        // Another process sharing the file created it first.
        this.#reader.refresh();
        s = this.#reader.series.get(key)!;
      } else {
        s = { id: Number(info.lastInsertRowid), measurement, tags: { ...tags } };
        this.#reader.remember(key, s);
      }
    }
    return s;
  }

  #fieldId(name: string): number {
    const fields = this.#reader.fields;
    let id = fields.get(name);
    if (id === undefined) {
      const info = this.#insertField.run(name);
      if (info.changes === 0) this.#reader.refresh();
      id = info.changes === 0 ? fields.get(name)! : Number(info.lastInsertRowid);
      fields.set(name, id);
    }
    return id;
  }

  queryAggregate(q: AggregateQuery): Promise<SeriesResult[]> {
    return this.#readers ? this.#readers.run('queryAggregate', q) : this.#reader.queryAggregate(q);
  }

  queryAggregates(q: AggregatesQuery): Promise<SeriesResult[][]> {
    return this.#readers ? this.#readers.run('queryAggregates', q) : this.#reader.queryAggregates(q);
  }

  /**
   * Windows of the rollup's own period read the rollup rows as they are; longer windows
   * group in SQL (store/sqlite-read.ts).
   */
  queryRollup(q: RollupQuery): Promise<SeriesResult[]> {
    return this.#readers ? this.#readers.run('queryRollup', q) : this.#reader.queryRollup(q);
  }

  queryRaw(q: RawQuery): Promise<Point[]> {
    return this.#readers ? this.#readers.run('queryRaw', q) : this.#reader.queryRaw(q);
  }

  /** Deletes on the writer thread where there is one (store/sqlite-thread.ts `delete`). */
  async deleteBefore(measurement: string, before: number): Promise<void> {
    await this.#delete({ measurement, where: null, before });
  }

  async deleteWhere(measurement: string, where: TagFilter): Promise<void> {
    await this.#delete({ measurement, where, before: null });
  }

  async #delete(d: PointsToDelete): Promise<void> {
    if (this.#thread) return this.#thread.delete(d);
    deletePoints(this.#db, d);
  }

  health(): StoreHealth {
    return { kind: this.kind, state: 'ok', queueDepth: 0, spoolBytes: 0, written: this.#written, dropped: {}, lastError: this.#lastError };
  }

  async close(): Promise<void> {
    await this.#readers?.close();
    await this.#thread?.close();
    if (this.#db.open) this.#db.close();
  }
}
