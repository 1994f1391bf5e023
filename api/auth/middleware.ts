/**
 * Who is asking, and may they? Requests authenticate with the session cookie (the
 * dashboard) or `Authorization: Bearer <token>` (automation). Routes declare what they
 * need with `requireRole`, `requireSiteAccess(param)` and `requireMemberSelf(param)`;
 * cookie-authenticated writes also need the CSRF token (double submit) and a same-origin
 * `Origin`.
 *
 * DESIGN.md "Who sees what": a manager sees everything for their sites; a member their own
 * footprint and check-ins plus the building's aggregate live view; a funder aggregates only.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { timingSafeEqual } from 'node:crypto';
import type { Accounts, Role, User } from '../../accounts/accounts.ts';
import type { Registry } from '../../store/registry.ts';
import { ApiError } from '../errors.ts';

export const SESSION_COOKIE = 'dp_session';
export const CSRF_HEADER = 'x-csrf-token';

export interface AuthContext {
  user: User;
  via: 'session' | 'token';
  /** Session's CSRF token (cookie sessions only). */
  csrf?: string;
  expiresAt?: number;
  /** Raw cookie value, to end the session on logout. */
  sessionToken?: string;
  tokenId?: string;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      auth?: AuthContext;
    }
  }
}

/** Parses a Cookie header; the last value of a repeated name wins. */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const name = part.slice(0, i).trim();
    if (!name) continue;
    try {
      out[name] = decodeURIComponent(part.slice(i + 1).trim());
    } catch {
      out[name] = part.slice(i + 1).trim();
    }
  }
  return out;
}

export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return m?.[1];
}

/**
 * Resolves the credential of a request (or socket handshake) to an AuthContext. A bearer
 * token takes precedence over the cookie. Throws ERR_UNAUTHENTICATED / ERR_SESSION_EXPIRED
 * for a credential that is present but not valid; returns undefined when there is none.
 */
export function resolveCredential(accounts: Accounts, headers: { authorization?: string | undefined; cookie?: string | undefined }, token?: string): AuthContext | undefined {
  const bearer = token ?? bearerToken(headers.authorization);
  if (bearer) {
    const hit = accounts.tokenUser(bearer);
    if (!hit) throw new ApiError('ERR_UNAUTHENTICATED', 'The API token is unknown or revoked');
    return { user: hit.user, via: 'token', tokenId: hit.tokenId };
  }
  const cookie = parseCookies(headers.cookie)[SESSION_COOKIE];
  if (cookie) {
    const s = accounts.session(cookie);
    if (s === 'expired') throw new ApiError('ERR_SESSION_EXPIRED');
    if (!s) throw new ApiError('ERR_UNAUTHENTICATED', 'The session has ended; sign in again');
    return { user: s.user, via: 'session', csrf: s.csrf, expiresAt: s.expiresAt, sessionToken: cookie };
  }
  return undefined;
}

/** Sets `req.auth` when the request carries a valid credential; never refuses by itself. */
export function identify(accounts: Accounts): RequestHandler {
  return (req, _res, next) => {
    try {
      const auth = resolveCredential(accounts, req.headers);
      if (auth) req.auth = auth;
      next();
    } catch (err) {
      next(err);
    }
  };
}

/** Everything under /api needs a signed-in user, except these (relative to /api). */
export const PUBLIC_API_PATHS = ['/health', '/openapi.json'];
const PUBLIC_PREFIXES = ['/auth/'];

export function requireAuth(): RequestHandler {
  return (req, _res, next) => {
    if (req.auth) return next();
    if (PUBLIC_API_PATHS.includes(req.path) || PUBLIC_PREFIXES.some((p) => req.path.startsWith(p))) return next();
    next(new ApiError('ERR_UNAUTHENTICATED'));
  };
}

function authOf(req: Request): AuthContext {
  if (!req.auth) throw new ApiError('ERR_UNAUTHENTICATED');
  return req.auth;
}

export function requireRole(...roles: Role[]): RequestHandler {
  return (req, _res, next) => {
    const { user } = authOf(req);
    if (!roles.includes(user.role)) return next(new ApiError('ERR_FORBIDDEN', `This needs the ${roles.join(' or ')} role`));
    next();
  };
}

/**
 * The site named by a path parameter (or query parameter) must be one of the user's sites.
 * With the registry, an unknown site passes so the route answers ERR_SITE_NOT_FOUND.
 */
export function requireSiteAccess(param = 'site', registry?: Registry): RequestHandler {
  return (req, _res, next) => {
    const { user } = authOf(req);
    const site = pathParam(req, param) ?? (typeof req.query[param] === 'string' ? (req.query[param] as string) : undefined);
    if (site === undefined || (registry && !registry.site(site))) return next();
    if (!user.sites.includes(site)) return next(new ApiError('ERR_FORBIDDEN', `Site "${site}" is not one of your sites`));
    next();
  };
}

/**
 * Individual data of the member named by the parameter: the member themself, or a manager
 * of a site the member belongs to (`?site=` narrows which). Funders never.
 */
export function requireMemberSelf(registry: Registry, param = 'member'): RequestHandler {
  return (req, _res, next) => {
    const { user } = authOf(req);
    const member = pathParam(req, param);
    const site = pathParam(req, 'site') ?? (typeof req.query.site === 'string' ? req.query.site : undefined);
    if (member === undefined) return next();
    if (site !== undefined && !user.sites.includes(site)) return next(new ApiError('ERR_FORBIDDEN', `Site "${site}" is not one of your sites`));
    const ok =
      user.role === 'member'
        ? user.member === member
        : user.role === 'manager' && (site !== undefined ? [site] : user.sites).some((s) => registry.isMember(s, member));
    if (!ok) return next(new ApiError('ERR_FORBIDDEN', user.role === 'funder' ? 'Funders see aggregates only' : `Member "${member}" is not yours to see`));
    next();
  };
}

function pathParam(req: Request, name: string): string | undefined {
  const v = (req.params as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Does an Origin header name this server? Compared with the Host the client used. */
export function sameOrigin(req: Request): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true; // same-origin GETs and non-browser clients send none
  if (origin === 'null') return false;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * CSRF defence for cookie-authenticated writes: the `X-CSRF-Token` header must equal the
 * session's token (a cross-site page can send the cookie but cannot read the token), and a
 * browser's `Origin` must be this server. Bearer-token requests carry no ambient
 * credential and need neither. SameSite=Strict on the cookie is a third layer.
 */
export function csrfProtection(): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (!UNSAFE.has(req.method)) return next();
    if (!sameOrigin(req)) return next(new ApiError('ERR_CSRF', 'Cross-origin request refused'));
    const auth = req.auth;
    if (auth?.via !== 'session') return next();
    const sent = req.headers[CSRF_HEADER];
    if (typeof sent !== 'string' || !safeEqual(sent, auth.csrf ?? '')) return next(new ApiError('ERR_CSRF', `Missing or wrong ${CSRF_HEADER} header`));
    next();
  };
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The public shape of a user: what the dashboard needs to decide what to show. */
export function publicUser(u: User): { name: string; role: Role; sites: string[]; member?: string } {
  return { name: u.name, role: u.role, sites: u.sites, ...(u.member ? { member: u.member } : {}) };
}

/**
 * The client's address: the connection's, or with a trusted reverse proxy (express `trust
 * proxy`, `DESKPRINT_TRUST_PROXY`) the one it put in `X-Forwarded-For`.
 */
export function clientIp(req: Request): string | null {
  return req.ip ?? req.socket.remoteAddress ?? null;
}
