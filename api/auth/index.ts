/**
 * Mounts authentication and access rules on the /api router, in this order: identify the
 * caller, refuse cross-site writes, require sign-in (except /health, /openapi.json and
 * /auth/*), then the per-path rules every router inherits, then the auth and admin routes.
 * Routers mounted later (footprint, reports) also declare their own needs with the
 * middleware from `middleware.ts`.
 */
import type { Router } from 'express';
import type { Accounts, Role } from '../../accounts/accounts.ts';
import type { Registry } from '../../store/registry.ts';
import type { TimeSeriesStore } from '../../store/types.ts';
import { adminRoutes } from '../routes/admin.ts';
import { authRoutes } from '../routes/auth.ts';
import { ApiError } from '../errors.ts';
import { csrfProtection, identify, requireAuth, requireMemberSelf, requireRole, requireSiteAccess, resolveCredential, type AuthContext } from './middleware.ts';

export interface ApiAuthOptions {
  accounts: Accounts;
  registry: Registry;
  store: TimeSeriesStore;
  sessionTtlMs: number;
  https: boolean;
  /** Failed sign-ins per client address per 15 minutes (default 50). */
  loginFailuresPerAddress?: number;
}

export function protectApi(api: Router, opts: ApiAuthOptions): void {
  api.use(identify(opts.accounts), csrfProtection(), requireAuth());
  // Path rules that hold for every router mounted after these lines.
  api.use('/sites/:site', requireSiteAccess('site', opts.registry));
  api.use('/members/:member', requireMemberSelf(opts.registry, 'member'));
  // The footprint input export lists presence sessions by member: managers only.
  api.get('/sites/:site/export', requireRole('manager'));
  // Networks of sites are for the people who manage or fund them (METHODOLOGY §11); the route keeps each to their own sites.
  api.use('/network', requireRole('manager', 'funder'));
  // A grid forecast is site configuration, sent by the site's manager (or their script's token).
  api.post('/sites/:site/grid-forecast', requireRole('manager'));
  // The site footprint's per-member allocation is individual data: only managers see it;
  // funders and members get the site's aggregates (totals, operator, unallocated, conservation).
  api.get('/sites/:site/footprint', (req, res, next) => {
    if (req.auth?.user.role === 'manager') return next();
    const json = res.json.bind(res);
    res.json = ((body: unknown) => json(withoutMemberAllocation(body))) as typeof res.json;
    next();
  });
  // A user lists only their own sites.
  api.get('/sites', (req, res, next) => {
    const json = res.json.bind(res);
    res.json = ((body: unknown) =>
      json(Array.isArray(body) ? body.filter((s: { id?: unknown }) => typeof s.id === 'string' && req.auth!.user.sites.includes(s.id)) : body)) as typeof res.json;
    next();
  });
  api.use(authRoutes({
    accounts: opts.accounts, sessionTtlMs: opts.sessionTtlMs, secureCookies: opts.https,
    ...(opts.loginFailuresPerAddress !== undefined ? { loginFailuresPerAddress: opts.loginFailuresPerAddress } : {}),
  }));
  api.use(adminRoutes({ accounts: opts.accounts, registry: opts.registry, store: opts.store }));
}

/** Drops `allocation.members` (per-member figures) from a site footprint body, keeping how many there were. */
export function withoutMemberAllocation(body: unknown): unknown {
  const b = body as { allocation?: { members?: Record<string, unknown> } } | null;
  if (!b || typeof b !== 'object' || !b.allocation || typeof b.allocation !== 'object' || !b.allocation.members) return body;
  const { members, ...rest } = b.allocation;
  return { ...b, allocation: { ...rest, member_count: Object.keys(members).length } };
}

/**
 * socket.io handshake authentication: the session cookie, `auth: { token }` in the
 * handshake, or an `Authorization: Bearer` header. Returns what goes into `socket.data`.
 */
export function authenticateSocket(accounts: Accounts) {
  return (handshake: { headers: Record<string, string | string[] | undefined>; auth?: Record<string, unknown> }): SocketAuth => {
    const token = typeof handshake.auth?.token === 'string' ? handshake.auth.token : undefined;
    const header = (k: string) => {
      const v = handshake.headers[k];
      return Array.isArray(v) ? v[0] : v;
    };
    const creds = { authorization: header('authorization'), cookie: header('cookie') };
    const auth = resolveCredential(accounts, creds, token);
    if (!auth) throw new ApiError('ERR_UNAUTHENTICATED');
    return { auth, recheck: () => resolveCredential(accounts, creds, token) };
  };
}

export interface SocketAuth {
  auth: AuthContext;
  /** Re-reads the credential: a socket loses access when its session ends or its token is revoked. */
  recheck(): AuthContext | undefined;
}

/**
 * May a socket authenticated as `data` join a site's room? `roles` narrows it, e.g. the
 * alerts room: `mayReceive: (data, site) => socketCanSee(data, site, ['manager'])`.
 */
export function socketCanSee(data: unknown, site: string, roles?: readonly Role[]): boolean {
  const s = data as Partial<SocketAuth> | undefined;
  if (!s?.recheck) return false;
  try {
    const auth = s.recheck();
    return auth !== undefined && auth.user.sites.includes(site) && (!roles || roles.includes(auth.user.role));
  } catch {
    return false;
  }
}
