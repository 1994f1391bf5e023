/**
 * Accounts: people (users with a role and sites), their sessions and API tokens, device and
 * service credentials for the MQTT broker, login failures (lockout), the audit log and the
 * record of erased members. One SQLite file, `<data-dir>/accounts.db`, beside the registry,
 * so `deskprint users|devices` can change credentials while `deskprint start` runs.
 *
 * Secrets are never stored: passwords and device secrets as scrypt hashes, session ids and
 * API tokens (256 random bits, so a fast hash suffices) as SHA-256.
 */
import Database from 'better-sqlite3';
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Carrier, Category, DeviceKind } from '../devices/kinds.ts';
import type { SiteDevice } from '../devices/site.ts';
import type { Registry } from '../store/registry.ts';

export const ROLES = ['manager', 'member', 'funder'] as const;
export type Role = (typeof ROLES)[number];

/** Usernames: lower-case letters, digits and `@._-` (an e-mail address works). */
export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9@._-]{0,127}$/;
export const MIN_PASSWORD_LENGTH = 10;

export interface User {
  name: string;
  role: Role;
  /** Sites the user may see; a member's single site holds their member id. */
  sites: string[];
  /** Member id at the user's site (role member only). */
  member?: string;
  createdAt: number;
}

export interface Session {
  user: User;
  /** Double-submit CSRF token the client echoes in `X-CSRF-Token` on writes. */
  csrf: string;
  expiresAt: number;
}

export interface ApiTokenInfo {
  id: string;
  user: string;
  label: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/**
 * A broker credential. `device`: one native device, publishes only its own topics.
 * `bridge`: a Zigbee2MQTT, Shelly or Tasmota installation, confined to its topic scopes.
 * `service`: ingest or API processes against this broker, may subscribe to everything.
 */
export type CredentialType = 'device' | 'bridge' | 'service';

export interface DeviceCredential {
  username: string;
  type: CredentialType;
  /** Site of a device or bridge; null for a service. */
  site: string | null;
  /** Topic filters a bridge may publish and subscribe under (e.g. `zigbee2mqtt/#`). */
  scopes: string[];
  /** A device added by `deskprint devices add --kind`, not in the site file. */
  registration: DeviceRegistration | null;
  createdAt: number;
  rotatedAt: number | null;
  revokedAt: number | null;
}

export interface DeviceRegistration {
  kind: DeviceKind;
  desk?: string;
  zone?: string;
  name?: string;
  category?: Category;
  carrier?: Carrier;
}

export interface AuditEntry {
  id: number;
  at: number;
  /** Username, `device:<id>`, `cli` or `system`. */
  actor: string;
  action: AuditAction;
  target: string | null;
  site: string | null;
  ip: string | null;
  details: Record<string, unknown> | null;
}

export type AuditAction =
  | 'login.success'
  | 'login.failure'
  | 'login.locked'
  | 'logout'
  | 'user.add'
  | 'user.passwd'
  | 'user.delete'
  | 'token.create'
  | 'token.revoke'
  | 'device.add'
  | 'device.rotate'
  | 'device.revoke'
  | 'device.refused'
  | 'member.export'
  | 'member.erase'
  | 'retention.purge';

export interface Erasure {
  site: string;
  member: string;
  anonymousId: string;
  at: number;
}

export interface LockoutPolicy {
  /** Failures within `windowMs` that lock a username. */
  maxFailures: number;
  windowMs: number;
  /** How long a locked username stays locked after its last failure. */
  lockMs: number;
}

/** OWASP Authentication Cheat Sheet: lock after a handful of failures, for minutes, not forever. */
export const DEFAULT_LOCKOUT: LockoutPolicy = { maxFailures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 };

export class AccountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AccountError';
  }
}

export interface AccountsOptions {
  /** Database file; omit for an in-memory store (tests). */
  file?: string;
  clock?: () => number;
  lockout?: LockoutPolicy;
}

interface UserRow {
  name: string;
  role: Role;
  sites: string;
  member: string | null;
  password: string;
  created_at: number;
}

interface CredentialRow {
  username: string;
  type: CredentialType;
  site: string | null;
  scopes: string;
  secret: string;
  registration: string | null;
  created_at: number;
  rotated_at: number | null;
  revoked_at: number | null;
}

export class Accounts {
  readonly #db: Database.Database;
  readonly #now: () => number;
  readonly lockout: LockoutPolicy;

  constructor(opts: AccountsOptions = {}) {
    if (opts.file) mkdirSync(path.dirname(opts.file), { recursive: true });
    this.#db = new Database(opts.file ?? ':memory:');
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('foreign_keys = ON');
    // CLI commands write while `deskprint start` reads: wait for the other writer briefly.
    this.#db.pragma('busy_timeout = 5000');
    this.#now = opts.clock ?? Date.now;
    this.lockout = opts.lockout ?? DEFAULT_LOCKOUT;
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS users (
        name TEXT PRIMARY KEY, role TEXT NOT NULL, sites TEXT NOT NULL, member TEXT,
        password TEXT NOT NULL, created_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS sessions (
        id_hash TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
        csrf TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS api_tokens (
        id TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
        label TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL,
        last_used_at INTEGER, revoked_at INTEGER);
      CREATE TABLE IF NOT EXISTS credentials (
        username TEXT PRIMARY KEY, type TEXT NOT NULL, site TEXT, scopes TEXT NOT NULL,
        secret TEXT NOT NULL, registration TEXT, created_at INTEGER NOT NULL,
        rotated_at INTEGER, revoked_at INTEGER);
      CREATE TABLE IF NOT EXISTS login_failures (username TEXT NOT NULL, ip TEXT, at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS login_failures_by_user ON login_failures (username, at);
      CREATE TABLE IF NOT EXISTS audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, actor TEXT NOT NULL,
        action TEXT NOT NULL, target TEXT, site TEXT, ip TEXT, details TEXT);
      CREATE INDEX IF NOT EXISTS audit_by_time ON audit (at);
      CREATE TABLE IF NOT EXISTS erasures (
        site TEXT NOT NULL, member TEXT NOT NULL, anon_id TEXT NOT NULL, at INTEGER NOT NULL,
        PRIMARY KEY (site, member));
    `);
  }

  now(): number {
    return this.#now();
  }

  // ---- users ------------------------------------------------------------------------

  async addUser(u: { name: string; role: Role; sites: string[]; member?: string; password: string }): Promise<User> {
    const name = normaliseUsername(u.name);
    if (!(ROLES as readonly string[]).includes(u.role)) throw new AccountError(`role must be one of ${ROLES.join(', ')}`);
    if (u.sites.length === 0) throw new AccountError('a user needs at least one site');
    if (u.role === 'member' && (!u.member || u.sites.length !== 1)) throw new AccountError('a member user needs exactly one site and a member id');
    if (u.role !== 'member' && u.member) throw new AccountError('only member users are linked to a member id');
    if (this.user(name)) throw new AccountError(`user "${name}" exists; use passwd to change the password`);
    checkPassword(u.password);
    const hash = await hashSecret(u.password);
    this.#db
      .prepare('INSERT INTO users (name, role, sites, member, password, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(name, u.role, JSON.stringify(u.sites), u.member ?? null, hash, this.#now());
    return this.user(name)!;
  }

  user(name: string): User | undefined {
    const row = this.#db.prepare('SELECT * FROM users WHERE name = ?').get(name.toLowerCase()) as UserRow | undefined;
    return row ? toUser(row) : undefined;
  }

  users(): User[] {
    return (this.#db.prepare('SELECT * FROM users ORDER BY name').all() as UserRow[]).map(toUser);
  }

  /** Member users linked to a member id at a site. */
  usersForMember(site: string, member: string): User[] {
    return this.users().filter((u) => u.role === 'member' && u.member === member && u.sites.includes(site));
  }

  /** Changes a password and ends the user's sessions (a stolen cookie dies with the old password). */
  async setPassword(name: string, password: string): Promise<void> {
    checkPassword(password);
    const user = this.user(name);
    if (!user) throw new AccountError(`no user "${name}"`);
    const hash = await hashSecret(password);
    this.#db.transaction(() => {
      this.#db.prepare('UPDATE users SET password = ? WHERE name = ?').run(hash, user.name);
      this.#db.prepare('DELETE FROM sessions WHERE user = ?').run(user.name);
    })();
  }

  deleteUser(name: string): boolean {
    return this.#db.prepare('DELETE FROM users WHERE name = ?').run(name.toLowerCase()).changes > 0;
  }

  /** The user when the password matches; null otherwise. Takes as long for unknown users. */
  async verifyPassword(name: string, password: string): Promise<User | null> {
    const row = this.#db.prepare('SELECT * FROM users WHERE name = ?').get(name.toLowerCase()) as UserRow | undefined;
    const ok = await verifySecret(password, row?.password ?? DUMMY_HASH);
    return row && ok ? toUser(row) : null;
  }

  // ---- lockout ----------------------------------------------------------------------

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

  // ---- sessions ---------------------------------------------------------------------

  /** Starts a session; the returned `token` goes into the cookie and is never stored. */
  createSession(name: string, ttlMs: number): { token: string; csrf: string; expiresAt: number } {
    const user = this.user(name);
    if (!user) throw new AccountError(`no user "${name}"`);
    const token = randomToken();
    const csrf = randomToken();
    const now = this.#now();
    const expiresAt = now + ttlMs;
    this.#db.prepare('INSERT INTO sessions (id_hash, user, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)').run(sha256(token), user.name, csrf, now, expiresAt);
    return { token, csrf, expiresAt };
  }

  /** The live session for a cookie value; `expired` when it exists but has run out. */
  session(token: string): Session | 'expired' | undefined {
    const row = this.#db
      .prepare('SELECT s.csrf, s.expires_at, u.* FROM sessions s JOIN users u ON u.name = s.user WHERE s.id_hash = ?')
      .get(sha256(token)) as (UserRow & { csrf: string; expires_at: number }) | undefined;
    if (!row) return undefined;
    if (row.expires_at <= this.#now()) return 'expired';
    return { user: toUser(row), csrf: row.csrf, expiresAt: row.expires_at };
  }

  deleteSession(token: string): void {
    this.#db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(sha256(token));
  }

  // ---- API tokens -------------------------------------------------------------------

  /** Creates an automation token `dpt_<id>_<secret>`; shown once, stored hashed. */
  createToken(name: string, label: string): { id: string; token: string } {
    const user = this.user(name);
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

  // ---- broker credentials -----------------------------------------------------------

  /** Creates a credential and returns its secret, which is shown once and stored hashed. */
  async addCredential(c: {
    username: string;
    type: CredentialType;
    site: string | null;
    scopes?: string[];
    registration?: DeviceRegistration;
  }): Promise<{ credential: DeviceCredential; secret: string }> {
    if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(c.username)) throw new AccountError(`"${c.username}" is not a valid id ([a-z0-9][a-z0-9-]{0,63})`);
    const existing = this.credential(c.username);
    if (existing && existing.revokedAt === null) throw new AccountError(`"${c.username}" already has a credential; use rotate for a new secret`);
    if (c.type !== 'service' && !c.site) throw new AccountError('a device or bridge credential belongs to a site');
    if (c.type === 'bridge' && (!c.scopes || c.scopes.length === 0)) throw new AccountError('a bridge credential needs at least one topic scope');
    const secret = randomToken();
    const hash = await hashSecret(secret);
    this.#db
      .prepare(
        `INSERT OR REPLACE INTO credentials (username, type, site, scopes, secret, registration, created_at, rotated_at, revoked_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL)`,
      )
      .run(c.username, c.type, c.site, JSON.stringify(c.scopes ?? []), hash, c.registration ? JSON.stringify(c.registration) : null, this.#now());
    return { credential: this.credential(c.username)!, secret };
  }

  credential(username: string): DeviceCredential | undefined {
    const row = this.#db.prepare('SELECT * FROM credentials WHERE username = ?').get(username) as CredentialRow | undefined;
    return row ? toCredential(row) : undefined;
  }

  credentials(): DeviceCredential[] {
    return (this.#db.prepare('SELECT * FROM credentials ORDER BY site, username').all() as CredentialRow[]).map(toCredential);
  }

  /** A new secret for an existing credential; the old one stops working at once. */
  async rotateCredential(username: string): Promise<string> {
    const c = this.credential(username);
    if (!c) throw new AccountError(`no credential "${username}"`);
    const secret = randomToken();
    const hash = await hashSecret(secret);
    this.#db.prepare('UPDATE credentials SET secret = ?, rotated_at = ?, revoked_at = NULL WHERE username = ?').run(hash, this.#now(), username);
    return secret;
  }

  revokeCredential(username: string): boolean {
    return this.#db.prepare('UPDATE credentials SET revoked_at = ? WHERE username = ? AND revoked_at IS NULL').run(this.#now(), username).changes > 0;
  }

  /** The credential when the secret matches and it is not revoked; null otherwise. */
  async verifyCredential(username: string, secret: string): Promise<DeviceCredential | null> {
    const row = this.#db.prepare('SELECT * FROM credentials WHERE username = ?').get(username) as CredentialRow | undefined;
    const ok = await verifySecret(secret, row?.secret ?? DUMMY_HASH);
    return row && ok && row.revoked_at === null ? toCredential(row) : null;
  }

  // ---- audit ------------------------------------------------------------------------

  audit(e: { actor: string; action: AuditAction; target?: string | null; site?: string | null; ip?: string | null; details?: Record<string, unknown> }): void {
    this.#db
      .prepare('INSERT INTO audit (at, actor, action, target, site, ip, details) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(this.#now(), e.actor, e.action, e.target ?? null, e.site ?? null, e.ip ?? null, e.details ? JSON.stringify(e.details) : null);
  }

  /** Newest first. `sites` limits to entries of those sites plus installation-wide ones. */
  auditLog(q: { from?: number; to?: number; action?: string; sites?: readonly string[]; limit?: number } = {}): AuditEntry[] {
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

  // ---- erasures ---------------------------------------------------------------------

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

  erasures(): Erasure[] {
    return (this.#db.prepare('SELECT * FROM erasures ORDER BY at').all() as { site: string; member: string; anon_id: string; at: number }[]).map((r) => ({
      site: r.site, member: r.member, anonymousId: r.anon_id, at: r.at,
    }));
  }

  /** Drops expired sessions and old login failures; returns how many rows went. */
  purgeExpired(): number {
    const now = this.#now();
    const a = this.#db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(now).changes;
    const b = this.#db.prepare('DELETE FROM login_failures WHERE at <= ?').run(now - this.lockout.windowMs - this.lockout.lockMs).changes;
    return a + b;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

// ---- secrets ----------------------------------------------------------------------------

/**
 * scrypt cost: N = 2^15, r = 8, p = 1 is the OWASP Password Storage Cheat Sheet minimum
 * for scrypt (about 30–60 ms and 32 MiB per hash on a 2020s server core).
 */
const SCRYPT = { N: 32_768, r: 8, p: 1, keylen: 32 } as const;

function scryptAsync(secret: string, salt: Buffer, p: { N: number; r: number; p: number; keylen: number }): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    // maxmem must cover 128 · N · r bytes.
    scrypt(secret, salt, p.keylen, { N: p.N, r: p.r, p: p.p, maxmem: 256 * p.N * p.r }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** `scrypt$N$r$p$salt$hash`, salt and hash base64url. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(secret, salt, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, 'base64url');
  const key = await scryptAsync(secret, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p), keylen: expected.length });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** Verified against for unknown names, so a miss costs as much time as a wrong password. */
const DUMMY_HASH = `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${Buffer.alloc(16).toString('base64url')}$${Buffer.alloc(32).toString('base64url')}`;

export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

export function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
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

function toUser(r: UserRow): User {
  return { name: r.name, role: r.role, sites: JSON.parse(r.sites) as string[], ...(r.member ? { member: r.member } : {}), createdAt: r.created_at };
}

function toCredential(r: CredentialRow): DeviceCredential {
  return {
    username: r.username,
    type: r.type,
    site: r.site,
    scopes: JSON.parse(r.scopes) as string[],
    registration: r.registration ? (JSON.parse(r.registration) as DeviceRegistration) : null,
    createdAt: r.created_at,
    rotatedAt: r.rotated_at,
    revokedAt: r.revoked_at,
  };
}

/**
 * Adds devices registered with `deskprint devices add --kind` (not in the site file) to the
 * registry; returns how many were added. Devices the site file already has are left alone.
 */
export function registerAddedDevices(registry: Registry, credentials: readonly DeviceCredential[]): number {
  let added = 0;
  const bySite = new Map<string, DeviceCredential[]>();
  for (const c of credentials) {
    if (c.type !== 'device' || !c.registration || c.revokedAt !== null || !c.site) continue;
    if (registry.device(c.site, c.username)) continue;
    bySite.set(c.site, [...(bySite.get(c.site) ?? []), c]);
  }
  for (const [siteId, list] of bySite) {
    const site = registry.site(siteId);
    if (!site) continue;
    const devices: SiteDevice[] = [...site.devices];
    for (const c of list) {
      const r = c.registration!;
      devices.push({ id: c.username, ...r });
      added++;
    }
    registry.loadSite({ ...site, devices });
  }
  return added;
}
