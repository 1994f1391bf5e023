/**
 * Members' personal data (DESIGN.md "Who sees what"): export as JSON, erasure, and the
 * retention of identifiable presence data.
 *
 * Erasure re-keys rather than deletes: a member's check-ins, presence sessions and
 * footprint points move to an anonymous id (`anon-…`), so site totals and the conservation
 * check (METHODOLOGY §5) still hold while nobody can tell whose they were. Points are
 * written under the new id first and the originals deleted after, so an interrupted
 * erasure repeated later (same anonymous id) finishes without loss or duplicates.
 *
 * Retention: check-ins and presence sessions older than `retentionMonths` are deleted by a
 * daily job; per-member footprints (the member's own record) and site aggregates stay.
 */
import { MEASUREMENT_CHECKINS } from '../../footprint/events.ts';
import { M_DAY, M_INTERVAL, M_MONTH, M_SESSION } from '../../footprint/schema.ts';
import { rollupMeasurement } from '../../store/rollup.ts';
import type { Accounts } from '../../accounts/accounts.ts';
import type { Registry } from '../../store/registry.ts';
import type { Point, TimeSeriesStore } from '../../store/types.ts';

/** Measurements holding a member's data, and the tag that names the member. */
export const MEMBER_SERIES: readonly { measurement: string; tag: 'member' | 'account' }[] = [
  { measurement: MEASUREMENT_CHECKINS, tag: 'member' },
  { measurement: rollupMeasurement(MEASUREMENT_CHECKINS), tag: 'member' },
  { measurement: M_SESSION, tag: 'member' },
  { measurement: M_INTERVAL, tag: 'account' },
  { measurement: M_DAY, tag: 'account' },
  { measurement: M_MONTH, tag: 'account' },
];

/** Identifiable presence data, deleted past the retention period. */
export const PRESENCE_MEASUREMENTS = [MEASUREMENT_CHECKINS, rollupMeasurement(MEASUREMENT_CHECKINS), M_SESSION] as const;

/** Far enough ahead for any stored timestamp (year 2286). */
const END_OF_TIME = 9_999_999_999_999;

async function readMemberPoints(store: TimeSeriesStore, site: string, member: string, series: (typeof MEMBER_SERIES)[number]): Promise<Point[]> {
  return store.queryRaw({ measurement: series.measurement, from: 0, to: END_OF_TIME, where: { site, [series.tag]: member }, limit: 10_000_000 });
}

export interface MemberExport {
  format: 'deskprint-member-export/1';
  exported_at: string;
  site: string;
  member: { id: string; name: string | null };
  users: { name: string; role: string; created_at: string }[];
  /** Points per measurement: `{ ts, tags, fields }`, ascending time. */
  data: Record<string, { ts: string; tags: Record<string, string>; fields: Record<string, number> }[]>;
}

export async function exportMember(deps: { store: TimeSeriesStore; registry: Registry; accounts: Accounts }, site: string, member: string): Promise<MemberExport> {
  const data: MemberExport['data'] = {};
  for (const s of MEMBER_SERIES) {
    const points = await readMemberPoints(deps.store, site, member, s);
    if (points.length) data[s.measurement] = points.map((p) => ({ ts: new Date(p.ts).toISOString(), tags: p.tags, fields: p.fields }));
  }
  const entry = deps.registry.site(site)?.members.find((m) => m.id === member);
  return {
    format: 'deskprint-member-export/1',
    exported_at: new Date(deps.accounts.now()).toISOString(),
    site,
    member: { id: member, name: entry?.name ?? null },
    users: deps.accounts.usersForMember(site, member).map((u) => ({ name: u.name, role: u.role, created_at: new Date(u.createdAt).toISOString() })),
    data,
  };
}

export class ErasureUnsupportedError extends Error {}

export interface ErasureResult {
  anonymousId: string;
  /** Points re-keyed per measurement. */
  moved: Record<string, number>;
  usersDeleted: string[];
}

export async function eraseMember(deps: { store: TimeSeriesStore; accounts: Accounts }, site: string, member: string): Promise<ErasureResult> {
  const { store, accounts } = deps;
  if (!store.deleteWhere) throw new ErasureUnsupportedError(`the ${store.kind} store cannot delete by tag, so it cannot erase a member`);
  const anonymousId = accounts.anonymousIdFor(site, member);
  const moved: Record<string, number> = {};
  for (const s of MEMBER_SERIES) {
    const points = await readMemberPoints(store, site, member, s);
    if (points.length === 0) continue;
    await store.write(points.map((p) => ({ ...p, tags: { ...p.tags, [s.tag]: anonymousId } })));
    await store.deleteWhere(s.measurement, { site, [s.tag]: member });
    moved[s.measurement] = points.length;
  }
  const usersDeleted: string[] = [];
  for (const u of accounts.usersForMember(site, member)) if (accounts.deleteUser(u.name)) usersDeleted.push(u.name);
  return { anonymousId, moved, usersDeleted };
}

/** The cut-off for a retention of `months` calendar months before `now` (UTC). */
export function retentionCutoff(now: number, months: number): number {
  const d = new Date(now);
  d.setUTCMonth(d.getUTCMonth() - months);
  return d.getTime();
}

/** Deletes presence data older than the retention; returns the cut-off used. */
export async function purgePresence(deps: { store: TimeSeriesStore; accounts: Accounts }, months: number): Promise<number | null> {
  if (!deps.store.deleteBefore) return null;
  const cutoff = retentionCutoff(deps.accounts.now(), months);
  for (const m of PRESENCE_MEASUREMENTS) await deps.store.deleteBefore(m, cutoff);
  deps.accounts.purgeExpired();
  deps.accounts.audit({ actor: 'system', action: 'retention.purge', details: { before: new Date(cutoff).toISOString(), measurements: [...PRESENCE_MEASUREMENTS], months } });
  return cutoff;
}

/** Runs the purge now and then every `everyMs` (default daily) until stopped. */
export function startRetention(
  deps: { store: TimeSeriesStore; accounts: Accounts; log?: { warn(o: object, m: string): void } },
  months: number,
  everyMs = 86_400_000,
): { stop(): void; ran: Promise<number | null> } {
  const run = () =>
    purgePresence(deps, months).catch((err: Error) => {
      deps.log?.warn({ err: err.message }, 'retention purge failed; will retry');
      return null;
    });
  const ran = run();
  const timer = setInterval(() => void run(), everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer), ran };
}
