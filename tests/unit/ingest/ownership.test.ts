import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BucketOwnership, preferredBuckets, rendezvousWinner, type BucketOwnershipOptions } from '../../../ingest/ownership.ts';
import type { Lease, LeaseStore } from '../../../store/leases.ts';

/** The LeaseStore contract's semantics in memory, on the (fake) wall clock; `down` makes every call fail. */
class FakeLeaseStore implements LeaseStore {
  readonly kind = 'sqlite' as const;
  down = false;
  readonly rows = new Map<number, { owner: string | null; token: number; expiresAt: number }>();
  readonly members = new Map<string, number>();
  readonly log: string[] = [];

  async #up(): Promise<void> {
    await Promise.resolve();
    if (this.down) throw new Error('connect ECONNREFUSED');
  }
  async init(): Promise<void> {}
  async bucketCount(n: number): Promise<number> {
    return n;
  }
  async heartbeat(member: string, ttlMs: number): Promise<string[]> {
    await this.#up();
    this.members.set(member, Date.now() + ttlMs);
    return [...this.members].filter(([, exp]) => exp > Date.now()).map(([m]) => m).sort();
  }
  async acquire(bucket: number, owner: string, ttlMs: number): Promise<Lease | null> {
    await this.#up();
    const row = this.rows.get(bucket);
    const live = row && row.owner !== null && row.expiresAt > Date.now();
    if (live && row.owner !== owner) return null;
    const token = !row ? 1 : live ? row.token : row.token + 1;
    this.rows.set(bucket, { owner, token, expiresAt: Date.now() + ttlMs });
    this.log.push(`acquire ${bucket} ${owner}`);
    return { bucket, owner, token, expiresAt: Date.now() + ttlMs };
  }
  async renew(lease: Lease, ttlMs: number): Promise<boolean> {
    await this.#up();
    const row = this.rows.get(lease.bucket);
    if (!row || row.owner !== lease.owner || row.token !== lease.token) return false;
    row.expiresAt = Date.now() + ttlMs;
    return true;
  }
  async release(lease: Lease): Promise<void> {
    await this.#up();
    const row = this.rows.get(lease.bucket);
    if (row && row.owner === lease.owner && row.token === lease.token) {
      row.owner = null;
      row.expiresAt = Date.now();
      this.log.push(`release ${lease.bucket} ${lease.owner}`);
    }
  }
  async current(bucket: number): Promise<Lease | null> {
    await this.#up();
    const row = this.rows.get(bucket);
    return row && row.owner !== null && row.expiresAt > Date.now() ? { bucket, owner: row.owner, token: row.token, expiresAt: row.expiresAt } : null;
  }
  async leases(): Promise<Lease[]> {
    await this.#up();
    return [...this.rows]
      .filter(([, r]) => r.owner !== null && r.expiresAt > Date.now())
      .map(([bucket, r]) => ({ bucket, owner: r.owner!, token: r.token, expiresAt: r.expiresAt }))
      .sort((a, b) => a.bucket - b.bucket);
  }
  async leave(member: string): Promise<void> {
    await this.#up();
    this.members.delete(member);
  }
  async close(): Promise<void> {}
}

const log = pino({ level: 'silent' });
const TTL = 3_000;
const PERIOD = 1_000;

function member(store: FakeLeaseStore, id: string, extra: Partial<BucketOwnershipOptions> = {}): BucketOwnership {
  return new BucketOwnership({ leases: store, member: id, buckets: 16, ttlMs: TTL, renewEveryMs: PERIOD, log, ...extra });
}

function noneTwice(...members: BucketOwnership[]): void {
  const all = members.flatMap((m) => m.owned());
  expect(new Set(all).size).toBe(all.length);
}

describe('bucket ownership (fake lease store)', () => {
  let store: FakeLeaseStore;
  let running: BucketOwnership[];
  const start = async (m: BucketOwnership): Promise<BucketOwnership> => {
    running.push(m);
    await m.start();
    return m;
  };

  beforeEach(() => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 5, 9) });
    store = new FakeLeaseStore();
    running = [];
  });
  afterEach(async () => {
    store.down = false;
    for (const m of running) {
      const stopping = m.stop();
      await vi.runOnlyPendingTimersAsync();
      await stopping;
    }
    vi.useRealTimers();
  });

  it('ranks buckets by rendezvous hashing: members reach for different buckets, each bucket the first pick of one', () => {
    const members = ['host-a:1:aa', 'host-b:2:bb', 'host-c:3:cc'];
    const all = Array.from({ length: 16 }, (_, b) => b);
    const won = members.map((m) => all.filter((b) => rendezvousWinner(b, members) === m));
    expect(won.flat().sort((a, b) => a - b)).toEqual(all);
    for (const [i, m] of members.entries()) {
      const order = preferredBuckets(m, members, 16);
      expect([...order].sort((a, b) => a - b)).toEqual(all);
      // What a member wins comes first in its list.
      expect(order.slice(0, won[i]!.length).sort((a, b) => a - b)).toEqual(won[i]);
    }
    expect(new Set(members.map((m) => preferredBuckets(m, members, 16)[0])).size).toBe(3);
  });

  it('a lone member holds every bucket; a second one gets half within two periods, handed over gracefully', async () => {
    const released: string[] = [];
    const a = await start(
      member(store, 'a', {
        onRelease: async (bucket, reason) => {
          // Graceful: the lease is still a's while it drains.
          released.push(`${bucket}:${reason}:${(await store.current(bucket))?.owner}`);
        },
      }),
    );
    expect(a.owned()).toHaveLength(16);
    const b = await start(member(store, 'b'));
    expect(b.owned()).toEqual([]); // all taken; a's next turn releases its excess
    await vi.advanceTimersByTimeAsync(2 * PERIOD);
    expect(a.owned()).toHaveLength(8);
    expect(b.owned()).toHaveLength(8);
    noneTwice(a, b);
    expect(released).toHaveLength(8);
    expect(released.every((r) => r.endsWith(':rebalance:a'))).toBe(true);
    expect(a.counters()).toMatchObject({ acquired: 16, released: 8, lost: 0 });
  });

  it('three members starting together end within their fair share of 6, no bucket twice', async () => {
    const ms = ['a', 'b', 'c'].map((id) => member(store, id));
    await Promise.all(ms.map(start));
    for (let i = 0; i < 6; i++) {
      await vi.advanceTimersByTimeAsync(PERIOD / 2);
      noneTwice(...ms);
    }
    const counts = ms.map((m) => m.owned().length);
    expect(counts.reduce((x, y) => x + y)).toBe(16);
    expect(Math.max(...counts)).toBeLessThanOrEqual(6);
  });

  it('a refused renewal (someone holds a newer token) calls onLost at once and drops the bucket', async () => {
    const lost: number[] = [];
    const a = await start(member(store, 'a', { onLost: (b) => lost.push(b) }));
    const row = store.rows.get(3)!;
    store.rows.set(3, { owner: 'x', token: row.token + 1, expiresAt: Date.now() + TTL });
    await vi.advanceTimersByTimeAsync(PERIOD);
    expect(lost).toEqual([3]);
    expect(a.owned()).not.toContain(3);
    expect(a.counters().lost).toBe(1);
  });

  it('with the store unreachable it gives every bucket up at 2/3 of the lease time, before the lease ends', async () => {
    const lostAt = new Map<number, number>();
    const a = await start(member(store, 'a', { onLost: (b) => lostAt.set(b, Date.now()) }));
    await vi.advanceTimersByTimeAsync(PERIOD); // one successful renewal
    const renewedAt = Date.now();
    const leaseEnds = Math.min(...[...store.rows.values()].map((r) => r.expiresAt));
    store.down = true;
    await vi.advanceTimersByTimeAsync(TTL);
    expect(lostAt.size).toBe(16);
    for (const at of lostAt.values()) {
      expect(at - renewedAt).toBeGreaterThanOrEqual(2_000 - 1);
      expect(at).toBeLessThan(leaseEnds);
    }
    expect(a.owned()).toEqual([]);
    expect(a.counters().storeErrors).toBeGreaterThan(0);

    // Back again: it takes the (now expired) buckets again, as new tenures.
    store.down = false;
    await vi.advanceTimersByTimeAsync(2 * PERIOD);
    expect(a.owned()).toHaveLength(16);
    expect(a.lease(0)!.token).toBe(2);
  });

  it('a slow onAcquire (a warm start) does not hold up the renewal of buckets already held', async () => {
    let first = true;
    const a = member(store, 'a', {
      onAcquire: async () => {
        if (!first) return;
        first = false;
        await new Promise((r) => setTimeout(r, 4 * TTL));
      },
    });
    running.push(a);
    void a.start();
    await vi.advanceTimersByTimeAsync(3 * TTL);
    // Balancing still waits in the first onAcquire; the bucket it took stays held and renewed.
    expect(a.owned()).toHaveLength(1);
    expect(await store.current(a.owned()[0]!)).toMatchObject({ owner: 'a' });
    expect(a.counters().lost).toBe(0);
  });

  it('stop hands every bucket over (onRelease "stop", then the lease) and leaves the members', async () => {
    const order: string[] = [];
    const a = member(store, 'a', {
      onRelease: async (bucket, reason) => {
        order.push(`${reason} ${bucket}`);
      },
    });
    await a.start();
    store.log.length = 0;
    await a.stop();
    expect(order).toHaveLength(16);
    expect(order.every((o) => o.startsWith('stop '))).toBe(true);
    expect(store.log.filter((l) => l.startsWith('release'))).toHaveLength(16);
    expect(await store.leases()).toEqual([]);
    expect(store.members.has('a')).toBe(false);
    expect(a.counters()).toMatchObject({ released: 16, lost: 0 });
  });

  it('refuses a renewal period that a single late renewal would turn into losing every bucket', () => {
    expect(() => member(store, 'a', { renewEveryMs: 2_000 })).toThrow(/below 2\/3/);
  });
});
