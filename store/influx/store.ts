/**
 * InfluxDB time-series store, for production: line protocol to `/write`, InfluxQL to
 * `/query`, over the v1-compatible API that InfluxDB 1.x, 2.x and 3.x serve.
 * Writes go through `InfluxWriter` (batching, failure classes, durable spool).
 */
import path from 'node:path';
import { latestError, type AggregateQuery, type AggregatesQuery, type Point, type RawQuery, type RollupQuery, type SeriesResult, type StoreHealth, type StoreState, type TagFilter, type TimeSeriesStore } from '../types.ts';
import { InfluxHttp, InfluxQueryError, type InfluxConnection } from './http.ts';
import { HOUR_MS, ROLLUP_ANSWERS, queryRollupGeneric, rollupParts } from '../rollup.ts';
import { aggregateStatement, aggregatesStatement, decodeAggregate, decodeAggregates, decodeRaw, decodeSelect, ident, rawStatements, selectStatement, tagCondition } from './influxql.ts';
import { encodePoint } from './line-protocol.ts';
import { LOCK_STALE_MS, Spool, SpoolLockedError } from './spool.ts';
import { InfluxWriter } from './writer.ts';

export interface InfluxStoreOptions extends InfluxConnection {
  /** Directory of the on-disk spool; must survive restarts (a volume in containers). */
  spoolDir: string;
  /** Lines per write request (default 5,000, InfluxDB's recommendation). */
  batchSize?: number;
  /** Longest a point waits for a full batch (default 0: sent as soon as the writer is free; ingest's writer batches already). */
  flushIntervalMs?: number;
  /** Points held in memory before write() waits (default 100,000). */
  maxQueuePoints?: number;
  /** Backoff bounds for retries (defaults 500 ms and 30 s). */
  minRetryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Spool limit in bytes; write() rejects beyond it (default 2 GiB). */
  maxSpoolBytes?: number;
  /** Spool segment size in bytes (default 8 MiB). */
  spoolSegmentBytes?: number;
  /** InfluxDB 2.x organisation; needed only for deletes on 2.x (v2 delete API). */
  org?: string;
  /** Longest a delete waits for queued and spooled points to reach InfluxDB (default 30 s). */
  deleteDrainTimeoutMs?: number;
  /** Longest `init()` waits for InfluxDB before it goes on without it (default 1 s). */
  initTimeoutMs?: number;
  /** Longest `close()` waits for InfluxDB to take queued points before spooling them (default 2 s). */
  closeGraceMs?: number;
  /** Told about state changes (ok/degraded/down), for logging. */
  onStateChange?(state: StoreState, lastError: StoreHealth['lastError']): void;
  /**
   * Makes sure `retentionPolicy` exists: creates it where the database lacks it (kept
   * forever, shard groups of `shardDuration`, e.g. `52w`), and once copies into it the
   * measurements matching `copy` (an InfluxQL regex, e.g. `/_1h$/`) from the database's
   * default policy, where a deskprint before this option kept them. Where the policy can be
   * neither found nor created (InfluxDB 2.x and 3.x, a user without admin rights), the store
   * uses the database's default policy instead (`health().lastError` says why, once).
   */
  createRetentionPolicy?: { shardDuration: string; copy?: string };
}

/** Measurement in a policy of its own that records the one-time copy (`createRetentionPolicy.copy`). */
const COPIED = 'deskprint_copied';
const COPY_TIMEOUT_MS = 15 * 60_000;

/** Rollup reads of at least this many periods go in two requests. */
const SPLIT_ROLLUP_READS = 24;

export class InfluxStore implements TimeSeriesStore {
  readonly kind = 'influx';
  readonly #opts: InfluxStoreOptions;
  readonly #http: InfluxHttp;
  #writer: InfluxWriter | null = null;
  #opening: Promise<InfluxWriter> | null = null;
  #adoptTimer: NodeJS.Timeout | null = null;
  #spoolLocked: string | null = null;
  #closed = false;
  #lastQueryError: StoreHealth['lastError'] = null;

  constructor(opts: InfluxStoreOptions) {
    this.#opts = opts;
    // A copy: the retention policy may fall back to the default (#ensureRetentionPolicy).
    this.#http = new InfluxHttp({ ...opts });
  }

  /**
   * Creates the database and starts replaying a spool a previous process left behind.
   * Does not fail when InfluxDB is unreachable: writes spool until it is back.
   */
  async init(): Promise<void> {
    const writer = await this.#open();
    const ensured: Promise<true | Error> = this.#ensureDatabase().then(
      () => true as const,
      (err: Error) => err,
    );
    // A hung InfluxDB (alive, not answering) must not hold the start: devices are accepted
    // and spooled meanwhile, and the writer creates the database once InfluxDB answers.
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([ensured, new Promise<'slow'>((r) => (timer = setTimeout(() => r('slow'), this.#opts.initTimeoutMs ?? 1_000)))]);
    clearTimeout(timer);
    if (outcome === true) {
      writer.ready = true;
      return;
    }
    if (outcome instanceof InfluxQueryError) throw outcome; // InfluxDB answered: a configuration error
    writer.ready = false;
    this.#lastQueryError = { at: Date.now(), message: outcome === 'slow' ? `InfluxDB did not answer within ${this.#opts.initTimeoutMs ?? 1_000} ms at start; writing to the spool until it does` : outcome.message };
  }

  #open(): Promise<InfluxWriter> {
    this.#opening ??= (async () => {
      this.#writer = new InfluxWriter({
        send: (body) => this.#http.write(body),
        prepare: () => this.#ensureDatabase(),
        spool: null,
        acquireSpool: () => this.#tryOpenSpool(),
        releaseSpool: (spool) => spool.close(),
        batchSize: this.#opts.batchSize,
        flushIntervalMs: this.#opts.flushIntervalMs,
        maxQueueLines: this.#opts.maxQueuePoints,
        minRetryDelayMs: this.#opts.minRetryDelayMs,
        maxRetryDelayMs: this.#opts.maxRetryDelayMs,
        onStateChange: this.#opts.onStateChange,
        closeGraceMs: this.#opts.closeGraceMs,
      });
      await this.#adoptLeftovers();
      // A spool whose owner died while holding the lock becomes adoptable once the lock is
      // stale; look again now and then rather than leave it until the next outage.
      this.#adoptTimer = setInterval(() => void this.#adoptLeftovers().catch(() => undefined), LOCK_STALE_MS / 3);
      this.#adoptTimer.unref();
      return this.#writer;
    })();
    return this.#opening;
  }

  /** Takes over spooled data on disk that no live process holds, to replay it. */
  async #adoptLeftovers(): Promise<void> {
    const writer = this.#writer;
    if (!writer || writer.hasSpool || this.#closed || !Spool.hasData(this.#spoolDir())) return;
    const spool = await this.#tryOpenSpool();
    if (!spool) return;
    if (this.#closed || !writer.attachSpool(spool)) await spool.close();
  }

  #spoolDir(): string {
    return path.resolve(this.#opts.spoolDir);
  }

  async #tryOpenSpool(): Promise<Spool | null> {
    try {
      const spool = await Spool.open({ dir: this.#spoolDir(), maxBytes: this.#opts.maxSpoolBytes, segmentBytes: this.#opts.spoolSegmentBytes });
      this.#spoolLocked = null;
      return spool;
    } catch (err) {
      if (!(err instanceof SpoolLockedError)) throw err;
      this.#spoolLocked = err.message;
      return null;
    }
  }

  /**
   * `CREATE DATABASE` is idempotent on 1.x. 2.x and 3.x refuse it (so does 1.x for a
   * non-admin user); there the database must already exist, as a bucket of that name
   * (2.x maps it virtually) or a DBRP mapping, which a harmless query then confirms.
   */
  async #ensureDatabase(): Promise<void> {
    const db = this.#opts.database;
    try {
      await this.#http.query(`CREATE DATABASE ${ident(db)}`, { db: false });
    } catch (err) {
      if (!(err instanceof InfluxQueryError)) throw err;
      if (err.status === 401) {
        throw new InfluxQueryError(`InfluxDB refused deskprint's credentials (${err.message}); check DESKPRINT_INFLUX_TOKEN or DESKPRINT_INFLUX_USERNAME/PASSWORD`, 401);
      }
      try {
        await this.#http.query('SHOW MEASUREMENTS LIMIT 1');
      } catch (check) {
        if (!(check instanceof InfluxQueryError)) throw check;
        throw new InfluxQueryError(
          `InfluxDB database "${db}" is not usable (${check.message}) and cannot be created here (${err.message}); on InfluxDB 2.x/3.x create a bucket named "${db}" or a DBRP mapping for it`,
        );
      }
    }
    await this.#ensureRetentionPolicy();
  }

  #retentionPolicyReady = false;

  /** `createRetentionPolicy`: see its description. Network failures throw (init and the writer try again later). */
  async #ensureRetentionPolicy(): Promise<void> {
    const spec = this.#opts.createRetentionPolicy;
    const rp = this.#opts.retentionPolicy;
    if (!spec || !rp || this.#retentionPolicyReady) return;
    const db = ident(this.#opts.database);
    try {
      const [listed] = await this.#http.query('SHOW RETENTION POLICIES');
      const policies = (listed?.series?.[0]?.values ?? []).map((row) => ({ name: String(row[0]), isDefault: row[row.length - 1] === true }));
      if (!policies.some((p) => p.name === rp)) {
        await this.#http.query(`CREATE RETENTION POLICY ${ident(rp)} ON ${db} DURATION INF REPLICATION 1 SHARD DURATION ${spec.shardDuration}`);
      }
      const from = policies.find((p) => p.isDefault)?.name;
      if (spec.copy && from && from !== rp) {
        const [copied] = await this.#http.query(`SELECT count("done") FROM ${db}.${ident(rp)}.${ident(COPIED)}`);
        if (!copied?.series?.length) {
          // Can take a while for years of rollups: not under the 10 s a request of everything else.
          await new InfluxHttp({ ...this.#opts, timeoutMs: COPY_TIMEOUT_MS }).query(`SELECT * INTO ${db}.${ident(rp)}.:MEASUREMENT FROM ${db}.${ident(from)}.${spec.copy} GROUP BY *`);
          await this.#http.write(`${COPIED} done=1 ${Date.now()}`);
        }
      }
    } catch (err) {
      if (!(err instanceof InfluxQueryError)) throw err;
      this.#http.conn.retentionPolicy = undefined;
      this.#lastQueryError = { at: Date.now(), message: `retention policy "${rp}" cannot be used (${err.message}); using the database's default` };
    }
    this.#retentionPolicyReady = true;
  }

  async write(points: readonly Point[]): Promise<void> {
    const writer = this.#writer ?? (await this.#open());
    const lines: string[] = [];
    for (const p of points) {
      const { line, invalid } = encodePoint(p);
      if (invalid) writer.countDropped(invalid);
      else lines.push(line);
    }
    await writer.enqueue(lines);
  }

  async queryAggregate(q: AggregateQuery): Promise<SeriesResult[]> {
    const statement = aggregateStatement(q);
    if (statement === null || q.to <= q.from) return [];
    const results = await this.#query(statement);
    return decodeAggregate(results[0], q.by ?? []);
  }

  /** Several aggregates of one field in one statement, so InfluxDB reads the field once (the rollup asks five an hour). */
  async queryAggregates(q: AggregatesQuery): Promise<SeriesResult[][]> {
    const statement = aggregatesStatement(q);
    if (statement === null || q.to <= q.from || q.fns.length === 0) return q.fns.map(() => []);
    const results = await this.#query(statement);
    return decodeAggregates(results[0], q.by ?? [], q.fns.length);
  }

  /**
   * Windows of the rollup's own period (hourly windows on the hour rollup, daily on the day
   * rollup): the rollup points themselves (`selectStatement`), which InfluxDB returns in
   * half the time of the same rows windowed with `GROUP BY time()`, in two requests over the
   * two halves of a long range, which InfluxDB serves on two cores. A mean takes
   * `<field>_mean` where a group has one point per window, and asks again for sums and
   * counts where a group merges several series. Longer windows aggregate on the server,
   * one request per rollup field.
   */
  async queryRollup(q: RollupQuery): Promise<SeriesResult[]> {
    if (!ROLLUP_ANSWERS.includes(q.fn)) throw new Error(`${q.fn} cannot be answered from a rollup`);
    if (Math.round(q.every) !== q.period) return queryRollupGeneric(this, q);
    if (q.to <= q.from) return [];
    const by = q.by ?? [];
    const select = async (fields: string[]) => {
      const mid = Math.floor((q.from + (q.to - q.from) / 2) / q.period) * q.period;
      const ranges = q.to - q.from >= SPLIT_ROLLUP_READS * q.period && mid > q.from && mid < q.to ? [[q.from, mid], [mid, q.to]] : [[q.from, q.to]];
      const statements = ranges.map(([from, to]) => selectStatement({ ...q, from: from!, to: to! }, fields));
      if (statements[0] === null) return [];
      // Rollup points sit on whole hours: times as epoch hours, a third of the JSON.
      return decodeSelect(await Promise.all(statements.map(async (st) => (await this.#query(st!, 'h'))[0])), by, fields.length, HOUR_MS);
    };
    const part = `${q.field}_${q.fn}`;
    const first = await select([part]);
    const out: SeriesResult[] = [];
    // A group with one row per window: the rollup's own values are the answer.
    for (const s of first) if (s.unique && s.ts.length > 0) out.push({ tags: s.tags, points: s.ts.map((ts, i) => ({ ts, value: s.values[0]![i]! })) });
    const merged = new Set(first.filter((s) => !s.unique).map((s) => JSON.stringify(s.tags)));
    const rows = merged.size === 0 ? [] : q.fn === 'mean' ? (await select(rollupParts(q.field, q.fn).map((p) => p.field))).filter((s) => merged.has(JSON.stringify(s.tags))) : first.filter((s) => !s.unique);
    for (const s of rows) {
      const windows = new Map<number, { a: number; n: number }>();
      for (let i = 0; i < s.ts.length; i++) {
        const ts = s.ts[i]!;
        const a = s.values[0]![i]!;
        const n = q.fn === 'mean' ? s.values[1]![i]! : 0;
        const w = windows.get(ts);
        if (!w) windows.set(ts, { a, n });
        else if (q.fn === 'min') w.a = Math.min(w.a, a);
        else if (q.fn === 'max') w.a = Math.max(w.a, a);
        else (w.a += a), (w.n += n);
      }
      const points = [...windows.entries()].sort((x, y) => x[0] - y[0]).map(([ts, w]) => ({ ts, value: q.fn === 'mean' ? w.a / w.n : w.a }));
      if (points.length > 0) out.push({ tags: s.tags, points });
    }
    return out.sort((a, b) => JSON.stringify(a.tags).localeCompare(JSON.stringify(b.tags)));
  }

  async queryRaw(q: RawQuery): Promise<Point[]> {
    const statements = rawStatements(q);
    if (statements === null || q.to <= q.from) return [];
    const [tagKeys, points] = await Promise.all([this.#query(statements.tagKeys), this.#query(statements.points)]);
    return decodeRaw(q.measurement, tagKeys[0], points[0]);
  }

  async #query(influxql: string, epoch?: 'ms' | 'h') {
    // Started while InfluxDB was down: the policy may not exist yet, and reads of it would fail.
    if (!this.#retentionPolicyReady && this.#opts.createRetentionPolicy) await this.#ensureRetentionPolicy().catch(() => undefined);
    try {
      return await this.#http.query(influxql, { epoch });
    } catch (err) {
      this.#lastQueryError = { at: Date.now(), message: (err as Error).message };
      throw err;
    }
  }

  /**
   * Deletes go through InfluxQL `DELETE` (1.x). 2.x does not serve it on the v1 API, so there
   * the v2 delete API is used when `org` is configured (a bucket retention period is the
   * usual choice for retention there).
   *
   * Points still queued or spooled would come back after a delete, so a delete first waits
   * for them to reach InfluxDB and refuses (throws) when they cannot: try again later.
   */
  async deleteBefore(measurement: string, before: number): Promise<void> {
    await this.#drainBeforeDelete();
    await this.#delete(measurement, `time < ${Math.ceil(before)}ms`, {}, Math.ceil(before) - 1);
  }

  /** Deletes every point of the series of `measurement` whose tags match `where`. */
  async deleteWhere(measurement: string, where: TagFilter): Promise<void> {
    const condition = tagCondition(where);
    if (condition === null) return;
    await this.#drainBeforeDelete();
    await this.#delete(measurement, condition, where, Date.UTC(2262, 0, 1));
  }

  async #drainBeforeDelete(): Promise<void> {
    const writer = this.#writer;
    if (!writer) return;
    if (!(await writer.flush(this.#opts.deleteDrainTimeoutMs ?? 30_000))) {
      throw new Error(`InfluxDB store still has ${writer.health().queueDepth} unsent point(s); delete refused so they cannot come back after it`);
    }
  }

  async #delete(measurement: string, condition: string, where: TagFilter, stop: number): Promise<void> {
    try {
      await this.#http.query(`DELETE FROM ${ident(measurement)}${condition ? ` WHERE ${condition}` : ''}`);
    } catch (err) {
      if (!(err instanceof InfluxQueryError) || !this.#opts.org) throw err;
      // The v2 predicate has no OR: one request per combination of filter values.
      let combos: string[] = [`_measurement="${v2Escape(measurement)}"`];
      for (const [k, want] of Object.entries(where)) {
        const values = typeof want === 'string' ? [want] : want;
        combos = combos.flatMap((c) => values.map((v) => `${c} AND ${k}="${v2Escape(v)}"`));
      }
      for (const predicate of combos) await this.#deleteV2(predicate, stop);
    }
  }

  async #deleteV2(predicate: string, stop: number): Promise<void> {
    const { url, token, org, database } = this.#opts;
    const qs = new URLSearchParams({ org: org!, bucket: database });
    const res = await fetch(`${url.replace(/\/$/, '')}/api/v2/delete?${qs}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Token ${token}` } : {}) },
      // The v2 range includes its stop time.
      body: JSON.stringify({ start: new Date(0).toISOString(), stop: new Date(stop).toISOString(), predicate }),
    });
    if (!res.ok) throw new Error(`InfluxDB v2 delete failed (${res.status}): ${await res.text()}`);
  }

  health(): StoreHealth {
    const w = this.#writer?.health();
    let lastError = latestError(w?.lastError ?? null, this.#lastQueryError);
    if (this.#spoolLocked && w?.state === 'down') lastError = { at: Date.now(), message: `${lastError?.message ?? 'InfluxDB unreachable'}; cannot spool: ${this.#spoolLocked}` };
    return {
      kind: this.kind,
      state: w?.state ?? 'ok',
      queueDepth: w?.queueDepth ?? 0,
      spoolBytes: w?.spoolBytes ?? 0,
      written: w?.written ?? 0,
      dropped: w?.dropped ?? {},
      lastError,
    };
  }

  /** Sends (or spools) what is queued; anything still spooled is replayed by the next start. */
  async close(): Promise<void> {
    this.#closed = true;
    if (!this.#opening) return;
    await this.#opening;
    if (this.#adoptTimer) clearInterval(this.#adoptTimer);
    this.#adoptTimer = null;
    await this.#writer!.close();
  }
}

function v2Escape(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}
