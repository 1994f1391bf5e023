/**
 * The lease store's SQL, written once for SQLite and PostgreSQL (both speak
 * `INSERT … ON CONFLICT … DO UPDATE … WHERE … RETURNING`). Every operation is one statement,
 * so the database's own row locking decides races: in PostgreSQL, ON CONFLICT DO UPDATE
 * locks the conflicting row and re-checks the WHERE on its newest version (READ COMMITTED,
 * https://www.postgresql.org/docs/15/sql-insert.html#SQL-ON-CONFLICT); in SQLite, writers
 * are serialised on the file.
 *
 * Times are epoch milliseconds from the database's clock (`nowMs` of the dialect), never a
 * host's: in PostgreSQL `clock_timestamp()`, because `now()` is the start of the
 * transaction; in SQLite, the one machine's clock all processes on the file share.
 *
 * Lease rows are never deleted: a released or expired bucket keeps its last token, so the
 * next tenure's token is higher even across restarts of every process.
 */
import { z } from 'zod';
import type { Lease, LeaseStore } from './leases.ts';

/** What the lease store needs of a database. SQL takes `:name` parameters. */
export interface LeaseSql {
  readonly kind: LeaseStore['kind'];
  /** An SQL expression: the database's current time in epoch ms, as an integer. */
  readonly nowMs: string;
  query(sql: string, params?: Record<string, string | number>): Promise<Record<string, unknown>[]>;
  /** Runs DDL once even when several processes run it at the same moment. */
  migrate(statements: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

export class BucketCountMismatchError extends Error {
  constructor(
    readonly stored: number,
    readonly configured: number,
  ) {
    super(
      `the registry's bucket count is ${stored}, this process was started with ${configured}: ` +
        'every ingest process must use the same count; changing it needs all of them stopped first (docs/production.md)',
    );
    this.name = 'BucketCountMismatchError';
  }
}

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS ingest_buckets (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     buckets INTEGER NOT NULL CHECK (buckets >= 1))`,
  `CREATE TABLE IF NOT EXISTS ingest_members (
     member TEXT PRIMARY KEY,
     expires_at BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS ingest_leases (
     bucket INTEGER PRIMARY KEY CHECK (bucket >= 0),
     owner TEXT,
     token BIGINT NOT NULL,
     expires_at BIGINT NOT NULL)`,
] as const;

// PostgreSQL returns BIGINT columns as strings.
const LeaseRow = z.object({
  bucket: z.coerce.number().int(),
  owner: z.string(),
  token: z.coerce.number().int().positive(),
  expires_at: z.coerce.number().int(),
});
const MemberRow = z.object({ member: z.string() });
const BucketsRow = z.object({ buckets: z.coerce.number().int() });

function toLease(row: unknown): Lease {
  const r = LeaseRow.parse(row);
  return { bucket: r.bucket, owner: r.owner, token: r.token, expiresAt: r.expires_at };
}

function checkTtl(ttlMs: number): void {
  if (!Number.isInteger(ttlMs) || ttlMs < 1) throw new RangeError(`lease time must be a whole number of ms ≥ 1, got ${ttlMs}`);
}

export class SqlLeaseStore implements LeaseStore {
  readonly kind: LeaseStore['kind'];
  readonly #sql: LeaseSql;
  #buckets: number | undefined;
  readonly #q: Record<'acquire' | 'renew' | 'release' | 'current' | 'leases' | 'heartbeat' | 'expireMembers' | 'members', string>;

  constructor(sql: LeaseSql) {
    this.#sql = sql;
    this.kind = sql.kind;
    const now = sql.nowMs;
    const cols = 'bucket, owner, token, expires_at';
    const live = `owner IS NOT NULL AND expires_at > ${now}`;
    this.#q = {
      // The token stays only when the same owner extends its own live lease; any other take is a new tenure.
      acquire: `INSERT INTO ingest_leases AS l (bucket, owner, token, expires_at)
                VALUES (:bucket, :owner, 1, ${now} + CAST(:ttl AS BIGINT))
                ON CONFLICT (bucket) DO UPDATE SET
                  token = CASE WHEN l.owner = excluded.owner AND l.expires_at > ${now} THEN l.token ELSE l.token + 1 END,
                  owner = excluded.owner,
                  expires_at = excluded.expires_at
                WHERE l.owner IS NULL OR l.expires_at <= ${now} OR l.owner = excluded.owner
                RETURNING ${cols}`,
      // Same owner and token means nobody held the bucket in between, even if it ran out meanwhile.
      renew: `UPDATE ingest_leases SET expires_at = ${now} + CAST(:ttl AS BIGINT)
              WHERE bucket = :bucket AND owner = :owner AND token = :token RETURNING bucket`,
      release: `UPDATE ingest_leases SET owner = NULL, expires_at = ${now}
                WHERE bucket = :bucket AND owner = :owner AND token = :token`,
      current: `SELECT ${cols} FROM ingest_leases WHERE bucket = :bucket AND ${live}`,
      leases: `SELECT ${cols} FROM ingest_leases WHERE ${live} ORDER BY bucket`,
      heartbeat: `INSERT INTO ingest_members (member, expires_at) VALUES (:member, ${now} + CAST(:ttl AS BIGINT))
                  ON CONFLICT (member) DO UPDATE SET expires_at = excluded.expires_at`,
      expireMembers: `DELETE FROM ingest_members WHERE expires_at <= ${now}`,
      members: `SELECT member FROM ingest_members WHERE expires_at > ${now}`,
    };
  }

  async init(): Promise<void> {
    await this.#sql.migrate(SCHEMA);
  }

  async bucketCount(buckets: number): Promise<number> {
    if (!Number.isInteger(buckets) || buckets < 1) throw new RangeError(`bucket count must be a whole number of at least 1, got ${buckets}`);
    // The first process to get here fixes it; everyone else reads what it fixed.
    await this.#sql.query('INSERT INTO ingest_buckets (id, buckets) VALUES (1, :buckets) ON CONFLICT (id) DO NOTHING', { buckets });
    const [row] = await this.#sql.query('SELECT buckets FROM ingest_buckets WHERE id = 1');
    const stored = BucketsRow.parse(row).buckets;
    if (stored !== buckets) throw new BucketCountMismatchError(stored, buckets);
    this.#buckets = stored;
    return stored;
  }

  async heartbeat(member: string, ttlMs: number): Promise<string[]> {
    checkTtl(ttlMs);
    await this.#sql.query(this.#q.heartbeat, { member, ttl: ttlMs });
    await this.#sql.query(this.#q.expireMembers);
    const rows = await this.#sql.query(this.#q.members);
    // Sorted here, by code unit, so both databases (and their collations) give one order.
    return rows.map((r) => MemberRow.parse(r).member).sort();
  }

  #checkBucket(bucket: number): void {
    const top = this.#buckets;
    if (!Number.isInteger(bucket) || bucket < 0 || (top !== undefined && bucket >= top)) {
      throw new RangeError(`bucket must be a whole number 0…${top === undefined ? 'n-1' : top - 1}, got ${bucket}`);
    }
  }

  async acquire(bucket: number, owner: string, ttlMs: number): Promise<Lease | null> {
    this.#checkBucket(bucket);
    checkTtl(ttlMs);
    const [row] = await this.#sql.query(this.#q.acquire, { bucket, owner, ttl: ttlMs });
    return row ? toLease(row) : null;
  }

  async renew(lease: Lease, ttlMs: number): Promise<boolean> {
    checkTtl(ttlMs);
    const rows = await this.#sql.query(this.#q.renew, { bucket: lease.bucket, owner: lease.owner, token: lease.token, ttl: ttlMs });
    return rows.length > 0;
  }

  async release(lease: Lease): Promise<void> {
    await this.#sql.query(this.#q.release, { bucket: lease.bucket, owner: lease.owner, token: lease.token });
  }

  async current(bucket: number): Promise<Lease | null> {
    this.#checkBucket(bucket);
    const [row] = await this.#sql.query(this.#q.current, { bucket });
    return row ? toLease(row) : null;
  }

  async leases(): Promise<Lease[]> {
    return (await this.#sql.query(this.#q.leases)).map(toLease);
  }

  async leave(member: string): Promise<void> {
    await this.#sql.query('DELETE FROM ingest_members WHERE member = :member', { member });
  }

  #closed: Promise<void> | undefined;

  /** Closes the connection(s); a second call waits for the first. */
  close(): Promise<void> {
    this.#closed ??= this.#sql.close();
    return this.#closed;
  }
}
