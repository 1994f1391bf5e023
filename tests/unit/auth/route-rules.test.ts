/**
 * The access rules the auth layer puts on routers mounted after it, checked with the real
 * footprint, check-in and app code over HTTP on an ephemeral port: who may read a site's
 * footprint (and in how much detail), its input export, and a member's own data.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../api/app.ts';
import { footprintRoutes } from '../../../api/routes/footprint.ts';
import { checkinRoutes } from '../../../api/routes/checkins.ts';
import { parseSiteYaml } from '../../../devices/site.ts';
import { Accounts } from '../../../accounts/accounts.ts';
import { Registry } from '../../../store/registry.ts';
import { SqliteStore } from '../../../store/sqlite.ts';

let server: http.Server;
let base: string;
const tokens: Record<string, string> = {};
const DAY0 = Date.UTC(2026, 9, 5);

beforeAll(async () => {
  const registry = new Registry();
  const site = parseSiteYaml(readFileSync(new URL('../../../sites/demo.yaml', import.meta.url), 'utf8'));
  registry.loadSite(site);
  const store = new SqliteStore({ file: ':memory:' });
  await store.init();
  const day = (account: string, kwh: number) => ({ measurement: 'footprint_day', tags: { site: 'demo', account }, fields: { kwh_electricity: kwh, kgco2e: kwh / 5, final: 1 }, ts: DAY0 });
  await store.write([day('m01', 2), day('m02', 3), day('operator', 1)]);
  const accounts = new Accounts();
  for (const [name, role, member] of [['mgr', 'manager'], ['fund', 'funder'], ['amara', 'member', 'm01']] as const) {
    await accounts.addUser({ name, role, sites: ['demo'], ...(member ? { member } : {}), password: 'a long test password' });
    tokens[name] = accounts.createToken(name, 'test').token;
  }
  const app = createApp({
    registry, store, accounts, log: pino({ level: 'silent' }), version: 'test',
    live: { latest: () => undefined },
    health: () => ({}) as never,
    routers: [footprintRoutes({ store, sites: new Map([[site.id, site]]), clock: () => DAY0 + 10 * 86_400_000 }), checkinRoutes({ registry, store })],
  });
  server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function get(url: string, who: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}${url}`, { headers: { authorization: `Bearer ${tokens[who]}` } });
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : { text } };
}

const RANGE = `from=${DAY0}&to=${DAY0 + 86_400_000}`;

describe('site footprint', () => {
  it('shows managers each member’s allocation', async () => {
    const r = await get(`/api/sites/demo/footprint?${RANGE}`, 'mgr');
    expect(r.status).toBe(200);
    expect(Object.keys((r.body.allocation as { members: object }).members).sort()).toEqual(['m01', 'm02']);
  });

  it('shows funders and members the site’s aggregates without any member’s figures', async () => {
    for (const who of ['fund', 'amara']) {
      const r = await get(`/api/sites/demo/footprint?${RANGE}`, who);
      expect(r.status).toBe(200);
      const allocation = r.body.allocation as Record<string, unknown>;
      expect(allocation.members).toBeUndefined();
      expect(allocation.member_count).toBe(2);
      expect(allocation.operator).toBeDefined();
      expect(JSON.stringify(r.body)).not.toMatch(/"m0[12]"/);
    }
  });

  it('lets only managers download the footprint input export (it lists presence by member)', async () => {
    expect((await get(`/api/sites/demo/export?${RANGE}`, 'mgr')).status).toBe(200);
    expect((await get(`/api/sites/demo/export?${RANGE}`, 'fund')).status).toBe(403);
    expect((await get(`/api/sites/demo/export?${RANGE}`, 'amara')).status).toBe(403);
  });
});

describe('a member’s own data', () => {
  it('is readable by the member and their manager, never by another member or a funder', async () => {
    expect((await get(`/api/members/m01/footprint?${RANGE}`, 'amara')).status).toBe(200);
    expect((await get(`/api/members/m01/footprint?${RANGE}`, 'mgr')).status).toBe(200);
    expect((await get(`/api/members/m02/footprint?${RANGE}`, 'amara')).status).toBe(403);
    expect((await get(`/api/members/m01/footprint?${RANGE}`, 'fund')).status).toBe(403);
    expect((await get('/api/members/m01/checkins', 'amara')).status).toBe(200);
    expect((await get('/api/members/m02/checkins', 'amara')).status).toBe(403);
    expect((await get('/api/members/m01/checkins', 'fund')).status).toBe(403);
  });
});
