/**
 * Sign-in for people: `POST /api/auth/login` sets an httpOnly, SameSite=Strict session
 * cookie and returns the user and the CSRF token; `POST /api/auth/logout`; `GET
 * /api/auth/me`; API tokens for automation under `/api/auth/tokens`; password change.
 * Documented for the dashboard in docs/security.md.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Accounts } from '../../accounts/accounts.ts';
import { ApiError } from '../errors.ts';
import { SESSION_COOKIE, clientIp, publicUser, sameOrigin } from '../auth/middleware.ts';

export interface AuthRouteDeps {
  accounts: Accounts;
  sessionTtlMs: number;
  /** Mark the cookie Secure (served over HTTPS). */
  secureCookies: boolean;
  /** Failed sign-ins per client address per 15 minutes, whatever the usernames (spraying); default 50. */
  loginFailuresPerAddress?: number;
}

/** Above this many addresses with recent failures, the stale ones are swept out. */
const MAX_TRACKED_ADDRESSES = 10_000;

const loginBody = z.object({ username: z.string().min(1).max(128), password: z.string().min(1).max(1024) });
const tokenBody = z.object({ label: z.string().min(1).max(100) });
const passwordBody = z.object({ current: z.string().min(1).max(1024), next: z.string().min(1).max(1024) });

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body ?? {});
  if (!r.success) throw new ApiError('ERR_BODY_INVALID', r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return r.data;
}

export function authRoutes(deps: AuthRouteDeps): Router {
  const r = Router();
  const { accounts } = deps;
  const ipLimit = { max: deps.loginFailuresPerAddress ?? 50, windowMs: 15 * 60_000 };
  const failuresByIp = new Map<string, number[]>();

  const setCookie = (res: Response, token: string, maxAgeMs: number) => {
    const parts = [`${SESSION_COOKIE}=${token}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${Math.max(0, Math.floor(maxAgeMs / 1000))}`];
    if (deps.secureCookies) parts.push('Secure');
    res.append('Set-Cookie', parts.join('; '));
  };

  r.post('/auth/login', async (req: Request, res: Response) => {
    // A login form posted from another site would sign the victim in as the attacker.
    if (!sameOrigin(req)) throw new ApiError('ERR_CSRF', 'Cross-origin sign-in refused');
    const { username, password } = parseBody(loginBody, req.body);
    const ip = clientIp(req);
    const now = accounts.now();
    // Failed sign-ins per address: successes do not count, or the users of one office
    // behind one address would lock each other out.
    const key = ip ?? '';
    const failures = (failuresByIp.get(key) ?? []).filter((t) => t > now - ipLimit.windowMs);
    if (failures.length >= ipLimit.max) {
      res.setHeader('Retry-After', String(Math.ceil((failures[0]! + ipLimit.windowMs - now) / 1000)));
      throw new ApiError('ERR_RATE_LIMITED', 'Too many failed sign-ins from your address');
    }
    const failed = () => {
      failures.push(now);
      failuresByIp.set(key, failures);
      // Addresses that stopped trying are forgotten once their window has passed.
      if (failuresByIp.size > MAX_TRACKED_ADDRESSES) for (const [k, ts] of failuresByIp) if (ts.at(-1)! <= now - ipLimit.windowMs) failuresByIp.delete(k);
    };

    const lockedUntil = accounts.lockedUntil(username);
    if (lockedUntil !== null) {
      failed();
      accounts.audit({ actor: username.toLowerCase(), action: 'login.locked', ip });
      res.setHeader('Retry-After', String(Math.ceil((lockedUntil - now) / 1000)));
      throw new ApiError('ERR_LOCKED_OUT');
    }
    const user = await accounts.verifyPassword(username, password);
    if (!user) {
      failed();
      accounts.recordLoginFailure(username, ip);
      accounts.audit({ actor: username.toLowerCase(), action: 'login.failure', ip });
      throw new ApiError('ERR_LOGIN_FAILED');
    }
    accounts.clearLoginFailures(user.name);
    const session = accounts.createSession(user.name, deps.sessionTtlMs);
    accounts.audit({ actor: user.name, action: 'login.success', ip, details: { via: 'password' } });
    setCookie(res, session.token, session.expiresAt - now);
    res.json({ user: publicUser(user), csrf: session.csrf, expiresAt: session.expiresAt });
  });

  r.post('/auth/logout', (req, res) => {
    if (req.auth?.sessionToken) {
      accounts.deleteSession(req.auth.sessionToken);
      accounts.audit({ actor: req.auth.user.name, action: 'logout', ip: clientIp(req) });
    }
    setCookie(res, '', 0);
    res.status(204).end();
  });

  r.get('/auth/me', (req, res) => {
    const auth = req.auth;
    if (!auth) throw new ApiError('ERR_UNAUTHENTICATED');
    res.json({ user: publicUser(auth.user), via: auth.via, ...(auth.csrf ? { csrf: auth.csrf, expiresAt: auth.expiresAt } : {}) });
  });

  r.post('/auth/password', async (req, res) => {
    const auth = req.auth;
    if (!auth) throw new ApiError('ERR_UNAUTHENTICATED');
    const body = parseBody(passwordBody, req.body);
    if (!(await accounts.verifyPassword(auth.user.name, body.current))) throw new ApiError('ERR_LOGIN_FAILED', 'The current password is wrong');
    try {
      await accounts.setPassword(auth.user.name, body.next);
    } catch (err) {
      throw new ApiError('ERR_BODY_INVALID', (err as Error).message);
    }
    accounts.audit({ actor: auth.user.name, action: 'user.passwd', target: auth.user.name, ip: clientIp(req) });
    // setPassword ended every session, this one included.
    setCookie(res, '', 0);
    res.status(204).end();
  });

  r.get('/auth/tokens', (req, res) => {
    const auth = req.auth;
    if (!auth) throw new ApiError('ERR_UNAUTHENTICATED');
    res.json(accounts.tokens(auth.user.name));
  });

  r.post('/auth/tokens', (req, res) => {
    const auth = req.auth;
    if (!auth) throw new ApiError('ERR_UNAUTHENTICATED');
    const { label } = parseBody(tokenBody, req.body);
    const t = accounts.createToken(auth.user.name, label);
    accounts.audit({ actor: auth.user.name, action: 'token.create', target: t.id, ip: clientIp(req), details: { label } });
    res.status(201).json({ id: t.id, token: t.token, label });
  });

  r.delete('/auth/tokens/:id', (req, res) => {
    const auth = req.auth;
    if (!auth) throw new ApiError('ERR_UNAUTHENTICATED');
    const own = accounts.tokens(auth.user.name).find((t) => t.id === req.params.id);
    if (!own) throw new ApiError('ERR_NOT_FOUND', `No token "${req.params.id}" of yours`);
    accounts.revokeToken(own.id);
    accounts.audit({ actor: auth.user.name, action: 'token.revoke', target: own.id, ip: clientIp(req) });
    res.status(204).end();
  });

  return r;
}
