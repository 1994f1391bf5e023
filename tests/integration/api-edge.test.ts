/**
 * The API's own edge (issue 17), against the running process (`startDeskprint`, real HTTP
 * server, real SQLite store or a real influxd): an oversized body, filter values no store
 * can take, idle and slow sockets, the sign-in limiter behind and without a trusted proxy,
 * and the audit log a manager sees.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDeskprint, type DeskprintHandle } from '../../cli/start.ts';
import type { ConfigInput } from '../../cli/config.ts';
import { runUsers } from '../../cli/commands/users.ts';
import { startInfluxd, type Influxd } from '../support/influxd.ts';
import { apiToken } from '../support/auth.ts';

const PASSWORD = 'a long test password';
const SITES = ['sites/demo.yaml', 'sites/private-offices.yaml'];

interface Running {
  dp: DeskprintHandle;
  close(): Promise<void>;
}

async function start(config: ConfigInput = {}, influxd?: Influxd): Promise<Running> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'deskprint-api-edge-'));
  const dp = await startDeskprint({
    httpPort: 0, mqttPort: 0, host: '127.0.0.1', dataDir, logLevel: 'silent', buildDashboard: false, sites: SITES,
    ...(influxd ? { store: 'influx', influxUrl: influxd.url, influxDatabase: influxd.database } : {}),
    ...config,
  });
  return {
    dp,
    async close() {
      await dp.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

interface Reply {
  status: number;
  body: { error?: { code?: string; message?: string } } & Record<string, unknown>;
}

async function call(dp: DeskprintHandle, method: string, url: string, opts: { token?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(`${dp.httpUrl}${url}`, { method, headers, ...(opts.body !== undefined ? { body: opts.body } : {}) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

const login = (dp: DeskprintHandle, username: string, password: string, headers: Record<string, string> = {}) =>
  call(dp, 'POST', '/api/auth/login', { body: JSON.stringify({ username, password }), headers });

/** 10^21: the first whole number JavaScript prints in exponent form (`1e+21`). */
const E21 = '1' + '0'.repeat(21);

/** Requests no store can answer, and the error each gets: a 400 with the envelope, never a 500. */
const BAD_FILTERS: [url: string, code: string][] = [
  ['/api/sites/demo/series?metric=power_w&device=plug-d01%0Aplug-d02', 'ERR_QUERY_INVALID'],
  ['/api/sites/demo/series?metric=power_w&zone=open%00', 'ERR_QUERY_INVALID'],
  ['/api/sites/demo/series?metric=power_w&category=desk%0D%0A', 'ERR_QUERY_INVALID'],
  [`/api/sites/demo/series?metric=power_w&zone=${'z'.repeat(201)}`, 'ERR_QUERY_INVALID'],
  [`/api/sites/demo/series?metric=power_w&every=${E21}`, 'ERR_QUERY_INVALID'],
  [`/api/sites/demo/series?metric=power_w&from=0&to=${E21}`, 'ERR_RANGE_INVALID'],
  [`/api/sites/demo/series?metric=power_w&from=${E21}&to=2${E21.slice(1)}`, 'ERR_RANGE_INVALID'],
  [`/api/sites/demo/series?metric=power_w&from=now-${E21}`, 'ERR_RANGE_INVALID'],
  // Below 1e21 but past 2262: InfluxDB's int64 nanoseconds cannot hold it.
  ['/api/sites/demo/series?metric=power_w&from=0&to=100000000000000000', 'ERR_RANGE_INVALID'],
  ['/api/sites/demo/series?metric=power_w&from=now-100000000000w', 'ERR_RANGE_INVALID'],
  [`/api/members/m01/checkins?site=demo&from=0&to=${E21}`, 'ERR_RANGE_INVALID'],
  [`/api/sites/demo/footprint?from=${E21}`, 'ERR_RANGE_INVALID'],
  ['/api/audit?action=login.success%0A', 'ERR_QUERY_INVALID'],
  [`/api/audit?to=${E21}`, 'ERR_RANGE_INVALID'],
];

describe.each(['sqlite', 'influx'] as const)('bad filter values on the %s store', (kind) => {
  let influxd: Influxd | undefined;
  let run: Running;
  let token: string;

  beforeAll(async () => {
    if (kind === 'influx') influxd = await startInfluxd();
    run = await start({}, influxd);
    token = await apiToken(run.dp, { role: 'manager', sites: ['demo'] });
  });

  afterAll(async () => {
    await run?.close();
    await influxd?.cleanup();
  });

  it.each(BAD_FILTERS)('%s answers 400 %s with the error envelope', async (url, code) => {
    const r = await call(run.dp, 'GET', url, { token });
    expect([r.status, r.body.error?.code]).toEqual([400, code]);
    expect(typeof r.body.error?.message).toBe('string');
  });

  it('still answers filters with quotes and backslashes, and times at the ends of the range', async () => {
    for (const url of [
      "/api/sites/demo/series?metric=power_w&zone=o'brien%5C&device=%22x%22",
      '/api/sites/demo/series?metric=power_w&from=1677-09-22T00:00:00Z&to=2262-04-10T00:00:00Z&every=30d',
      '/api/sites/demo/series?metric=power_w&from=now-1h&every=1m',
    ]) {
      const r = await call(run.dp, 'GET', url, { token });
      expect([url, r.status]).toEqual([url, 200]);
      expect(r.body.series).toEqual([]);
    }
  });
});

describe('the HTTP server', () => {
  let run: Running;
  let token: string;
  const LIMITS = { httpHeadersTimeoutMs: 1_500, httpRequestTimeoutMs: 3_000, httpKeepAliveTimeoutMs: 500, httpMaxConnections: 5 };

  beforeAll(async () => {
    run = await start(LIMITS);
    token = await apiToken(run.dp);
  });

  afterAll(async () => {
    await run?.close();
  });

  /** A raw TCP client: what it received, and when the server closed it (ms after connecting). */
  function rawClient(): Promise<{ socket: net.Socket; received: () => string; closed: Promise<number> }> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(run.dp.httpPort, '127.0.0.1');
      let data = '';
      const t0 = performance.now();
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => (data += d));
      const closed = new Promise<number>((done) => socket.once('close', () => done(performance.now() - t0)));
      socket.once('error', () => undefined);
      socket.once('connect', () => resolve({ socket, received: () => data, closed }));
      socket.once('error', reject);
    });
  }

  const within = <T>(p: Promise<T>, ms: number): Promise<T | 'still open'> => Promise.race([p, new Promise<'still open'>((r) => setTimeout(() => r('still open'), ms))]);

  it('answers an oversized JSON body 413 ERR_BODY_TOO_LARGE, and an unsupported charset 400, not 500', async () => {
    const big = await login(run.dp, 'someone', 'x'.repeat(2 * 1024 * 1024));
    expect([big.status, big.body.error?.code]).toEqual([413, 'ERR_BODY_TOO_LARGE']);
    const tokenBody = await call(run.dp, 'POST', '/api/auth/tokens', { token, body: JSON.stringify({ label: 'l'.repeat(1_100_000) }) });
    expect([tokenBody.status, tokenBody.body.error?.code]).toEqual([413, 'ERR_BODY_TOO_LARGE']);
    const charset = await call(run.dp, 'POST', '/api/auth/login', { body: '{}', headers: { 'content-type': 'application/json; charset=klingon' } });
    expect([charset.status, charset.body.error?.code]).toEqual([400, 'ERR_BODY_INVALID']);
  });

  it('cuts off a slowloris client that keeps sending header lines without ending them', async () => {
    const c = await rawClient();
    c.socket.write('GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const drip = setInterval(() => c.socket.writable && c.socket.write(`X-Drip-${Date.now()}: 1\r\n`), 100);
    try {
      const closedAfter = await within(c.closed, 5_000);
      expect(closedAfter).not.toBe('still open');
      // The header timeout (1.5 s), found by a sweep every quarter of it; Node's default is 60 s.
      expect(closedAfter as number).toBeGreaterThan(1_400);
      expect(closedAfter as number).toBeLessThan(3_500);
      expect(c.received()).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      clearInterval(drip);
      c.socket.destroy();
    }
  });

  it('closes a connection that never sends a request, and an idle keep-alive connection', async () => {
    const silent = await rawClient();
    const idle = await rawClient();
    idle.socket.write('GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
    const [silentAfter, idleAfter] = await Promise.all([within(silent.closed, 5_000), within(idle.closed, 5_000)]);
    expect(silentAfter).not.toBe('still open');
    expect(silentAfter as number).toBeLessThan(3_500);
    expect(idle.received()).toMatch(/^HTTP\/1\.1 200/);
    // The keep-alive timeout (0.5 s), well before Node's default 5 s.
    expect(idleAfter).not.toBe('still open');
    expect(idleAfter as number).toBeLessThan(2_000);
  });

  it('refuses connections beyond the cap at once, serves those within it, and takes new ones once they close', async () => {
    const held = await Promise.all(Array.from({ length: LIMITS.httpMaxConnections }, () => rawClient()));
    try {
      // Let the server accept every held connection before the next one arrives (they are
      // silent, so the header timeout closes them 1.5 s after connecting).
      await new Promise((r) => setTimeout(r, 100));
      const extra = await rawClient();
      extra.socket.write('GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      const extraClosed = await within(extra.closed, 800);
      expect(extraClosed).not.toBe('still open');
      expect(extra.received()).toBe('');
      // A held connection is still served.
      held[0]!.socket.write('GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
      await within(held[0]!.closed, 2_000);
      expect(held[0]!.received()).toMatch(/^HTTP\/1\.1 200/);
    } finally {
      for (const c of held) c.socket.destroy();
    }
    await Promise.all(held.map((c) => c.closed));
    await new Promise((r) => setTimeout(r, 50));
    expect((await call(run.dp, 'GET', '/api/health')).status).toBe(200);
  });
});

describe('the sign-in limiter and the audit log', () => {
  /** The per-address budget of failed sign-ins here (50 by default): each sign-in costs scrypt work. */
  const FAILURES = 4;
  let direct: Running;
  let proxied: Running;

  beforeAll(async () => {
    direct = await start({ loginFailuresPerAddress: FAILURES });
    proxied = await start({ loginFailuresPerAddress: FAILURES, trustProxy: 'loopback' });
    for (const { dp } of [direct, proxied]) {
      await dp.accounts.addUser({ name: 'mgr', role: 'manager', sites: ['demo'], password: PASSWORD });
      await dp.accounts.addUser({ name: 'amara', role: 'member', sites: ['demo'], member: 'm01', password: PASSWORD });
      await dp.accounts.addUser({ name: 'mgr-po', role: 'manager', sites: ['private-offices'], password: PASSWORD });
      await dp.accounts.addUser({ name: 'pia', role: 'member', sites: ['private-offices'], member: 'm02', password: PASSWORD });
    }
  });

  afterAll(async () => {
    await direct?.close();
    await proxied?.close();
  });

  it("shows a manager only their sites' users' entries: none of another site's users, nor of unknown usernames", async () => {
    // On the proxied process, as a client of its own, so the limiter tests below start with a whole budget.
    const { dp } = proxied;
    const signIn = (username: string, password: string) => login(dp, username, password, { 'x-forwarded-for': '192.0.2.10' });
    // Activity of the other site's users: sign-ins, a failure, a token, and administrator commands about them.
    expect((await signIn('mgr-po', PASSWORD)).status).toBe(200);
    expect((await signIn('pia', 'wrong password')).status).toBe(401);
    expect((await signIn('nobody', 'wrong password')).status).toBe(401);
    const poToken = await apiToken(dp, { name: 'mgr-po' });
    expect((await call(dp, 'POST', '/api/auth/tokens', { token: poToken, body: JSON.stringify({ label: 'po automation' }) })).status).toBe(201);
    expect((await call(dp, 'POST', '/api/sites/private-offices/members/m03/erase', { token: poToken, body: JSON.stringify({ confirm: 'm03' }) })).status).toBe(200);
    // …and of this site's.
    expect((await signIn('amara', PASSWORD)).status).toBe(200);
    expect((await signIn('amara', 'wrong password')).status).toBe(401);
    const cli = (args: string[]) => runUsers(args, { out: () => {}, err: () => {}, readStdin: async () => '', env: { DESKPRINT_DATA_DIR: dp.config.dataDir, DESKPRINT_SITES: SITES.join(',') } });
    expect(await cli(['add', 'po-funder', '--role', 'funder', '--site', 'private-offices'])).toBe(0);
    expect(await cli(['passwd', 'pia'])).toBe(0);
    expect(await cli(['delete', 'po-funder'])).toBe(0);
    expect(await cli(['add', 'demo-funder', '--role', 'funder', '--site', 'demo'])).toBe(0);
    expect(await cli(['delete', 'demo-funder'])).toBe(0);

    const mgrToken = await apiToken(dp, { name: 'mgr' });
    const log = await call(dp, 'GET', '/api/audit?limit=1000', { token: mgrToken });
    expect(log.status).toBe(200);
    const entries = log.body as unknown as { actor: string; action: string; target: string | null; site: string | null }[];
    const about = entries.map((e) => `${e.actor} ${e.action}${e.actor === 'cli' ? ` ${e.target}` : ''}`);
    for (const e of entries) expect(e.site === null || e.site === 'demo', JSON.stringify(e)).toBe(true);
    expect(about).toEqual(expect.arrayContaining(['amara login.success', 'amara login.failure', 'cli user.add demo-funder', 'cli user.delete demo-funder']));
    for (const other of ['mgr-po', 'pia', 'nobody', 'po-funder']) expect(about.filter((a) => a.includes(other))).toEqual([]);
    // The other site's manager sees their own users' entries.
    const poLog = await call(dp, 'GET', '/api/audit?limit=1000', { token: poToken });
    const poAbout = (poLog.body as unknown as { actor: string; action: string; target: string | null }[]).map((e) => `${e.actor} ${e.action}${e.actor === 'cli' ? ` ${e.target}` : ''}`);
    expect(poAbout).toEqual(expect.arrayContaining(['mgr-po login.success', 'pia login.failure', 'mgr-po token.create', 'mgr-po member.erase', 'cli user.add po-funder', 'cli user.passwd pia', 'cli user.delete po-funder']));
    expect(poAbout.filter((a) => a.includes('amara') || a.includes('demo-funder'))).toEqual([]);
  });

  it('does not count successful sign-ins against an address, and ignores X-Forwarded-For from an untrusted peer', async () => {
    const { dp } = direct;
    // More successes than the budget of failures: all go through.
    for (let i = 0; i < FAILURES + 2; i++) expect((await login(dp, 'amara', PASSWORD)).status, `sign-in ${i + 1}`).toBe(200);
    // The budget of failures, each with another username and another X-Forwarded-For: the address is the connection's.
    for (let i = 0; i < FAILURES; i++) {
      const r = await login(dp, `guess-${i}`, 'wrong password', { 'x-forwarded-for': `198.51.100.${i}` });
      expect([r.status, r.body.error?.code]).toEqual([401, 'ERR_LOGIN_FAILED']);
    }
    const limited = await login(dp, 'amara', PASSWORD, { 'x-forwarded-for': '198.51.100.200' });
    expect([limited.status, limited.body.error?.code]).toEqual([429, 'ERR_RATE_LIMITED']);
    expect(dp.accounts.auditLog({ action: 'login.failure', limit: 1 })[0]!.ip).toMatch(/127\.0\.0\.1$/);
  });

  it('behind a trusted proxy, limits each client named in X-Forwarded-For and audits that address', async () => {
    const { dp } = proxied;
    const via = (ip: string) => ({ 'x-forwarded-for': ip });
    for (let i = 0; i < FAILURES + 2; i++) expect((await login(dp, 'amara', PASSWORD, via('203.0.113.7'))).status, `sign-in ${i + 1}`).toBe(200);
    for (let i = 0; i < FAILURES; i++) expect((await login(dp, `guess-${i}`, 'wrong password', via('203.0.113.7'))).status).toBe(401);
    const limited = await login(dp, 'amara', PASSWORD, via('203.0.113.7'));
    expect([limited.status, limited.body.error?.code]).toEqual([429, 'ERR_RATE_LIMITED']);
    // Another client behind the same proxy is not limited.
    expect((await login(dp, 'mgr', 'wrong password', via('203.0.113.8'))).status).toBe(401);
    expect((await login(dp, 'mgr', PASSWORD, via('203.0.113.8'))).status).toBe(200);
    expect(dp.accounts.auditLog({ action: 'login.failure', limit: 1 })[0]!.ip).toBe('203.0.113.8');
  });
});
