/**
 * The network view's data and the network impact report (METHODOLOGY §11) over HTTP, with
 * the real app, accounts and auth layer: a funder of sites A and B sees A and B side by side
 * and their total, never site C; members get no network; no member is named in JSON, CSV or
 * PDF. Every figure is worked by hand from the fixture (normalised-fixture.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Accounts } from '../../../accounts/accounts.ts';
import { createApp } from '../../../api/app.ts';
import type { NetworkReport } from '../../../api/reports/network.ts';
import { networkRoutes } from '../../../api/routes/network.ts';
import { Registry } from '../../../store/registry.ts';
import type { SqliteStore } from '../../../store/sqlite.ts';
import { NETWORK_MEMBER_NAMES, networkStore, siteA, siteB, siteC } from '../footprint/normalised-fixture.ts';

let server: http.Server;
let base: string;
let store: SqliteStore;
const tokens: Record<string, string> = {};
const RANGE = 'from=2025-01-13T00:00:00Z&to=2025-01-15T00:00:00Z';

beforeAll(async () => {
  store = await networkStore();
  const registry = new Registry();
  for (const s of [siteA, siteB, siteC]) registry.loadSite(s);
  const accounts = new Accounts();
  const users = [
    ['fund', 'funder', ['ancoats', 'bedminster']],
    ['mgr', 'manager', ['ancoats', 'bedminster', 'carlisle']],
    ['amara', 'member', ['ancoats'], 'm1'],
  ] as const;
  for (const [name, role, sites, member] of users) {
    await accounts.addUser({ name, role, sites: [...sites], ...(member ? { member } : {}), password: 'a long test password' });
    tokens[name] = accounts.createToken(name, 'test').token;
  }
  const app = createApp({
    registry, store, accounts, log: pino({ level: 'silent' }), version: 'test',
    live: { latest: () => undefined },
    health: () => ({}) as never,
    routers: [networkRoutes({ store, registry, clock: () => Date.parse('2025-01-20T00:00:00Z') })],
  });
  server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function get(url: string, who: string): Promise<{ status: number; type: string; body: Buffer }> {
  const res = await fetch(`${base}${url}`, { headers: { authorization: `Bearer ${tokens[who]}` } });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: Buffer.from(await res.arrayBuffer()) };
}

async function network(who: string, extra = ''): Promise<NetworkReport> {
  const r = await get(`/api/network?${RANGE}${extra}`, who);
  expect(r.status, r.body.toString()).toBe(200);
  return JSON.parse(r.body.toString()) as NetworkReport;
}

function noLeak(text: string): void {
  expect(text).not.toMatch(/carlisle/i);
  for (const name of NETWORK_MEMBER_NAMES) expect(text).not.toContain(name.split(' ')[1]);
}

describe('network of spaces (METHODOLOGY §11)', () => {
  it('shows a funder their two sites side by side and the network total, worked by hand', async () => {
    const r = await network('fund');
    expect(r.sites.map((s) => s.id)).toEqual(['ancoats', 'bedminster']);
    const [a, b] = r.sites as [NetworkReport['sites'][0], NetworkReport['sites'][0]];
    // A (§10's example): 144 kWh, 262.8 kWh/m²/yr raw, 216.944 weather-normalised.
    expect(a.indicators.per_m2_yr!.kwh).toBeCloseTo(262.8, 9);
    expect(a.indicators.weather_normalised_per_m2_yr!.kwh).toBeCloseTo(216.944, 9);
    expect(a.members_served).toBe(2);
    // B: 500 W × 48 h = 24 kWh over 200 m²: 24 / 200 × 365 / 2 = 21.9 kWh/m²/yr; 24 × 0.177 =
    // 4.248 kgCO2e → 3.8763 kgCO2e/m²/yr. Electricity only: the weather-normalised figure is
    // the same (nothing heats the space to normalise). m1 4 h on 13 Jan: 4 desk-hours, 1 member-day.
    expect(b.indicators.per_m2_yr!.kwh).toBeCloseTo(21.9, 9);
    expect(b.indicators.per_m2_yr!.kgco2e).toBeCloseTo(3.8763, 9);
    expect(b.indicators.weather_normalisation).toBe('no_heating_carrier');
    expect(b.indicators.weather_normalised_per_m2_yr!.kwh).toBeCloseTo(21.9, 9);
    expect(b.indicators.desk_hours).toBeCloseTo(4, 9);
    expect(b.indicators.member_days).toBe(1);
    // Network: 300 m²; per m² per year area-weighted: (262.8 × 100 + 21.9 × 200) / 300 = 102.2
    // kWh, (47.5668 × 100 + 3.8763 × 200) / 300 = 18.4398 kgCO2e. Weather-normalised:
    // (216.944 × 100 + 21.9 × 200) / 300 = 86.914667 kWh, (39.175152 × 100 + 3.8763 × 200) / 300
    // = 15.642584 kgCO2e. Per desk-hour (144 + 24) / (20 + 4) = 7 kWh, (26.064 + 4.248) / 24 =
    // 1.263 kg; per member-day 168 / 4 = 42 kWh, 30.312 / 4 = 7.578 kg.
    const t = r.total;
    expect(t).toMatchObject({ sites: 2, area_m2: 300, member_days: 4, members_served: 3, weather_normalised_sites: 2 });
    expect(t.kwh).toBeCloseTo(168, 9);
    expect(t.kgco2e).toBeCloseTo(30.312, 9);
    expect(t.per_m2_yr!.kwh).toBeCloseTo(102.2, 9);
    expect(t.per_m2_yr!.kgco2e).toBeCloseTo(18.4398, 9);
    expect(t.weather_normalised_per_m2_yr!.kwh).toBeCloseTo(86.914667, 6);
    expect(t.weather_normalised_per_m2_yr!.kgco2e).toBeCloseTo(15.642584, 6);
    expect(t.per_desk_hour!.kwh).toBeCloseTo(7, 9);
    expect(t.per_desk_hour!.kgco2e).toBeCloseTo(1.263, 9);
    expect(t.per_member_day!.kwh).toBeCloseTo(42, 9);
    expect(t.per_member_day!.kgco2e).toBeCloseTo(7.578, 9);
    // One month: its trend total is the period's.
    expect(r.trend.map((m) => m.month)).toEqual(['2025-01']);
    expect(r.trend[0]!.total.per_m2_yr!.kwh).toBeCloseTo(102.2, 9);
    noLeak(JSON.stringify(r));
    expect(JSON.stringify(r)).not.toMatch(/"m[12]"/);
  });

  it('never shows a funder of A and B the site C, whether asked for or not', async () => {
    for (const q of ['&sites=carlisle', '&sites=ancoats,carlisle', '&sites=nowhere']) {
      for (const url of [`/api/network?${RANGE}${q}`, `/api/network/report?${RANGE}${q}&format=pdf`]) {
        const r = await get(url, 'fund');
        expect(r.status, url).toBe(403);
        // The same refusal for a site that exists and one that does not.
        expect(r.body.toString()).toMatch(/is not one of your sites/);
      }
    }
    // Narrowed to one of their own sites it works.
    expect((await network('fund', '&sites=bedminster')).sites.map((s) => s.id)).toEqual(['bedminster']);
    // A manager of all three sees all three.
    expect((await network('mgr')).sites.map((s) => s.id)).toEqual(['ancoats', 'bedminster', 'carlisle']);
  });

  it('gives members no network view and no network report', async () => {
    for (const url of [`/api/network?${RANGE}`, `/api/network/report?${RANGE}&format=csv`]) expect((await get(url, 'amara')).status).toBe(403);
  });

  it('serves the network report as CSV: a row per site and the network row', async () => {
    const r = await get(`/api/network/report?${RANGE}&format=csv`, 'fund');
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/csv/);
    const rows = r.body.toString().trim().split('\r\n').map((l) => l.split(','));
    const header = rows[0]!;
    const col = (row: string[], name: string) => Number(row[header.indexOf(name)]);
    expect(rows.map((x) => x[0])).toEqual(['site', 'ancoats', 'bedminster', 'network']);
    expect(col(rows[3]!, 'kwh_per_m2_yr')).toBeCloseTo(102.2, 6);
    expect(col(rows[3]!, 'kwh_per_m2_yr_weather_normalised')).toBeCloseTo(86.914667, 6);
    expect(col(rows[3]!, 'kwh_per_member_day')).toBeCloseTo(42, 6);
    expect(col(rows[1]!, 'kwh_per_hdd')).toBeCloseTo(6.4, 6);
    expect(rows[2]![header.indexOf('hdd')]).toBe(''); // B has no degree days: empty, not 0
    noLeak(r.body.toString());
    const trend = (await get(`/api/network/report?${RANGE}&format=csv&table=trend`, 'fund')).body.toString().trim().split('\r\n');
    expect(trend.map((l) => l.split(',').slice(0, 2).join(' '))).toEqual(['month site', '2025-01 ancoats', '2025-01 bedminster', '2025-01 network']);
  });

  it('serves the network report as a PDF with the sites side by side and the total (pdftotext)', async () => {
    const r = await get(`/api/network/report?${RANGE}&format=pdf`, 'fund');
    expect(r.status).toBe(200);
    expect(r.type).toBe('application/pdf');
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'deskprint-network-')), 'network.pdf');
    writeFileSync(file, r.body);
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    expect(text).toContain('Network impact report · 2 sites');
    expect(text).toContain('2 sites, 300 m²');
    expect(text).toMatch(/Ancoats Hub\s+Bedminster Loft/);
    // Total tiles: 102.2 kWh/m², 86.9 weather-normalised, 7.000 kWh per desk-hour, 42.00 per member-day.
    expect(text).toContain('102.2 kWh/m²');
    expect(text).toContain('86.9 kWh/m²');
    expect(text).toContain('7.000 kWh');
    expect(text).toContain('42.00 kWh');
    // Side by side: A's and B's per-m² figures on one row.
    expect(text).toMatch(/Per m² per year, energy\s+262\.8 kWh\/m²\s+21\.9 kWh\/m²/);
    expect(text).toMatch(/heating weather-normalised,\s+216\.9 kWh\/m²\s+21\.9 kWh\/m²/);
    expect(text).toMatch(/2025-01\s+216\.9\s+21\.9\s+86\.9/);
    noLeak(text);
  });
});
