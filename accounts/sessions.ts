import type Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import type { AccountsDb } from './db.ts';
import { randomToken, sha256 } from './secrets.ts';
import { AccountError, type ApiTokenInfo, type Session, type User } from './types.ts';
import { toUser, type UserRow, type Users } from './users.ts';

/** Browser sessions (cookie) and API tokens (bearer), both stored as hashes only. */
export class Sessions {
  readonly #db: Database.Database;
  readonly #now: () => number;
  readonly #users: Users;

  constructor(ctx: AccountsDb, users: Users) {
    this.#db = ctx.db;
    this.#now = ctx.now;
    this.#users = users;
  }

  /** Starts a session; the returned `token` goes into the cookie and is never stored. */
  create(name: string, ttlMs: number): { token: string; csrf: string; expiresAt: number } {
    const user = this.#users.get(name);
    if (!user) throw new AccountError(`no user "${name}"`);
    const token = randomToken();
    const csrf = randomToken();
    const now = this.#now();
    const expiresAt = now + ttlMs;
    this.#db.prepare('INSERT INTO sessions (id_hash, user, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)').run(sha256(token), user.name, csrf, now, expiresAt);
    return { token, csrf, expiresAt };
  }

  /** The live session for a cookie value; `expired` when it exists but has run out. */
  get(token: string): Session | 'expired' | undefined {
    const row = this.#db
      .prepare('SELECT s.csrf, s.expires_at, u.* FROM sessions s JOIN users u ON u.name = s.user WHERE s.id_hash = ?')
      .get(sha256(token)) as (UserRow & { csrf: string; expires_at: number }) | undefined;
    if (!row) return undefined;
    if (row.expires_at <= this.#now()) return 'expired';
    return { user: toUser(row), csrf: row.csrf, expiresAt: row.expires_at };
  }

  delete(token: string): void {
    this.#db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(sha256(token));
  }


  /** Creates an automation token `dpt_<id>_<secret>`; shown once, stored hashed. */
  createToken(name: string, label: string): { id: string; token: string } {
    const user = this.#users.get(name);
    if (!user) throw new AccountError(`no user "${name}"`);
    const id = randomBytes(6).toString('hex');
    const token = `dpt_${id}_${randomToken()}`;
    this.#db
      .prepare('INSERT INTO api_tokens (id, user, label, token_hash, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(id, user.name, label, sha256(token), this.#now());
    return { id, token };
  }

  /** The user behind a bearer token, unless unknown or revoked. */
  tokenUser(token: string): { user: User; tokenId: string } | undefined {
    const row = this.#db
      .prepare('SELECT t.id AS token_id, u.* FROM api_tokens t JOIN users u ON u.name = t.user WHERE t.token_hash = ? AND t.revoked_at IS NULL')
      .get(sha256(token)) as (UserRow & { token_id: string }) | undefined;
    if (!row) return undefined;
    this.#db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?').run(this.#now(), row.token_id);
    return { user: toUser(row), tokenId: row.token_id };
  }

  tokens(name?: string): ApiTokenInfo[] {
    const rows = (name
      ? this.#db.prepare('SELECT * FROM api_tokens WHERE user = ? ORDER BY created_at').all(name.toLowerCase())
      : this.#db.prepare('SELECT * FROM api_tokens ORDER BY created_at').all()) as {
      id: string; user: string; label: string; created_at: number; last_used_at: number | null; revoked_at: number | null;
    }[];
    return rows.map((r) => ({ id: r.id, user: r.user, label: r.label, createdAt: r.created_at, lastUsedAt: r.last_used_at, revokedAt: r.revoked_at }));
  }

  revokeToken(id: string): ApiTokenInfo | undefined {
    this.#db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(this.#now(), id);
    return this.tokens().find((t) => t.id === id);
  }

  /** Drops expired sessions; returns how many went. */
  purgeExpired(): number {
    return this.#db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(this.#now()).changes;
  }
}
