import type Database from 'better-sqlite3';
import type { AccountsDb } from './db.ts';
import type { AuditAction, AuditEntry } from './types.ts';

/** Whether a manager of `sites` may see an audit entry (`AuditLog.list`). */
function auditVisible(e: AuditEntry, sites: readonly string[], userSites: (name: string) => readonly string[]): boolean {
  if (e.site !== null) return sites.includes(e.site);
  if (e.actor === 'system') return true;
  // Whom a site-less entry is about: the user a `users` command acted on (the token's owner
  // for token commands), else the signed-in actor. A deleted user's sites are in the entry.
  const about = typeof e.details?.user === 'string' ? e.details.user : e.actor === 'cli' ? e.target : e.actor;
  if (about === null) return false;
  const recorded = Array.isArray(e.details?.sites) ? (e.details.sites as unknown[]).filter((s): s is string => typeof s === 'string') : [];
  const theirs = userSites(about);
  return (theirs.length > 0 ? theirs : recorded).some((s) => sites.includes(s));
}

/** Who did what, when, from where (docs/security.md "Audit"). */
export class AuditLog {
  readonly #db: Database.Database;
  readonly #now: () => number;

  constructor(ctx: AccountsDb) {
    this.#db = ctx.db;
    this.#now = ctx.now;
  }

  add(e: { actor: string; action: AuditAction; target?: string | null; site?: string | null; ip?: string | null; details?: Record<string, unknown> }): void {
    this.#db
      .prepare('INSERT INTO audit (at, actor, action, target, site, ip, details) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(this.#now(), e.actor, e.action, e.target ?? null, e.site ?? null, e.ip ?? null, e.details ? JSON.stringify(e.details) : null);
  }

  /**
   * Newest first. `sites` limits to what a manager of those sites may see (docs/security.md):
   * entries of those sites, and site-less entries about a user of one of them (their
   * sign-ins, tokens, password changes, or an administrator's `users` command about them),
   * plus the installation's own jobs (`system`). Site-less entries about anyone else (another
   * site's users, usernames nobody has, service credentials) stay out. `sitesOfUser` tells a
   * user's sites.
   */
  list(q: { from?: number; to?: number; action?: string; sites?: readonly string[]; limit?: number } = {}, sitesOfUser: (name: string) => readonly string[] = () => []): AuditEntry[] {
    const rows = this.#db
      .prepare('SELECT * FROM audit WHERE at >= ? AND at < ? AND (? IS NULL OR action = ?) ORDER BY id DESC')
      .all(q.from ?? 0, q.to ?? Number.MAX_SAFE_INTEGER, q.action ?? null, q.action ?? null) as {
      id: number; at: number; actor: string; action: AuditAction; target: string | null; site: string | null; ip: string | null; details: string | null;
    }[];
    const sitesOf = new Map<string, readonly string[]>();
    const userSites = (name: string) => {
      let sites = sitesOf.get(name);
      if (!sites) sitesOf.set(name, (sites = sitesOfUser(name)));
      return sites;
    };
    const out: AuditEntry[] = [];
    for (const r of rows) {
      const entry: AuditEntry = { ...r, details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : null };
      if (q.sites && !auditVisible(entry, q.sites, userSites)) continue;
      out.push(entry);
      if (out.length >= (q.limit ?? 1000)) break;
    }
    return out;
  }
}
