/**
 * Leases in PostgreSQL, for ingest processes on several hosts: a small connection pool per
 * process. The lease time comes from the server's `clock_timestamp()`, so hosts whose
 * clocks disagree still agree on when a lease ends.
 */
import pg from 'pg';
import { SqlLeaseStore, type LeaseSql } from './leases-sql.ts';

export interface PostgresLeaseStoreOptions {
  /** `postgres://user:password@host:port/database` */
  url: string;
  /** Connections per process (default 3): a heartbeat, a few renewals and an acquire at a time. */
  poolSize?: number;
  /**
   * How long one statement or connection attempt may take (default 5000 ms) before it fails,
   * so an unreachable server shows up as errors, not as calls that never return.
   */
  timeoutMs?: number;
  /** Called when an idle pooled connection breaks (the pool reconnects on the next query). */
  onError?: (err: Error) => void;
}

/** Arbitrary constant key of the advisory lock that serialises schema creation across processes. */
const SCHEMA_LOCK = 0x6465736b; // "desk"

function postgresLeaseSql(opts: PostgresLeaseStoreOptions): LeaseSql {
  const timeout = opts.timeoutMs ?? 5_000;
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize ?? 3,
    connectionTimeoutMillis: timeout,
    query_timeout: timeout,
    idleTimeoutMillis: 30_000,
    application_name: 'deskprint-leases',
  });
  // Without a listener, an idle connection's error (server restart) would crash the process.
  pool.on('error', (err) => opts.onError?.(err));
  return {
    kind: 'postgres',
    nowMs: `CAST(floor(extract(epoch FROM clock_timestamp()) * 1000) AS BIGINT)`,
    async query(sql, params = {}) {
      // `:name` → `$n`; `::` casts are not used in the lease SQL, so a lookbehind is enough.
      const values: (string | number)[] = [];
      const index = new Map<string, number>();
      const text = sql.replace(/(?<!:):([a-z_]+)/g, (_, name: string) => {
        if (!index.has(name)) {
          if (!(name in params)) throw new Error(`no value for SQL parameter :${name}`);
          values.push(params[name]!);
          index.set(name, values.length);
        }
        return `$${index.get(name)}`;
      });
      return (await pool.query(text, values)).rows as Record<string, unknown>[];
    },
    async migrate(ddl) {
      // Concurrent CREATE TABLE IF NOT EXISTS can still collide in the catalogue (a unique
      // violation on pg_type), so starts take turns on an advisory lock held for the transaction.
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
        for (const stmt of ddl) await client.query(stmt);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    async close() {
      await pool.end();
    },
  };
}

export class PostgresLeaseStore extends SqlLeaseStore {
  constructor(opts: PostgresLeaseStoreOptions) {
    super(postgresLeaseSql(opts));
  }
}
