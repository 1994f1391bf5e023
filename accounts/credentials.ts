import type Database from 'better-sqlite3';
import type { SiteDevice } from '../devices/site.ts';
import type { Registry } from '../store/registry.ts';
import type { AccountsDb } from './db.ts';
import { DUMMY_HASH, hashSecret, randomToken, verifySecret } from './secrets.ts';
import { AccountError, type CredentialType, type DeviceCredential, type DeviceRegistration } from './types.ts';

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

/** MQTT broker credentials of devices, bridges and services (docs/security.md). */
export class Credentials {
  readonly #db: Database.Database;
  readonly #now: () => number;

  constructor(ctx: AccountsDb) {
    this.#db = ctx.db;
    this.#now = ctx.now;
  }

  /** Creates a credential and returns its secret, which is shown once and stored hashed. */
  async add(c: {
    username: string;
    type: CredentialType;
    site: string | null;
    scopes?: string[];
    registration?: DeviceRegistration;
  }): Promise<{ credential: DeviceCredential; secret: string }> {
    if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(c.username)) throw new AccountError(`"${c.username}" is not a valid id ([a-z0-9][a-z0-9-]{0,63})`);
    const existing = this.get(c.username);
    if (existing && existing.revokedAt === null) throw new AccountError(`"${c.username}" already has a credential; use rotate for a new secret`);
    if (c.type !== 'service' && !c.site) throw new AccountError('a device, bridge or gateway credential belongs to a site');
    if (c.type === 'bridge' && (!c.scopes || c.scopes.length === 0)) throw new AccountError('a bridge credential needs at least one topic scope');
    const secret = randomToken();
    const hash = await hashSecret(secret);
    this.#db
      .prepare(
        `INSERT OR REPLACE INTO credentials (username, type, site, scopes, secret, registration, created_at, rotated_at, revoked_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL)`,
      )
      .run(c.username, c.type, c.site, JSON.stringify(c.scopes ?? []), hash, c.registration ? JSON.stringify(c.registration) : null, this.#now());
    return { credential: this.get(c.username)!, secret };
  }

  get(username: string): DeviceCredential | undefined {
    const row = this.#db.prepare('SELECT * FROM credentials WHERE username = ?').get(username) as CredentialRow | undefined;
    return row ? toCredential(row) : undefined;
  }

  all(): DeviceCredential[] {
    return (this.#db.prepare('SELECT * FROM credentials ORDER BY site, username').all() as CredentialRow[]).map(toCredential);
  }

  /** A new secret for an existing credential; the old one stops working at once. */
  async rotate(username: string): Promise<string> {
    const c = this.get(username);
    if (!c) throw new AccountError(`no credential "${username}"`);
    const secret = randomToken();
    const hash = await hashSecret(secret);
    this.#db.prepare('UPDATE credentials SET secret = ?, rotated_at = ?, revoked_at = NULL WHERE username = ?').run(hash, this.#now(), username);
    return secret;
  }

  revoke(username: string): boolean {
    return this.#db.prepare('UPDATE credentials SET revoked_at = ? WHERE username = ? AND revoked_at IS NULL').run(this.#now(), username).changes > 0;
  }

  /** The credential when the secret matches and it is not revoked; null otherwise. */
  async verify(username: string, secret: string): Promise<DeviceCredential | null> {
    const row = this.#db.prepare('SELECT * FROM credentials WHERE username = ?').get(username) as CredentialRow | undefined;
    const ok = await verifySecret(secret, row?.secret ?? DUMMY_HASH);
    return row && ok && row.revoked_at === null ? toCredential(row) : null;
  }
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
