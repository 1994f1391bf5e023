/**
 * The `LeaseStore` contract, written once and run against SQLite and PostgreSQL
 * (leases.test.ts). Each test gets a fresh, empty database; `open()` makes another store on
 * it with its own connection(s), as another ingest process would.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BucketCountMismatchError, type LeaseStore } from '../../store/leases.ts';

export interface LeaseDatabaseUnderTest {
  /** A new store (its own connection or pool) on this test's database. */
  open(): LeaseStore;
  cleanup(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function describeLeaseStoreContract(name: string, makeDatabase: () => Promise<LeaseDatabaseUnderTest>): void {
  describe(`LeaseStore contract: ${name}`, () => {
    let db: LeaseDatabaseUnderTest;
    let opened: LeaseStore[];
    let store: LeaseStore;
    const open = (): LeaseStore => {
      const s = db.open();
      opened.push(s);
      return s;
    };

    beforeEach(async () => {
      db = await makeDatabase();
      opened = [];
      store = open();
      await store.init();
      await store.bucketCount(16);
    });

    afterEach(async () => {
      await Promise.all(opened.map((s) => s.close()));
      await db.cleanup();
    });

    it('creates its tables once, even when many processes start at the same moment', async () => {
      const fresh = await makeDatabase();
      const stores = Array.from({ length: 8 }, () => fresh.open());
      try {
        await Promise.all(stores.map((s) => s.init()));
        await Promise.all(stores.map((s) => s.init()));
        expect(await Promise.all(stores.map((s) => s.bucketCount(8)))).toEqual(new Array(8).fill(8));
        expect(await stores[0]!.leases()).toEqual([]);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
        await fresh.cleanup();
      }
    });

    it('fixes the bucket count at the first start; another count later fails naming both', async () => {
      const later = open();
      await later.init();
      expect(await later.bucketCount(16)).toBe(16);
      const err = await later.bucketCount(32).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BucketCountMismatchError);
      expect((err as Error).message).toMatch(/bucket count is 16.*started with 32/);
      await expect(later.acquire(16, 'p1', 1_000)).rejects.toThrow(/0…15/);
    });

    it('gives a free bucket to the first taker with token 1, and to nobody else while it lives', async () => {
      const before = Date.now();
      const lease = await store.acquire(3, 'p1', 5_000);
      expect(lease).toMatchObject({ bucket: 3, owner: 'p1', token: 1 });
      // Epoch ms on the database's clock: this machine's, for a server on loopback.
      expect(lease!.expiresAt).toBeGreaterThanOrEqual(before + 5_000 - 1_000);
      expect(lease!.expiresAt).toBeLessThanOrEqual(Date.now() + 5_000 + 1_000);
      expect(await open().acquire(3, 'p2', 5_000)).toBeNull();
      expect(await store.current(3)).toEqual(lease);
      expect(await store.current(4)).toBeNull();
      expect(await store.leases()).toEqual([lease]);

      // The holder taking it again extends it and keeps its tenure (same token).
      await sleep(20);
      const again = await store.acquire(3, 'p1', 5_000);
      expect(again).toMatchObject({ owner: 'p1', token: 1 });
      expect(again!.expiresAt).toBeGreaterThan(lease!.expiresAt);
    });

    it('lets another owner take an expired lease with the next token; the old holder can no longer renew it', async () => {
      const old = (await store.acquire(5, 'p1', 150))!;
      await sleep(250);
      expect(await store.current(5)).toBeNull();
      const other = open();
      const taken = await other.acquire(5, 'p2', 5_000);
      expect(taken).toMatchObject({ bucket: 5, owner: 'p2', token: old.token + 1 });
      expect(await store.renew(old, 5_000)).toBe(false);
      await store.release(old); // a stale release must not free the new owner's bucket
      expect(await other.current(5)).toEqual(taken);
    });

    it('renews a held lease so it outlives its first term, and releases it at once', async () => {
      const lease = (await store.acquire(1, 'p1', 300))!;
      await sleep(150);
      expect(await store.renew(lease, 300)).toBe(true);
      await sleep(200);
      expect(await store.current(1)).toMatchObject({ owner: 'p1', token: lease.token });
      expect((await store.current(1))!.expiresAt).toBeGreaterThan(lease.expiresAt);

      await store.release(lease);
      expect(await store.current(1)).toBeNull();
      expect(await store.renew(lease, 300)).toBe(false);
      // The next tenure, whoever takes it, counts on from the released one.
      const next = (await open().acquire(1, 'p2', 300))!;
      expect(next.token).toBe(lease.token + 1);
    });

    it('never reuses a token: each new tenure counts on, also after every store closed', async () => {
      const tokens: number[] = [];
      for (const owner of ['p1', 'p2', 'p1', 'p3']) {
        const s = open();
        const l = (await s.acquire(7, owner, 5_000))!;
        tokens.push(l.token);
        await s.release(l);
        await s.close();
        opened.splice(opened.indexOf(s), 1);
      }
      expect(tokens).toEqual([1, 2, 3, 4]);
      const restarted = open();
      await restarted.init();
      expect(await restarted.acquire(7, 'p1', 5_000)).toMatchObject({ token: 5 });
    });

    it('lets exactly one of many processes racing for a bucket win, round after round', async () => {
      const racers = Array.from({ length: 12 }, () => open());
      let lastToken = 0;
      for (let round = 0; round < 8; round++) {
        const results = await Promise.all(racers.map((s, i) => s.acquire(9, `racer-${i}`, 5_000)));
        const winners = results.filter((l) => l !== null);
        expect(winners).toHaveLength(1);
        const won = winners[0]!;
        expect(won.token).toBeGreaterThan(lastToken);
        lastToken = won.token;
        expect(await store.current(9)).toEqual(won);
        await racers[results.indexOf(won)]!.release(won);
      }
    });

    it('tracks live members: heartbeats list them sorted, a silent one drops out after its time, a leaving one at once', async () => {
      const other = open();
      expect(await store.heartbeat('p-b', 5_000)).toEqual(['p-b']);
      expect(await other.heartbeat('p-a', 150)).toEqual(['p-a', 'p-b']);
      expect(await store.heartbeat('p-c', 5_000)).toEqual(['p-a', 'p-b', 'p-c']);
      await sleep(250);
      expect(await store.heartbeat('p-b', 5_000)).toEqual(['p-b', 'p-c']);
      await store.leave('p-c');
      expect(await other.heartbeat('p-b', 5_000)).toEqual(['p-b']);
    });
  });
}
