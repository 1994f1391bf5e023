/** The accounts part's vocabulary: roles, users, sessions, tokens, credentials, audit, erasures. */
import type { Carrier, Category, DeviceKind } from '../devices/kinds.ts';

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
 * `gateway`: a site-local broker's bridge (docs/devices.md, "Gateways behind a bridge"),
 * publishes only under its site's gateway prefix `deskprint/<site>/_gw/#`.
 * `service`: ingest or API processes against this broker, may subscribe to everything.
 */
export type CredentialType = 'device' | 'bridge' | 'gateway' | 'service';

export interface DeviceCredential {
  username: string;
  type: CredentialType;
  /** Site of a device, bridge or gateway; null for a service. */
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
