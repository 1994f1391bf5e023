/**
 * Accounts: people (users with a role and sites), their sessions and API tokens, device and
 * service credentials for the MQTT broker, login failures (lockout), the audit log and the
 * record of erased members, each in a file of its own, over one SQLite file (db.ts).
 * `Accounts` is the one handle the rest of deskprint holds.
 */
import { AuditLog } from './audit.ts';
import { Credentials } from './credentials.ts';
import { openAccountsDb, type AccountsDb } from './db.ts';
import { Erasures } from './erasures.ts';
import { Sessions } from './sessions.ts';
import { DEFAULT_LOCKOUT, type AuditAction, type CredentialType, type DeviceRegistration, type LockoutPolicy, type Role } from './types.ts';
import { Users } from './users.ts';

export * from './types.ts';
export { hashSecret, randomToken, sha256, verifySecret } from './secrets.ts';
export { registerAddedDevices } from './credentials.ts';

export interface AccountsOptions {
  /** Database file; omit for an in-memory store (tests). */
  file?: string;
  clock?: () => number;
  lockout?: LockoutPolicy;
}

export class Accounts {
  readonly #ctx: AccountsDb;
  readonly #users: Users;
  readonly #sessions: Sessions;
  readonly #credentials: Credentials;
  readonly #audit: AuditLog;
  readonly #erasures: Erasures;
  readonly lockout: LockoutPolicy;

  constructor(opts: AccountsOptions = {}) {
    this.#ctx = { db: openAccountsDb(opts.file), now: opts.clock ?? Date.now };
    this.lockout = opts.lockout ?? DEFAULT_LOCKOUT;
    this.#users = new Users(this.#ctx, this.lockout);
    this.#sessions = new Sessions(this.#ctx, this.#users);
    this.#credentials = new Credentials(this.#ctx);
    this.#audit = new AuditLog(this.#ctx);
    this.#erasures = new Erasures(this.#ctx);
  }

  now(): number {
    return this.#ctx.now();
  }

  // ---- users (users.ts) ---------------------------------------------------------------

  addUser(u: { name: string; role: Role; sites: string[]; member?: string; password: string }) { return this.#users.add(u); }
  user(name: string) { return this.#users.get(name); }
  users() { return this.#users.all(); }
  /** Member users linked to a member id at a site. */
  usersForMember(site: string, member: string) { return this.#users.usersForMember(site, member); }
  /** Changes a password and ends the user's sessions (a stolen cookie dies with the old password). */
  setPassword(name: string, password: string) { return this.#users.setPassword(name, password); }
  deleteUser(name: string) { return this.#users.delete(name); }
  /** The user when the password matches; null otherwise. Takes as long for unknown users. */
  verifyPassword(name: string, password: string) { return this.#users.verifyPassword(name, password); }
  recordLoginFailure(name: string, ip: string | null) { this.#users.recordLoginFailure(name, ip); }
  clearLoginFailures(name: string) { this.#users.clearLoginFailures(name); }
  /** Epoch ms until which the username is locked, or null. */
  lockedUntil(name: string) { return this.#users.lockedUntil(name); }

  // ---- sessions and API tokens (sessions.ts) -------------------------------------------

  /** Starts a session; the returned `token` goes into the cookie and is never stored. */
  createSession(name: string, ttlMs: number) { return this.#sessions.create(name, ttlMs); }
  /** The live session for a cookie value; `expired` when it exists but has run out. */
  session(token: string) { return this.#sessions.get(token); }
  deleteSession(token: string) { this.#sessions.delete(token); }
  /** Creates an automation token `dpt_<id>_<secret>`; shown once, stored hashed. */
  createToken(name: string, label: string) { return this.#sessions.createToken(name, label); }
  /** The user behind a bearer token, unless unknown or revoked. */
  tokenUser(token: string) { return this.#sessions.tokenUser(token); }
  tokens(name?: string) { return this.#sessions.tokens(name); }
  revokeToken(id: string) { return this.#sessions.revokeToken(id); }

  // ---- broker credentials (credentials.ts) ---------------------------------------------

  /** Creates a credential and returns its secret, which is shown once and stored hashed. */
  addCredential(c: { username: string; type: CredentialType; site: string | null; scopes?: string[]; registration?: DeviceRegistration }) { return this.#credentials.add(c); }
  credential(username: string) { return this.#credentials.get(username); }
  credentials() { return this.#credentials.all(); }
  /** A new secret for an existing credential; the old one stops working at once. */
  rotateCredential(username: string) { return this.#credentials.rotate(username); }
  revokeCredential(username: string) { return this.#credentials.revoke(username); }
  /** The credential when the secret matches and it is not revoked; null otherwise. */
  verifyCredential(username: string, secret: string) { return this.#credentials.verify(username, secret); }

  // ---- audit (audit.ts) and erasures (erasures.ts) -------------------------------------

  audit(e: { actor: string; action: AuditAction; target?: string | null; site?: string | null; ip?: string | null; details?: Record<string, unknown> }) { this.#audit.add(e); }
  /** Newest first. `sites` limits to entries of those sites plus installation-wide ones. */
  auditLog(q: { from?: number; to?: number; action?: string; sites?: readonly string[]; limit?: number } = {}) { return this.#audit.list(q, (name) => this.user(name)?.sites ?? []); }
  /** The anonymous id a member's data is re-keyed to; the same one if erasure is repeated. */
  anonymousIdFor(site: string, member: string) { return this.#erasures.anonymousIdFor(site, member); }
  erasures() { return this.#erasures.all(); }

  /** Drops expired sessions and old login failures; returns how many rows went. */
  purgeExpired(): number {
    return this.#sessions.purgeExpired() + this.#users.purgeFailures();
  }

  close(): void {
    if (this.#ctx.db.open) this.#ctx.db.close();
  }
}
