/**
 * Bucket leases: which ingest process owns which bucket of sites, kept in the registry
 * database so every process sees one answer (docs/production.md, "Several ingest processes:
 * buckets and leases"). A lease is the database's promise, until `expiresAt` on the
 * database's clock, that nobody else holds the bucket; its fencing token grows with every
 * change of tenure, so work stamped with an older token can be recognised as stale.
 *
 * Two implementations of one SQL (store/leases-sql.ts): SQLite on the registry file, the
 * one-machine default (several processes of one host share the file), and PostgreSQL when
 * the processes span hosts. tests/contracts/leases.contract.ts runs against both.
 */
import { PostgresLeaseStore, type PostgresLeaseStoreOptions } from './leases-postgres.ts';
import { SqliteLeaseStore } from './leases-sqlite.ts';

export { BucketCountMismatchError } from './leases-sql.ts';
export { PostgresLeaseStore, type PostgresLeaseStoreOptions } from './leases-postgres.ts';
export { SqliteLeaseStore } from './leases-sqlite.ts';

export interface Lease {
  readonly bucket: number;
  /** The member (one process) that holds it. */
  readonly owner: string;
  /** Fencing token: grows by one with each new tenure of the bucket, never reused. */
  readonly token: number;
  /** End of the lease in epoch ms on the database's clock (not this host's). */
  readonly expiresAt: number;
}

export interface LeaseStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Creates the tables if missing; idempotent, and safe when many processes start at once. */
  init(): Promise<void>;
  /**
   * Fixes the bucket count at the first start and returns it. A later start with another
   * count fails with `BucketCountMismatchError`: changing it moves sites between buckets, so
   * it needs every ingest process stopped first (docs/production.md).
   */
  bucketCount(buckets: number): Promise<number>;
  /** Marks `member` alive until database-now + `ttlMs`; returns the live members' ids, sorted. */
  heartbeat(member: string, ttlMs: number): Promise<string[]>;
  /**
   * Takes `bucket` for `owner` if it has no lease, its lease expired, or `owner` holds it
   * already (then this extends it, same token). A new tenure gets the next token. One atomic
   * statement: of processes racing for a bucket exactly one gets it; the others get null.
   */
  acquire(bucket: number, owner: string, ttlMs: number): Promise<Lease | null>;
  /** Extends a held lease; false when it was lost (someone else took the bucket since, with a newer token). */
  renew(lease: Lease, ttlMs: number): Promise<boolean>;
  /** Gives the bucket up at once (if `lease` is still the current tenure); its token stays used. */
  release(lease: Lease): Promise<void>;
  /** The live lease of `bucket`, or null. */
  current(bucket: number): Promise<Lease | null>;
  /** Every live lease, by bucket. */
  leases(): Promise<Lease[]>;
  /** Removes `member` from the live members (its leases are released separately). */
  leave(member: string): Promise<void>;
  close(): Promise<void>;
}

const POSTGRES_URL = /^postgres(ql)?:\/\//;

/**
 * The lease store for a registry location: a `postgres://` / `postgresql://` URL, or the path
 * of the SQLite registry file (`<data-dir>/registry.db`).
 */
export function createLeaseStore(registry: string, postgres?: Omit<PostgresLeaseStoreOptions, 'url'>): LeaseStore {
  return POSTGRES_URL.test(registry) ? new PostgresLeaseStore({ ...postgres, url: registry }) : new SqliteLeaseStore(registry);
}
