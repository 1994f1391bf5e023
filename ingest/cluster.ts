/**
 * Past one machine (DESIGN "Scaling past one machine"): this process's share of the sites,
 * bucket by bucket. BucketOwnership (ownership.ts) holds the buckets' leases in the registry
 * database; here a bucket acquired becomes sites this process runs, and a bucket given up
 * or lost becomes sites it no longer speaks for:
 *
 * - acquired: its sites' state is adopted and their footprint engines are warmed up from the
 *   store (the warm start the previous owner's figures continue from), and only then is the
 *   bucket's persistent session resumed, so the messages the broker queued meanwhile reach
 *   warm engines;
 * - released (rebalance, stop): the session is closed after what is in flight, and the
 *   broker keeps it for the next owner;
 * - lost (the lease could not be renewed in time): the session is dropped at once and
 *   nothing more is acknowledged for it, before the lease can expire in the database.
 */
import type { Logger } from 'pino';
import type { SiteFile } from '../devices/site.ts';
import type { Registry } from '../store/registry.ts';
import type { LeaseStore } from '../store/leases.ts';
import { sitesOfBucket } from './buckets.ts';
import { BucketOwnership, type OwnershipCounters } from './ownership.ts';
import type { BucketSessions } from './bucket-sessions.ts';
import type { FootprintProcessor } from './footprint.ts';
import type { SiteStates } from './sites.ts';

export interface ClusterIngestOptions {
  leases: LeaseStore;
  sessions: BucketSessions;
  registry: Registry;
  sites: SiteStates;
  footprint: FootprintProcessor;
  buckets: number;
  member: string;
  ttlMs: number;
  log: Logger;
  /** A site was taken on, warm, just before its messages flow (Home Assistant, tests). */
  onAdopt?: (site: SiteFile) => void;
}

export interface ClusterStatus {
  member: string;
  buckets: number;
  /** Buckets whose lease this process holds. */
  owned: number[];
  /** Owned buckets whose session is open: warm and taking messages. */
  consuming: number[];
  members: string[];
  counters: OwnershipCounters;
}

export interface ClusterIngest {
  ownership: BucketOwnership;
  status(): ClusterStatus;
  stop(): Promise<void>;
}

export async function startClusterIngest(o: ClusterIngestOptions): Promise<ClusterIngest> {
  await o.leases.init();
  const sitesOf = (bucket: number) => sitesOfBucket(o.registry.sites().map((s) => s.id), bucket, o.buckets);
  const letGo = (bucket: number) => {
    for (const id of sitesOf(bucket)) {
      o.footprint.drop(id);
      o.sites.drop(id);
    }
  };
  const ownership: BucketOwnership = new BucketOwnership({
    leases: o.leases,
    member: o.member,
    buckets: o.buckets,
    ttlMs: o.ttlMs,
    log: o.log,
    async onAcquire(bucket, lease) {
      const ids = sitesOf(bucket);
      const started = performance.now();
      for (const id of ids) {
        const site = o.registry.site(id);
        if (!site) continue;
        o.sites.adopt(id);
        await o.footprint.adopt(site);
      }
      // The session's lease must still be this tenure's for it to connect or acknowledge.
      await o.sessions.open(bucket, ids, () => ownership.lease(bucket)?.token === lease.token);
      for (const id of ids) {
        const site = o.registry.site(id);
        if (site) o.onAdopt?.(site);
      }
      o.log.info({ bucket, token: lease.token, sites: ids.length, warmMs: Math.round(performance.now() - started) }, 'bucket acquired');
    },
    async onRelease(bucket, reason) {
      await o.sessions.close(bucket);
      letGo(bucket);
      o.log.info({ bucket, reason }, 'bucket released');
    },
    onLost(bucket) {
      void o.sessions.close(bucket, true).catch(() => {});
      letGo(bucket);
      o.log.warn({ bucket }, 'bucket lease lost: stopped consuming it');
    },
  });
  await ownership.start();
  return {
    ownership,
    status: () => ({ member: o.member, buckets: o.buckets, owned: ownership.owned(), consuming: o.sessions.sessions().sort((a, b) => a - b), members: ownership.members(), counters: ownership.counters() }),
    async stop() {
      await ownership.stop();
      await o.leases.close();
    },
  };
}
