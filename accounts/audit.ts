import type Database from 'better-sqlite3';
import type { AccountsDb } from './db.ts';
import type { AuditAction, AuditEntry } from './types.ts';

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

  /** Newest first. `sites` limits to entries of those sites plus installation-wide ones. */
  list(q: { from?: number; to?: number; action?: string; sites?: readonly string[]; limit?: number } = {}): AuditEntry[] {
    const rows = this.#db
      .prepare('SELECT * FROM audit WHERE at >= ? AND at < ? AND (? IS NULL OR action = ?) ORDER BY id DESC')
      .all(q.from ?? 0, q.to ?? Number.MAX_SAFE_INTEGER, q.action ?? null, q.action ?? null) as {
      id: number; at: number; actor: string; action: AuditAction; target: string | null; site: string | null; ip: string | null; details: string | null;
    }[];
    const out: AuditEntry[] = [];
    for (const r of rows) {
      if (q.sites && r.site !== null && !q.sites.includes(r.site)) continue;
      out.push({ ...r, details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : null });
      if (out.length >= (q.limit ?? 1000)) break;
    }
    return out;
  }
}
