import type Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import type { AccountsDb } from './db.ts';
import type { Erasure } from './types.ts';

/** Members erased (GDPR Art. 17): the anonymous id each one's data was re-keyed to. */
export class Erasures {
  readonly #db: Database.Database;
  readonly #now: () => number;

  constructor(ctx: AccountsDb) {
    this.#db = ctx.db;
    this.#now = ctx.now;
  }

  /** The anonymous id a member's data is re-keyed to; the same one if erasure is repeated. */
  anonymousIdFor(site: string, member: string): string {
    const row = this.#db.prepare('SELECT anon_id FROM erasures WHERE site = ? AND member = ?').get(site, member) as { anon_id: string } | undefined;
    if (row) return row.anon_id;
    // Ids start with [a-z0-9], so this is a valid member id: the footprint engine keeps
    // treating it as a member (baseline and all), only nobody can tell who it was.
    const anon = `anon-${randomBytes(6).toString('hex')}`;
    this.#db.prepare('INSERT INTO erasures (site, member, anon_id, at) VALUES (?, ?, ?, ?)').run(site, member, anon, this.#now());
    return anon;
  }

  all(): Erasure[] {
    return (this.#db.prepare('SELECT * FROM erasures ORDER BY at').all() as { site: string; member: string; anon_id: string; at: number }[]).map((r) => ({
      site: r.site, member: r.member, anonymousId: r.anon_id, at: r.at,
    }));
  }
}
