/**
 * People-facing security against the running process (real HTTP server and socket.io from
 * `startDeskprint` on ephemeral ports): sign-in, lockout, sessions, CSRF, roles, site and
 * member scoping, token revocation, audit log, member export and erasure, retention.
 * The accounts clock is a test clock, so expiry and lockout need no waiting.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { io as ioClient } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDeskprint, type DeskprintHandle } from '../../cli/start.ts';
import { purgePresence } from '../../api/auth/privacy.ts';
import type { Point } from '../../store/types.ts';

let dp: DeskprintHandle;
let dataDir: string;
let now = Date.UTC(2026, 10, 20, 10);
const PASSWORD = 'a long test password';
const SESSION_HOURS = 2;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'deskprint-sec-api-'));
  dp = await startDeskprint(
    { httpPort: 0, mqttPort: 0, host: '127.0.0.1', dataDir, logLevel: 'silent', buildDashboard: false, sites: ['sites/demo.yaml', 'sites/private-offices.yaml'], sessionTtlHours: SESSION_HOURS },
    { authClock: () => now },
  );
  const a = dp.accounts;
  await a.addUser({ name: 'mgr', role: 'manager', sites: ['demo'], password: PASSWORD });
  await a.addUser({ name: 'mgr-po', role: 'manager', sites: ['private-offices'], password: PASSWORD });
  await a.addUser({ name: 'amara', role: 'member', sites: ['demo'], member: 'm01', password: PASSWORD });
  await a.addUser({ name: 'ben', role: 'member', sites: ['demo'], member: 'm02', password: PASSWORD });
  await a.addUser({ name: 'fund', role: 'funder', sites: ['demo', 'private-offices'], password: PASSWORD });
});

afterAll(async () => {
  await dp?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

async function call<T = Record<string, unknown>>(method: string, url: string, opts: { cookie?: string; csrf?: string; token?: string; body?: unknown; origin?: string } = {}): Promise<Reply<T>> {
  const headers: Record<string, string> = {};
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.csrf) headers['x-csrf-token'] = opts.csrf;
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.origin) headers.origin = opts.origin;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${dp.httpUrl}${url}`, { method, headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as T, headers: res.headers };
}

async function login(username: string, password = PASSWORD): Promise<{ cookie: string; csrf: string; reply: Reply }> {
  const reply = await call('POST', '/api/auth/login', { body: { username, password } });
  const setCookie = reply.headers.getSetCookie().find((c) => c.startsWith('dp_session='));
  return { cookie: setCookie ? setCookie.split(';')[0]! : '', csrf: String(reply.body.csrf ?? ''), reply };
}

const code = (r: Reply) => (r.body as { error?: { code?: string } }).error?.code;

describe('signing in', () => {
  it('answers ERR_UNAUTHENTICATED to anonymous API requests, except health and the API description', async () => {
    const live = await call('GET', '/api/sites/demo/live');
    expect([live.status, code(live)]).toEqual([401, 'ERR_UNAUTHENTICATED']);
    expect((await call('GET', '/api/sites')).status).toBe(401);
    expect((await call('GET', '/api/health')).status).toBe(200);
    expect((await call('GET', '/api/openapi.json')).status).toBe(200);
  });

  it('sets an httpOnly, SameSite=Strict session cookie with an expiry and returns the user and CSRF token', async () => {
    const { reply, cookie, csrf } = await login('amara');
    expect(reply.status).toBe(200);
    expect(reply.body.user).toEqual({ name: 'amara', role: 'member', sites: ['demo'], member: 'm01' });
    expect(csrf).toMatch(/^[\w-]{43}$/);
    const set = reply.headers.getSetCookie().join('\n');
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    expect(set).toContain(`Max-Age=${SESSION_HOURS * 3600}`);
    const me = await call('GET', '/api/auth/me', { cookie });
    expect(me.body).toMatchObject({ user: { name: 'amara' }, via: 'session', csrf });
  });

  it('refuses a wrong password without saying whether the user exists, and audits it', async () => {
    const wrong = await login('mgr', 'not the password');
    const nobody = await login('nobody-here', 'not the password');
    expect([wrong.reply.status, code(wrong.reply)]).toEqual([401, 'ERR_LOGIN_FAILED']);
    expect(nobody.reply.body).toEqual(wrong.reply.body);
    expect(wrong.cookie).toBe('');
    expect(dp.accounts.auditLog({ action: 'login.failure' }).map((e) => e.actor)).toEqual(expect.arrayContaining(['mgr', 'nobody-here']));
  });

  it('locks a username out after five failures, even for the right password, until the lock runs out', async () => {
    await dp.accounts.addUser({ name: 'lock-me', role: 'funder', sites: ['demo'], password: PASSWORD });
    for (let i = 0; i < 5; i++) expect((await login('lock-me', `wrong ${i}`)).reply.status).toBe(401);
    const locked = await login('lock-me');
    expect([locked.reply.status, code(locked.reply)]).toEqual([429, 'ERR_LOCKED_OUT']);
    expect(Number(locked.reply.headers.get('retry-after'))).toBe(15 * 60);
    expect(locked.cookie).toBe('');
    // Another user is not affected.
    expect((await login('fund')).reply.status).toBe(200);
    now += 15 * 60_000;
    expect((await login('lock-me')).reply.status).toBe(200);
  });

  it('ends a session at its expiry with ERR_SESSION_EXPIRED, and on logout', async () => {
    const a = await login('ben');
    expect((await call('GET', '/api/sites/demo/live', { cookie: a.cookie })).status).toBe(200);
    now += SESSION_HOURS * 3_600_000;
    const expired = await call('GET', '/api/sites/demo/live', { cookie: a.cookie });
    expect([expired.status, code(expired)]).toEqual([401, 'ERR_SESSION_EXPIRED']);
    const b = await login('ben');
    expect((await call('POST', '/api/auth/logout', { cookie: b.cookie, csrf: b.csrf })).status).toBe(204);
    expect((await call('GET', '/api/auth/me', { cookie: b.cookie })).status).toBe(401);
  });

  it('refuses cookie-authenticated writes without the CSRF token or from another origin', async () => {
    const { cookie, csrf } = await login('mgr');
    const noToken = await call('POST', '/api/auth/tokens', { cookie, body: { label: 'x' } });
    expect([noToken.status, code(noToken)]).toEqual([403, 'ERR_CSRF']);
    const wrongToken = await call('POST', '/api/auth/tokens', { cookie, csrf: csrf.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')), body: { label: 'x' } });
    expect(code(wrongToken)).toBe('ERR_CSRF');
    const crossOrigin = await call('POST', '/api/auth/tokens', { cookie, csrf, origin: 'https://evil.example', body: { label: 'x' } });
    expect(code(crossOrigin)).toBe('ERR_CSRF');
    const crossLogin = await call('POST', '/api/auth/login', { origin: 'https://evil.example', body: { username: 'mgr', password: PASSWORD } });
    expect(code(crossLogin)).toBe('ERR_CSRF');
    const ok = await call('POST', '/api/auth/tokens', { cookie, csrf, origin: dp.httpUrl, body: { label: 'x' } });
    expect(ok.status).toBe(201);
  });

  it('sends security headers: CSP without framing, nosniff, no referrer leaks', async () => {
    const r = await call('GET', '/api/health');
    expect(r.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    expect(r.headers.get('content-security-policy')).toMatch(/script-src 'self'(;|$)/);
    expect(r.headers.get('x-frame-options')).toBe('DENY');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('referrer-policy')).toBe('same-origin');
  });
});

describe('API tokens', () => {
  it('works as a bearer token until revoked, then gets ERR_UNAUTHENTICATED', async () => {
    const { cookie, csrf } = await login('mgr');
    const created = await call<{ id: string; token: string }>('POST', '/api/auth/tokens', { cookie, csrf, body: { label: 'nightly export' } });
    const { id, token } = created.body;
    expect((await call('GET', '/api/sites/demo/live', { token })).status).toBe(200);
    // Bearer writes need no CSRF token: no ambient credential.
    expect((await call('GET', '/api/auth/me', { token })).body).toMatchObject({ via: 'token', user: { name: 'mgr' } });
    expect((await call('DELETE', `/api/auth/tokens/${id}`, { cookie, csrf })).status).toBe(204);
    const after = await call('GET', '/api/sites/demo/live', { token });
    expect([after.status, code(after)]).toEqual([401, 'ERR_UNAUTHENTICATED']);
    expect(dp.accounts.auditLog({ action: 'token.revoke' })[0]).toMatchObject({ actor: 'mgr', target: id });
  });

  it('does not let a user revoke someone else’s token', async () => {
    const other = dp.accounts.createToken('fund', 'theirs');
    const { cookie, csrf } = await login('mgr');
    expect((await call('DELETE', `/api/auth/tokens/${other.id}`, { cookie, csrf })).status).toBe(404);
    expect((await call('GET', '/api/auth/me', { token: other.token })).status).toBe(200);
  });
});

describe('who sees what', () => {
  const token = (name: string) => dp.accounts.createToken(name, 'test').token;

  it('keeps a manager to their sites', async () => {
    const t = token('mgr-po');
    const other = await call('GET', '/api/sites/demo/live', { token: t });
    expect([other.status, code(other)]).toEqual([403, 'ERR_FORBIDDEN']);
    expect((await call('GET', '/api/sites/private-offices/live', { token: t })).status).toBe(200);
    const sites = await call<{ id: string }[]>('GET', '/api/sites', { token: t });
    expect(sites.body.map((s) => s.id)).toEqual(['private-offices']);
  });

  it('gives members the building’s aggregate live view but not another member’s data', async () => {
    const t = token('amara');
    expect((await call('GET', '/api/sites/demo/live', { token: t })).status).toBe(200);
    const other = await call('GET', '/api/sites/demo/members/m02/export', { token: t });
    expect([other.status, code(other)]).toEqual([403, 'ERR_FORBIDDEN']);
    expect((await call('GET', '/api/members/m02/footprint', { token: t })).status).toBe(403);
    expect((await call('GET', '/api/sites/private-offices/live', { token: t })).status).toBe(403);
    expect((await call('GET', '/api/sites/demo/members/m01/export', { token: t })).status).toBe(200);
  });

  it('never shows a funder an individual member’s data', async () => {
    const t = token('fund');
    expect((await call('GET', '/api/sites/demo/live', { token: t })).status).toBe(200);
    for (const url of ['/api/sites/demo/members/m01/export', '/api/members/m01/footprint']) {
      const r = await call('GET', url, { token: t });
      expect([url, r.status, code(r)]).toEqual([url, 403, 'ERR_FORBIDDEN']);
    }
    const erase = await call('POST', '/api/sites/demo/members/m01/erase', { token: t, body: { confirm: 'm01' } });
    expect(erase.status).toBe(403);
  });

  it('shows the audit log to managers only, limited to their sites', async () => {
    const denied = await call('GET', '/api/audit', { token: token('fund') });
    expect([denied.status, code(denied)]).toEqual([403, 'ERR_FORBIDDEN']);
    expect((await call('GET', '/api/audit', { token: token('amara') })).status).toBe(403);
    await call('GET', '/api/sites/demo/members/m01/export', { token: token('mgr') });
    const log = await call<{ action: string; site: string | null; actor: string }[]>('GET', '/api/audit?limit=1000', { token: token('mgr') });
    expect(log.status).toBe(200);
    const actions = new Set(log.body.map((e) => e.action));
    for (const a of ['login.success', 'login.failure', 'login.locked', 'token.create', 'token.revoke', 'member.export']) expect(actions).toContain(a);
    expect(log.body.every((e) => e.site === null || e.site === 'demo')).toBe(true);
  });
});

describe('live socket', () => {
  type Ack = { ok: boolean; error?: string };
  const connectSocket = (opts: { token?: string; cookie?: string }) =>
    new Promise<{ socket: ReturnType<typeof ioClient>; error?: string }>((resolve) => {
      const socket = ioClient(dp.httpUrl, {
        transports: ['websocket'],
        reconnection: false,
        ...(opts.token ? { auth: { token: opts.token } } : {}),
        ...(opts.cookie ? { extraHeaders: { cookie: opts.cookie } } : {}),
      });
      socket.on('connect', () => resolve({ socket }));
      socket.on('connect_error', (err) => resolve({ socket, error: err.message }));
    });
  const subscribe = (socket: ReturnType<typeof ioClient>, site: string) => new Promise<Ack>((resolve) => socket.emit('subscribe', site, resolve));

  it('refuses unauthenticated connections', async () => {
    const { socket, error } = await connectSocket({});
    socket.close();
    expect(error).toBe('ERR_UNAUTHENTICATED');
  });

  it('joins a user only to rooms of their sites, and stops after the token is revoked', async () => {
    const t = dp.accounts.createToken('mgr-po', 'socket');
    const { socket, error } = await connectSocket({ token: t.token });
    try {
      expect(error).toBeUndefined();
      expect(await subscribe(socket, 'private-offices')).toEqual({ ok: true });
      expect(await subscribe(socket, 'demo')).toMatchObject({ ok: false });
      dp.accounts.revokeToken(t.id);
      expect(await subscribe(socket, 'private-offices')).toMatchObject({ ok: false });
    } finally {
      socket.close();
    }
  });

  it('accepts the session cookie', async () => {
    const { cookie } = await login('amara');
    const { socket, error } = await connectSocket({ cookie });
    try {
      expect(error).toBeUndefined();
      expect(await subscribe(socket, 'demo')).toEqual({ ok: true });
    } finally {
      socket.close();
    }
  });
});

describe('member data', () => {
  const DAY = 86_400_000;
  const day0 = Date.UTC(2026, 9, 1);
  const checkin = (member: string, ts: number): Point => ({ measurement: 'checkins', tags: { site: 'demo', member, device: 'badge-entrance' }, fields: { check_in: 1 }, ts });
  const footprintDay = (account: string, ts: number, kwh: number): Point => ({ measurement: 'footprint_day', tags: { site: 'demo', account }, fields: { kwh_electricity: kwh, kgco2e: kwh * 0.2 }, ts });
  const siteKwh = async () =>
    (await dp.store.queryAggregate({ measurement: 'footprint_day', field: 'kwh_electricity', from: 0, to: day0 + 10 * DAY, every: 100 * DAY, fn: 'sum', where: { site: 'demo' } }))[0]!.points.reduce((s, p) => s + p.value, 0);

  it('exports a member’s data as JSON and audits it', async () => {
    await dp.store.write([checkin('m03', day0 + 9 * 3_600_000), footprintDay('m03', day0, 1.5)]);
    const r = await call<{ member: { id: string; name: string }; data: Record<string, unknown[]> }>('GET', '/api/sites/demo/members/m03/export', { token: dp.accounts.createToken('mgr', 'x').token });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-disposition')).toContain('deskprint-demo-m03.json');
    expect(r.body.member).toEqual({ id: 'm03', name: 'Chloe Singh' });
    expect(r.body.data.checkins).toHaveLength(1);
    expect(r.body.data.footprint_day).toHaveLength(1);
    expect(dp.accounts.auditLog({ action: 'member.export' })[0]).toMatchObject({ actor: 'mgr', target: 'm03', site: 'demo' });
  });

  it('erases a member: their points move to an anonymous id, site totals stay, their sign-in goes', async () => {
    const points: Point[] = [];
    for (let d = 0; d < 5; d++) {
      points.push(checkin('m01', day0 + d * DAY + 8 * 3_600_000), checkin('m02', day0 + d * DAY + 9 * 3_600_000));
      points.push(footprintDay('m01', day0 + d * DAY, 1.25 + d), footprintDay('m02', day0 + d * DAY, 2 + d));
    }
    await dp.store.write(points);
    const before = await siteKwh();
    const amaraToken = dp.accounts.createToken('amara', 'x').token;
    const mgr = dp.accounts.createToken('mgr', 'x').token;

    const unconfirmed = await call('POST', '/api/sites/demo/members/m01/erase', { token: mgr, body: {} });
    expect(code(unconfirmed)).toBe('ERR_BODY_INVALID');
    const r = await call<{ anonymous_id: string; moved: Record<string, number>; users_deleted: string[] }>('POST', '/api/sites/demo/members/m01/erase', { token: mgr, body: { confirm: 'm01' } });
    expect(r.status).toBe(200);
    expect(r.body.anonymous_id).toMatch(/^anon-[0-9a-f]{12}$/);
    expect(r.body.moved).toMatchObject({ checkins: 5, footprint_day: 5 });
    expect(r.body.users_deleted).toEqual(['amara']);

    expect(await siteKwh()).toBeCloseTo(before, 9);
    const raw = async (where: Record<string, string>, measurement = 'checkins') => dp.store.queryRaw({ measurement, from: 0, to: day0 + 10 * DAY, where: { site: 'demo', ...where } });
    expect(await raw({ member: 'm01' })).toEqual([]);
    expect(await raw({ account: 'm01' }, 'footprint_day')).toEqual([]);
    expect(await raw({ member: r.body.anonymous_id })).toHaveLength(5);
    expect((await raw({ account: r.body.anonymous_id }, 'footprint_day')).map((p) => p.fields.kwh_electricity)).toEqual([1.25, 2.25, 3.25, 4.25, 5.25]);
    expect(await raw({ member: 'm02' })).toHaveLength(5);
    expect((await call('GET', '/api/auth/me', { token: amaraToken })).status).toBe(401);
    expect(dp.accounts.auditLog({ action: 'member.erase' })[0]).toMatchObject({ actor: 'mgr', target: 'm01', site: 'demo' });
  });

  it('deletes check-ins past the retention period and keeps footprints and recent check-ins', async () => {
    const old = Date.UTC(2025, 8, 1); // 14½ months before the test clock
    const recent = Date.UTC(2026, 8, 1);
    await dp.store.write([checkin('m04', old), checkin('m04', recent), footprintDay('m04', old, 3)]);
    const cutoff = await purgePresence({ store: dp.store, accounts: dp.accounts }, 13);
    // 13 calendar months before the (advanced) test clock: same day of month and time of day.
    expect(cutoff).toBe(Date.UTC(2025, 9, 20) + (now - Date.UTC(2026, 10, 20)));
    const left = await dp.store.queryRaw({ measurement: 'checkins', from: 0, to: now, where: { member: 'm04' } });
    expect(left.map((p) => p.ts)).toEqual([recent]);
    expect(await dp.store.queryRaw({ measurement: 'footprint_day', from: 0, to: now, where: { account: 'm04' } })).toHaveLength(1);
  });
});
