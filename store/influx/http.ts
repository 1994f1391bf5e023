/**
 * The v1-compatible HTTP API (`/write`, `/query`, `/ping`), which InfluxDB 1.x, 2.x and 3.x
 * all serve, over the official client's Node transport. Auth: `Authorization: Token …`
 * (2.x/3.x tokens) or HTTP Basic with username and password (1.x users, 2.x v1 auth).
 */
import { HttpError, InfluxDB, type Transport } from '@influxdata/influxdb-client';

export interface InfluxConnection {
  /** Base URL, e.g. http://localhost:8086. */
  url: string;
  /** 1.x database; on 2.x/3.x the database name of a DBRP mapping (or the bucket name). */
  database: string;
  /** Retention policy; the database default when absent. */
  retentionPolicy?: string;
  token?: string;
  username?: string;
  password?: string;
  /** Socket timeout per request. */
  timeoutMs?: number;
}

export interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

export interface InfluxStatementResult {
  statement_id: number;
  series?: InfluxSeries[];
  error?: string;
}

/** Failure of an InfluxQL statement that InfluxDB answered (not a transport failure). */
export class InfluxQueryError extends Error {
  override name = 'InfluxQueryError';
  constructor(
    message: string,
    /** HTTP status when InfluxDB refused the request itself (401, 403, 404…). */
    readonly status?: number,
  ) {
    super(message);
  }
}

export class InfluxHttp {
  readonly conn: InfluxConnection;
  readonly #transport: Transport;
  readonly #headers: Record<string, string>;

  constructor(conn: InfluxConnection) {
    this.conn = conn;
    const headers: Record<string, string> = {};
    if (!conn.token && conn.username !== undefined) {
      headers.authorization = 'Basic ' + Buffer.from(`${conn.username}:${conn.password ?? ''}`).toString('base64');
    }
    this.#headers = headers;
    // The client adds `Authorization: Token <token>` itself when a token is given.
    this.#transport = new InfluxDB({ url: conn.url, token: conn.token, timeout: conn.timeoutMs ?? 10_000 }).transport;
  }

  #params(extra: Record<string, string>): string {
    const p = new URLSearchParams({ db: this.conn.database, ...extra });
    if (this.conn.retentionPolicy) p.set('rp', this.conn.retentionPolicy);
    return p.toString();
  }

  /** Writes line protocol (ms precision); throws `HttpError` or a network error. */
  async write(body: string): Promise<void> {
    await this.#transport.request(`/write?${this.#params({ precision: 'ms' })}`, body, {
      method: 'POST',
      headers: { ...this.#headers, 'content-type': 'text/plain; charset=utf-8' },
      gzipThreshold: 64 * 1024,
    });
  }

  /**
   * Runs one or more `;`-separated InfluxQL statements; times come back as epoch ms, or as
   * epoch hours with `epoch: 'h'` (shorter JSON, for points on whole hours: rollups).
   * Throws `InfluxQueryError` when a statement fails.
   */
  async query(influxql: string, opts: { db?: boolean; epoch?: 'ms' | 'h' } = {}): Promise<InfluxStatementResult[]> {
    const epoch = opts.epoch ?? 'ms';
    const params = opts.db === false ? new URLSearchParams({ epoch }).toString() : this.#params({ epoch });
    let body: { results?: InfluxStatementResult[]; error?: string } | undefined;
    try {
      body = await this.#transport.request(`/query?${params}`, new URLSearchParams({ q: influxql }).toString(), {
        method: 'POST',
        headers: { ...this.#headers, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      });
    } catch (err) {
      if (err instanceof HttpError && err.statusCode >= 400 && err.statusCode < 500) {
        throw new InfluxQueryError(`${err.statusCode}: ${errorText(err)} (${influxql})`, err.statusCode);
      }
      throw err;
    }
    if (body?.error) throw new InfluxQueryError(`${body.error} (${influxql})`);
    const results = body?.results ?? [];
    const failed = results.find((r) => r.error);
    if (failed) throw new InfluxQueryError(`${failed.error} (${influxql})`);
    return results;
  }

  async ping(): Promise<boolean> {
    try {
      await this.#transport.request('/ping', '', { method: 'GET', headers: this.#headers });
      return true;
    } catch {
      return false;
    }
  }
}

/** The server's own message from an `HttpError` body (`{"error": …}` on 1.x, `{"message": …}` on 2.x). */
export function errorText(err: unknown): string {
  if (err instanceof HttpError) {
    const j = err.json as { error?: string; message?: string } | undefined;
    if (j?.error) return j.error;
    if (j?.message) return j.message;
    if (err.body) {
      try {
        const parsed = JSON.parse(err.body) as { error?: string; message?: string };
        if (parsed.error ?? parsed.message) return (parsed.error ?? parsed.message)!;
      } catch {
        // not JSON
      }
      return err.body.slice(0, 300);
    }
    return `${err.statusCode} ${err.statusMessage ?? ''}`.trim();
  }
  return err instanceof Error ? err.message : String(err);
}

/** What the writer does with a batch that InfluxDB did not accept. */
export type WriteFailure =
  /** Bad data: never retried. `partial` means InfluxDB stored the other points of the batch. */
  | { kind: 'reject'; status: number; reason: string; partial: boolean; dropped: number | null; message: string }
  /** Request entity too large: split the batch. */
  | { kind: 'split'; message: string }
  /** Keep the points, back off, spool. */
  | { kind: 'retry'; retryAfterMs: number; message: string };

/**
 * Sorts a failed write like Telegraf's influxdb_v2 output (plugins/outputs/influxdb_v2/http.go):
 * 400/422 and other 4xx are bad data; 413 splits; 429, 5xx and network errors retry.
 * 401/403 retry too (they are configuration errors, so the data is kept and health shows
 * the error), and 404 retries because the database may be created meanwhile.
 */
export function classifyWriteError(err: unknown): WriteFailure {
  const message = errorText(err);
  if (!(err instanceof HttpError)) return { kind: 'retry', retryAfterMs: 0, message };
  const status = err.statusCode;
  if (status === 413) return { kind: 'split', message };
  if (status === 429 || status >= 500 || status === 401 || status === 403 || status === 404 || status === 408) {
    return { kind: 'retry', retryAfterMs: Math.max(0, err.retryAfter()) * 1000, message };
  }
  if (status >= 400) {
    const partial = /partial write/i.test(message);
    const dropped = /dropped=(\d+)/.exec(message);
    return { kind: 'reject', status, reason: `${status} ${rejectReason(message)}`, partial, dropped: dropped ? Number(dropped[1]) : null, message };
  }
  return { kind: 'retry', retryAfterMs: 0, message };
}

/** A short, low-cardinality reason for `health().dropped`; InfluxDB's messages name series. */
function rejectReason(message: string): string {
  const known = [
    'field type conflict',
    'unable to parse',
    'points beyond retention policy',
    'max-values-per-tag limit exceeded',
    'max-series-per-database limit exceeded',
    'invalid field format',
  ];
  const lower = message.toLowerCase();
  return known.find((k) => lower.includes(k)) ?? 'bad request';
}
