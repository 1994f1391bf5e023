/**
 * Holds this ingest process's share of the site buckets (ingest/buckets.ts) through leases
 * in the registry database (store/leases.ts), so every bucket is consumed by exactly one
 * live process and a process that stops or dies hands its buckets to the others
 * (docs/production.md, "Several ingest processes: buckets and leases").
 *
 * Two loops. Balancing, every `renewEveryMs`: heartbeat as a member, then hold the fair share
 * ceil(buckets / live members) — release what is over it (graceful: `onRelease` first, then
 * the lease), take free or expired buckets up to it. Renewing, on its own timer so a slow
 * `onAcquire` (a warm start) or `onRelease` (a drain) never delays it: renew every held lease.
 * A refused renewal, or no successful one for `lossAfterMs` (2/3 of the lease time, on this
 * host's monotonic clock from when the last successful renewal was sent), calls `onLost`: the
 * process stops consuming before the database can let the lease run out and give it to
 * someone else, so two owners never run at once. The remaining third covers clock rate
 * differences and a late timer; an event loop stalled for longer than that is not covered.
 *
 * Which buckets a member prefers is rendezvous (highest random weight) hashing of member and
 * bucket: members starting together reach for different buckets, and the buckets a member
 * gives up when others join are those another live member ranks higher.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Lease, LeaseStore } from '../store/leases.ts';
import { fnv1a32 } from './buckets.ts';

export type ReleaseReason = 'rebalance' | 'stop';

export interface BucketOwnershipOptions {
  leases: LeaseStore;
  /** Unique per process and start (see `memberId`). */
  member: string;
  /** The fixed bucket count (checked against the registry's at `start`). */
  buckets: number;
  /** Lease and membership time (default 10 s). */
  ttlMs?: number;
  /** Period of renewal and balancing (default a third of `ttlMs`). */
  renewEveryMs?: number;
  /** The bucket is this process's now: start consuming it (restore state first). */
  onAcquire?: (bucket: number, lease: Lease) => Promise<void>;
  /** Stop consuming the bucket and finish its work; the lease is released after this resolves. */
  onRelease?: (bucket: number, reason: ReleaseReason) => Promise<void>;
  /** The lease is lost or about to be: stop consuming the bucket at once, write nothing more for it. */
  onLost?: (bucket: number) => void;
  /** The set of owned buckets changed (sorted). */
  onChange?: (owned: number[]) => void;
  log: Logger;
}

export interface OwnershipCounters {
  acquired: number;
  released: number;
  lost: number;
  /** Lease store calls that failed (unreachable database, timeouts). */
  storeErrors: number;
}

interface Held {
  lease: Lease;
  /** performance.now() when the last successful renewal (or the acquire) was sent. */
  renewedAt: number;
  deadline: NodeJS.Timeout | undefined;
}

/** A member id unique per process start: host, pid and a random part (a pid can come back after a restart). */
export function memberId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

/** `member`'s rendezvous weight for `bucket`. */
function weight(member: string, bucket: number): number {
  return fnv1a32(`${bucket}\u0000${member}`);
}

/** The member with the highest rendezvous weight for `bucket` (ties: the smaller id). */
export function rendezvousWinner(bucket: number, members: readonly string[]): string | undefined {
  let best: { m: string; w: number } | undefined;
  for (const m of members) {
    const w = weight(m, bucket);
    if (!best || w > best.w || (w === best.w && m < best.m)) best = { m, w };
  }
  return best?.m;
}

/**
 * All buckets in `member`'s order of preference among `members`: first those it wins by
 * rendezvous hashing, then the rest, each group by its weight.
 */
export function preferredBuckets(member: string, members: readonly string[], buckets: number): number[] {
  const rank = Array.from({ length: buckets }, (_, b) => ({ b, wins: rendezvousWinner(b, [...members, member]) === member, mine: weight(member, b) }));
  return rank.sort((x, y) => Number(y.wins) - Number(x.wins) || y.mine - x.mine || x.b - y.b).map((r) => r.b);
}

export class BucketOwnership {
  readonly member: string;
  readonly buckets: number;
  readonly ttlMs: number;
  readonly renewEveryMs: number;
  /** No successful renewal for this long (local monotonic clock) counts as lost. */
  readonly lossAfterMs: number;
  readonly #o: BucketOwnershipOptions;
  readonly #log: Logger;
  readonly #held = new Map<number, Held>();
  readonly #counters: OwnershipCounters = { acquired: 0, released: 0, lost: 0, storeErrors: 0 };
  #members: string[] = [];
  #balanceTimer: NodeJS.Timeout | undefined;
  #renewTimer: NodeJS.Timeout | undefined;
  #balancing: Promise<void> | undefined;
  #running = false;
  #storeDown = false;

  constructor(opts: BucketOwnershipOptions) {
    this.#o = opts;
    this.member = opts.member;
    this.buckets = opts.buckets;
    this.ttlMs = opts.ttlMs ?? 10_000;
    this.renewEveryMs = opts.renewEveryMs ?? Math.floor(this.ttlMs / 3);
    this.lossAfterMs = Math.floor((this.ttlMs * 2) / 3);
    if (this.renewEveryMs >= this.lossAfterMs) {
      throw new RangeError(`renewEveryMs (${this.renewEveryMs}) must be below 2/3 of ttlMs (${this.lossAfterMs}), or one late renewal loses every bucket`);
    }
    this.#log = opts.log.child({ member: opts.member });
  }

  /** Creates the lease tables, checks the bucket count, takes a first share, then keeps at it. */
  async start(): Promise<void> {
    await this.#o.leases.init();
    await this.#o.leases.bucketCount(this.buckets);
    this.#running = true;
    this.#renewTimer = setInterval(() => void this.#renewAll(), this.renewEveryMs);
    await this.#balanceNow();
    this.#scheduleBalance();
  }

  /** Hands every bucket over gracefully (`onRelease('stop')`, then the lease) and leaves. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#balanceTimer);
    await this.#balancing;
    // Leave first, so the others' fair share grows while this process drains its buckets.
    await this.#o.leases.leave(this.member).catch((err: unknown) => this.#storeError(err));
    await Promise.all([...this.#held.keys()].map((b) => this.#handOver(b, 'stop')));
    clearInterval(this.#renewTimer);
  }

  /** Buckets this process holds a lease for, sorted. */
  owned(): number[] {
    return [...this.#held.keys()].sort((a, b) => a - b);
  }

  lease(bucket: number): Lease | undefined {
    return this.#held.get(bucket)?.lease;
  }

  /** Live members at the last heartbeat, sorted. */
  members(): string[] {
    return [...this.#members];
  }

  counters(): OwnershipCounters {
    return { ...this.#counters };
  }

  #scheduleBalance(): void {
    if (!this.#running) return;
    this.#balanceTimer = setTimeout(() => {
      void this.#balanceNow().then(() => this.#scheduleBalance());
    }, this.renewEveryMs);
  }

  #balanceNow(): Promise<void> {
    this.#balancing = this.#balance().catch((err: unknown) => this.#log.error({ err }, 'bucket balancing failed'));
    return this.#balancing;
  }

  async #balance(): Promise<void> {
    const leases = this.#o.leases;
    let members: string[];
    try {
      members = await leases.heartbeat(this.member, this.ttlMs);
      this.#storeUp();
    } catch (err) {
      this.#storeError(err);
      return;
    }
    if (!members.includes(this.member)) members = [...members, this.member].sort();
    this.#members = members;
    const fair = Math.ceil(this.buckets / members.length);
    const preferred = preferredBuckets(this.member, members, this.buckets);

    const mine = preferred.filter((b) => this.#held.has(b));
    for (const b of mine.slice(fair).reverse()) {
      if (!this.#running) return;
      await this.#handOver(b, 'rebalance');
    }
    if (this.#held.size >= fair || !this.#running) return;

    let othersHold: Set<number>;
    try {
      othersHold = new Set((await leases.leases()).filter((l) => l.owner !== this.member).map((l) => l.bucket));
    } catch (err) {
      this.#storeError(err);
      return;
    }
    // The buckets taken in this turn start side by side: each start (the warm start of its
    // sites from the store) mostly waits on the store, and a failover moves several at once.
    const starting: Promise<void>[] = [];
    for (const b of preferred) {
      if (this.#held.size >= fair || !this.#running) break;
      // A live lease in our own name that we do not hold (dropped as lost while the database
      // was slow) is ours to take back: nobody else held it since, its token says so.
      if (this.#held.has(b) || othersHold.has(b)) continue;
      const sentAt = performance.now();
      let lease: Lease | null;
      try {
        lease = await leases.acquire(b, this.member, this.ttlMs);
      } catch (err) {
        this.#storeError(err);
        break;
      }
      if (lease) starting.push(this.#took(lease, sentAt));
    }
    await Promise.all(starting);
  }

  async #took(lease: Lease, sentAt: number): Promise<void> {
    const held: Held = { lease, renewedAt: sentAt, deadline: undefined };
    this.#held.set(lease.bucket, held);
    this.#armDeadline(held);
    this.#counters.acquired++;
    this.#log.debug({ bucket: lease.bucket, token: lease.token }, 'lease acquired');
    this.#changed();
    try {
      await this.#o.onAcquire?.(lease.bucket, lease);
    } catch (err) {
      // It could not start consuming: give the bucket back for someone (or a later turn) to try.
      this.#log.error({ err, bucket: lease.bucket }, 'starting a bucket failed; releasing it');
      if (this.#held.get(lease.bucket) !== held) return;
      this.#drop(held);
      this.#counters.released++;
      await this.#o.leases.release(lease).catch((e: unknown) => this.#storeError(e));
    }
  }

  async #handOver(bucket: number, reason: ReleaseReason): Promise<void> {
    const held = this.#held.get(bucket);
    if (!held) return;
    try {
      await this.#o.onRelease?.(bucket, reason);
    } catch (err) {
      this.#log.error({ err, bucket }, 'stopping a bucket failed; releasing it anyway');
    }
    // Lost while draining: onLost was called, the lease is not ours to release.
    if (this.#held.get(bucket) !== held) return;
    this.#drop(held);
    this.#counters.released++;
    this.#log.debug({ bucket, token: held.lease.token, reason }, 'lease released');
    // If this fails the lease runs out by itself; the bucket is already stopped here.
    await this.#o.leases.release(held.lease).catch((err: unknown) => this.#storeError(err));
  }

  async #renewAll(): Promise<void> {
    await Promise.all(
      [...this.#held.values()].map(async (held) => {
        const sentAt = performance.now();
        let renewed: boolean;
        try {
          renewed = await this.#o.leases.renew(held.lease, this.ttlMs);
          this.#storeUp();
        } catch (err) {
          this.#storeError(err);
          return; // the deadline decides
        }
        if (this.#held.get(held.lease.bucket) !== held) return; // released or lost meanwhile
        if (renewed) {
          held.renewedAt = sentAt;
          this.#armDeadline(held);
        } else {
          this.#lose(held, 'renewal refused: another member holds a newer token');
        }
      }),
    );
  }

  #armDeadline(held: Held): void {
    clearTimeout(held.deadline);
    const left = held.renewedAt + this.lossAfterMs - performance.now();
    held.deadline = setTimeout(() => {
      if (this.#held.get(held.lease.bucket) === held) this.#lose(held, `no successful renewal for ${this.lossAfterMs} ms`);
    }, Math.max(0, left));
  }

  #lose(held: Held, why: string): void {
    this.#drop(held);
    this.#counters.lost++;
    this.#log.warn({ bucket: held.lease.bucket, token: held.lease.token }, `bucket lost: ${why}`);
    try {
      this.#o.onLost?.(held.lease.bucket);
    } catch (err) {
      this.#log.error({ err, bucket: held.lease.bucket }, 'onLost threw');
    }
  }

  #drop(held: Held): void {
    clearTimeout(held.deadline);
    this.#held.delete(held.lease.bucket);
    this.#changed();
  }

  #changed(): void {
    this.#o.onChange?.(this.owned());
  }

  #storeError(err: unknown): void {
    this.#counters.storeErrors++;
    if (this.#storeDown) return;
    this.#storeDown = true;
    this.#log.warn({ err }, 'lease store unreachable; buckets are dropped when their renewals run out');
  }

  #storeUp(): void {
    if (!this.#storeDown) return;
    this.#storeDown = false;
    this.#log.info('lease store reachable again');
  }
}
