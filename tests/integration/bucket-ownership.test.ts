/**
 * Bucket ownership on the real lease stores: the SQLite registry file and a real PostgreSQL
 * (tests/support/postgres.ts). Three members share 16 buckets; one stops, one is killed
 * (a separate process, SIGKILL), one loses its database. At every sampled moment no bucket
 * is held by two members, and a bucket moves to a new owner only with a higher token.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BucketOwnership, type BucketOwnershipOptions } from '../../ingest/ownership.ts';
import { createLeaseStore, type Lease, type LeaseStore } from '../../store/leases.ts';
import { startPostgres, type Postgres } from '../support/postgres.ts';
import { waitFor } from '../support/wait.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const BUCKETS = 16;
const TTL = 1_500;
const PERIOD = 500;
const log = pino({ level: 'silent' });

let server: Postgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.cleanup();
});

interface Acquired {
  bucket: number;
  member: string;
  token: number;
  at: number;
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`bucket ownership on ${kind}`, () => {
    let registry: string;
    let dir: string | undefined;
    let stores: LeaseStore[];
    let members: BucketOwnership[];
    let children: ChildProcess[];
    let acquired: Acquired[];
    let twice: string[];
    let sampler: NodeJS.Timeout;

    const openStore = (): LeaseStore => {
      const s = createLeaseStore(registry);
      stores.push(s);
      return s;
    };
    const member = (id: string, extra: Partial<BucketOwnershipOptions> = {}): BucketOwnership => {
      const m = new BucketOwnership({
        leases: openStore(),
        member: id,
        buckets: BUCKETS,
        ttlMs: TTL,
        renewEveryMs: PERIOD,
        log,
        onAcquire: async (bucket, lease) => {
          acquired.push({ bucket, member: id, token: lease.token, at: Date.now() });
        },
        ...extra,
      });
      members.push(m);
      return m;
    };
    const ownedBy = (ms: BucketOwnership[]): number[] => ms.flatMap((m) => m.owned());
    const converged = (ms: BucketOwnership[], fair: number): boolean => {
      const all = ownedBy(ms);
      return all.length === BUCKETS && ms.every((m) => m.owned().length <= fair);
    };

    beforeEach(async () => {
      if (kind === 'sqlite') {
        dir = await mkdtemp(path.join(tmpdir(), 'deskprint-ownership-'));
        registry = path.join(dir, 'registry.db');
      } else {
        registry = await server.createDatabase();
      }
      stores = [];
      members = [];
      children = [];
      acquired = [];
      twice = [];
      // Every 5 ms: does any bucket have two in-process owners?
      sampler = setInterval(() => {
        const seen = new Map<number, string>();
        for (const m of members) {
          for (const b of m.owned()) {
            if (seen.has(b)) twice.push(`bucket ${b}: ${seen.get(b)} and ${m.member}`);
            seen.set(b, m.member);
          }
        }
      }, 5);
    });

    afterEach(async () => {
      clearInterval(sampler);
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await Promise.all(members.map((m) => m.stop()));
      await Promise.all(stores.map((s) => s.close()));
      if (dir) await rm(dir, { recursive: true, force: true });
      dir = undefined;
    });

    it('three members converge to their fair share (6/5/5 or 6/6/4); a stopped one hands its buckets over within 3 periods', async () => {
      const released: string[] = [];
      const [a, b] = [member('member-a'), member('member-b')];
      const c = member('member-c', { onRelease: async (bucket, reason) => void released.push(`${bucket}:${reason}`) });
      const started = Date.now();
      await Promise.all([a, b, c].map((m) => m.start()));
      await waitFor('16 buckets within the fair share of 6', () => converged([a, b, c], 6), 10_000, 20);
      const convergedAfter = Date.now() - started;
      const counts = [a, b, c].map((m) => m.owned().length).sort();
      expect([[4, 6, 6], [5, 5, 6]]).toContainEqual(counts);
      // What each member believes is what the database says.
      const db = await openStore().leases();
      expect(db.map((l) => [l.bucket, l.owner])).toEqual(
        [a, b, c].flatMap((m) => m.owned().map((bucket) => [bucket, m.member])).sort((x, y) => (x[0] as number) - (y[0] as number)),
      );
      expect(convergedAfter).toBeLessThan(4 * PERIOD + 1_000);

      const cHeld = new Map(c.owned().map((bucket) => [bucket, c.lease(bucket)!.token]));
      const stopAt = Date.now();
      await c.stop();
      // (Before, while the three were still finding their shares, c may have handed some over as 'rebalance'.)
      expect(released.filter((r) => r.endsWith(':stop')).sort()).toEqual([...cHeld.keys()].map((bucket) => `${bucket}:stop`).sort());
      await waitFor('a and b own all 16', () => converged([a, b], 8), 10_000, 10);
      const movedAfter = Date.now() - stopAt;
      expect(movedAfter).toBeLessThan(3 * PERIOD);
      for (const [bucket, token] of cHeld) {
        const owner = [a, b].find((m) => m.owned().includes(bucket))!;
        expect(owner.lease(bucket)!.token).toBeGreaterThan(token);
      }
      expect(twice).toEqual([]);
    });

    it('a killed member (SIGKILL) keeps its buckets until its leases expire; then they move with higher tokens', async () => {
      // A separate process holds the buckets first, alone.
      const script = `
        const { createLeaseStore } = await import(process.env.LEASES_MODULE);
        const { BucketOwnership } = await import(process.env.OWNERSHIP_MODULE);
        const { default: pino } = await import('pino');
        const o = new BucketOwnership({ leases: createLeaseStore(process.env.REGISTRY), member: 'member-killed', buckets: ${BUCKETS}, ttlMs: ${TTL}, renewEveryMs: ${PERIOD}, log: pino({ level: 'silent' }) });
        await o.start();
        console.log('started ' + o.owned().length);
        setInterval(() => {}, 1000);
      `;
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: REPO,
        env: { ...process.env, LEASES_MODULE: path.join(REPO, 'store/leases.ts'), OWNERSHIP_MODULE: path.join(REPO, 'ingest/ownership.ts'), REGISTRY: registry },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let out = '';
      child.stdout!.on('data', (buf: Buffer) => (out += buf.toString()));
      child.stderr!.on('data', (buf: Buffer) => (out += buf.toString()));
      await waitFor('the child process to hold every bucket', () => out.includes(`started ${BUCKETS}`) || child.exitCode !== null, 20_000);
      expect(out).toContain(`started ${BUCKETS}`);

      const [a, b] = [member('member-a'), member('member-b')];
      await Promise.all([a.start(), b.start()]);
      const watcher = openStore();
      const childLeases = async (): Promise<Lease[]> => (await watcher.leases()).filter((l) => l.owner === 'member-killed');
      await waitFor('the three to share the buckets', async () => converged([a, b], 6) || ((await childLeases()).length <= 6 && ownedBy([a, b]).length + (await childLeases()).length === BUCKETS), 10_000, 20);

      const exited = new Promise((r) => child.once('exit', r));
      const before = await childLeases();
      child.kill('SIGKILL');
      await exited;
      const killedAt = Date.now();
      // Its last renewal may have landed in between: read what the database holds now.
      const last = new Map((await childLeases()).map((l) => [l.bucket, l]));
      expect(last.size).toBeGreaterThan(0);
      expect([...last.keys()]).toEqual(before.map((l) => l.bucket));
      acquired.length = 0;

      await waitFor('a and b to own all 16', () => converged([a, b], 8), 10_000, 10);
      const movedAfter = Date.now() - killedAt;
      for (const [bucket, old] of last) {
        const took = acquired.find((x) => x.bucket === bucket);
        expect(took, `bucket ${bucket} moved`).toBeDefined();
        expect(took!.at).toBeGreaterThanOrEqual(old.expiresAt);
        expect(took!.token).toBeGreaterThan(old.token);
      }
      // A lease time, then at most two periods for the next balancing turns.
      expect(movedAfter).toBeLessThan(TTL + 2 * PERIOD + 500);
      expect(twice).toEqual([]);
    }, 40_000);

    it('a member cut off from the database calls onLost before its leases can expire, and only then do they move', async () => {
      const lostAt = new Map<number, number>();
      const cutOff = member('member-cut', { onLost: (bucket) => lostAt.set(bucket, Date.now()) });
      const other = member('member-other');
      await Promise.all([cutOff.start(), other.start()]);
      await waitFor('both at their fair share of 8', () => converged([cutOff, other], 8), 10_000, 20);

      acquired.length = 0;
      const its = members.indexOf(cutOff);
      await stores[its]!.close(); // every call of this member fails from now on
      const watcher = openStore();
      const leases = new Map((await watcher.leases()).filter((l) => l.owner === 'member-cut').map((l) => [l.bucket, l]));
      expect(leases.size).toBe(8);

      await waitFor('the other to own all 16', () => other.owned().length === BUCKETS, 10_000, 10);
      expect([...lostAt.keys()].sort((x, y) => x - y)).toEqual([...leases.keys()].sort((x, y) => x - y));
      // Read after the cut (close waits for calls in flight), so these are the final expiries.
      for (const [bucket, lease] of leases) {
        expect(lostAt.get(bucket)!).toBeLessThan(lease.expiresAt);
        const took = acquired.find((x) => x.bucket === bucket)!;
        expect(took.at).toBeGreaterThanOrEqual(lease.expiresAt);
        expect(took.token).toBeGreaterThan(lease.token);
      }
      expect(cutOff.counters().lost).toBe(8);
      expect(twice).toEqual([]);
    }, 30_000);
  });
}
