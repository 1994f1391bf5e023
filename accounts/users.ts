import type Database from 'better-sqlite3';
import type { AccountsDb } from './db.ts';
import { DUMMY_HASH, hashSecret, verifySecret } from './secrets.ts';
import { AccountError, MIN_PASSWORD_LENGTH, ROLES, USERNAME_PATTERN, type LockoutPolicy, type Role, type User } from './types.ts';

export interface UserRow {
  name: string;
  role: Role;
  sites: string;
  member: string | null;
  password: string;
  created_at: number;
}

/** People who sign in: a role and sites, a password, and the lockout after failed sign-ins. */
export class Users {
  readonly #db: Database.Database;
  readonly #now: () => number;
  readonly lockout: LockoutPolicy;

  constructor(ctx: AccountsDb, lockout: LockoutPolicy) {
    this.#db = ctx.db;
    this.#now = ctx.now;
    this.lockout = lockout;
  }

  async add(u: { name: string; role: Role; sites: string[]; member?: string; password: string }): Promise<User> {
    const name = normaliseUsername(u.name);
    if (!(ROLES as readonly string[]).includes(u.role)) throw new AccountError(`role must be one of ${ROLES.join(', ')}`);
    if (u.sites.length === 0) throw new AccountError('a user needs at least one site');
    if (u.role === 'member' && (!u.member || u.sites.length !== 1)) throw new AccountError('a member user needs exactly one site and a member id');
    if (u.role !== 'member' && u.member) throw new AccountError('only member users are linked to a member id');
    if (this.get(name)) throw new AccountError(`user "${name}" exists; use passwd to change the password`);
    checkPassword(u.password);
    const hash = await hashSecret(u.password);
    this.#db
      .prepare('INSERT INTO users (name, role, sites, member, password, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(name, u.role, JSON.stringify(u.sites), u.member ?? null, hash, this.#now());
    return this.get(name)!;
  }

  get(name: string): User | undefined {
    const row = this.#db.prepare('SELECT * FROM users WHERE name = ?').get(name.toLowerCase()) as UserRow | undefined;
    return row ? toUser(row) : undefined;
  }

  all(): User[] {
    return (this.#db.prepare('SELECT * FROM users ORDER BY name').all() as UserRow[]).map(toUser);
  }

  /** Member users linked to a member id at a site. */
  usersForMember(site: string, member: string): User[] {
    return this.all().filter((u) => u.role === 'member' && u.member === member && u.sites.includes(site));
  }

  /** Changes a password and ends the user's sessions (a stolen cookie dies with the old password). */
  async setPassword(name: string, password: string): Promise<void> {
    checkPassword(password);
    const user = this.get(name);
    if (!user) throw new AccountError(`no user "${name}"`);
    const hash = await hashSecret(password);
    this.#db.transaction(() => {
      this.#db.prepare('UPDATE users SET password = ? WHERE name = ?').run(hash, user.name);
      this.#db.prepare('DELETE FROM sessions WHERE user = ?').run(user.name);
    })();
  }

  delete(name: string): boolean {
    return this.#db.prepare('DELETE FROM users WHERE name = ?').run(name.toLowerCase()).changes > 0;
  }

  /** The user when the password matches; null otherwise. Takes as long for unknown users. */
  async verifyPassword(name: string, password: string): Promise<User | null> {
    const row = this.#db.prepare('SELECT * FROM users WHERE name = ?').get(name.toLowerCase()) as UserRow | undefined;
    const ok = await verifySecret(password, row?.password ?? DUMMY_HASH);
    return row && ok ? toUser(row) : null;
  }


  recordLoginFailure(name: string, ip: string | null): void {
    this.#db.prepare('INSERT INTO login_failures (username, ip, at) VALUES (?, ?, ?)').run(name.toLowerCase(), ip, this.#now());
  }

  clearLoginFailures(name: string): void {
    this.#db.prepare('DELETE FROM login_failures WHERE username = ?').run(name.toLowerCase());
  }

  /** Epoch ms until which the username is locked, or null. */
  lockedUntil(name: string): number | null {
    const now = this.#now();
    const { maxFailures, windowMs, lockMs } = this.lockout;
    const at = (
      this.#db.prepare('SELECT at FROM login_failures WHERE username = ? AND at > ? ORDER BY at').all(name.toLowerCase(), now - windowMs - lockMs) as { at: number }[]
    ).map((r) => r.at);
    // Locked from the failure that completes `maxFailures` within one window, for lockMs.
    let until = 0;
    for (let i = maxFailures - 1; i < at.length; i++) if (at[i]! - at[i - maxFailures + 1]! < windowMs) until = at[i]! + lockMs;
    return until > now ? until : null;
  }

  /** Drops login failures too old to lock anybody; returns how many went. */
  purgeFailures(): number {
    return this.#db.prepare('DELETE FROM login_failures WHERE at <= ?').run(this.#now() - this.lockout.windowMs - this.lockout.lockMs).changes;
  }
}

function normaliseUsername(name: string): string {
  const n = name.trim().toLowerCase();
  if (!USERNAME_PATTERN.test(n)) throw new AccountError(`"${name}" is not a valid username (letters, digits, @ . _ -; at most 128)`);
  return n;
}

function checkPassword(password: string): void {
  // NIST SP 800-63B §3.1.1.2: length, not composition rules.
  if (password.length < MIN_PASSWORD_LENGTH) throw new AccountError(`a password needs at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > 1024) throw new AccountError('a password may have at most 1024 characters');
}

export function toUser(r: UserRow): User {
  return { name: r.name, role: r.role, sites: JSON.parse(r.sites) as string[], ...(r.member ? { member: r.member } : {}), createdAt: r.created_at };
}
