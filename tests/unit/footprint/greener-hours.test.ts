/**
 * Greener hours (METHODOLOGY §3) worked by hand, and the forecast feed over HTTP with the
 * real app and auth layer: a manager's token sends a forecast in the GB Carbon Intensity
 * API's shape, a member reads the coming low-carbon hours; members cannot send one.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Accounts } from '../../../accounts/accounts.ts';
import { createApp } from '../../../api/app.ts';
import { gridForecastRoutes } from '../../../api/routes/grid-forecast.ts';
import { greenerHours, gridForecastSchema, type ForecastSlot, type GreenerHours } from '../../../footprint/greener-hours.ts';
import { simulatedForecast } from '../../../simulators/grid-forecast.ts';
import { Registry } from '../../../store/registry.ts';
import { SqliteStore } from '../../../store/sqlite.ts';
import { T, makeSite } from './helpers.ts';

const site = makeSite([{ id: 'grid', kind: 'grid_feed' }]); // UTC, open Mon–Fri 07:00–20:00
const HALF = 1_800_000;
/** Half-hours from `start` with these forecasts, gCO2/kWh. */
const slots = (start: number, values: number[]): ForecastSlot[] => values.map((g, k) => ({ from: start + k * HALF, to: start + (k + 1) * HALF, g_per_kwh: g }));

describe('greener hours worked by hand', () => {
  it('picks the cleanest third of the coming half-hours and merges neighbours', () => {
    const now = T('2025-01-13T10:00'); // a Monday
    const g = greenerHours(site, [
      ...slots(T('2025-01-13T09:30'), [50]), // already past: not a coming hour
      ...slots(now, [200, 180, 120, 110, 150, 130, 210, 220]),
      ...slots(T('2025-01-14T10:30'), [10]), // beyond the 24 h horizon
    ], now);
    // 8 coming slots; sorted 110, 120, 130, 150, …: the ceil(8 / 3) = 3rd lowest is 130.
    expect(g.slots).toHaveLength(8);
    expect(g.threshold_g_per_kwh).toBe(130);
    // Greener: 11:00 (120), 11:30 (110) → one window 11:00–12:00, mean 115; 12:30 (130) alone.
    expect(g.windows).toEqual([
      { from: T('2025-01-13T11:00'), to: T('2025-01-13T12:00'), mean_g_per_kwh: 115, open: true },
      { from: T('2025-01-13T12:30'), to: T('2025-01-13T13:00'), mean_g_per_kwh: 130, open: true },
    ]);
    // Beside it, the annual factor the footprint keeps: 0.177 kgCO2e/kWh = 177 g.
    expect(g.annual_factor_g_per_kwh).toBeCloseTo(177, 9);
  });

  it('says whether a window falls while the space is open', () => {
    // Saturday 18 January 2025 (closed) 12:00 at 90, then 150 and 160: 90 is the greener third.
    const g = greenerHours(site, slots(T('2025-01-18T12:00'), [90, 150, 160]), T('2025-01-18T11:50'));
    expect(g.windows).toEqual([{ from: T('2025-01-18T12:00'), to: T('2025-01-18T12:30'), mean_g_per_kwh: 90, open: false }]);
  });

  it('simulates a forecast in the Carbon Intensity API shape: 48 half-hours, lowest at 06:00 UTC', () => {
    const body = gridForecastSchema.parse(simulatedForecast(T('2025-01-13T00:10')));
    expect(body.data).toHaveLength(48);
    expect(body.data[0]).toMatchObject({ from: '2025-01-13T00:00Z', to: '2025-01-13T00:30Z' });
    // 170 + 50 cos(2π (h − 18) / 24) at slot mid-points: 06:15 → 170 − 50 cos(π/48) ≈ 120.1 → 120.
    const low = body.data.reduce((a, d) => (d.intensity.forecast < a.intensity.forecast ? d : a));
    expect(low.from).toMatch(/T0(5:30|5:45|6:00)Z/);
    expect(low.intensity).toMatchObject({ forecast: 120, index: 'low' });
  });
});

describe('grid forecast feed over HTTP', () => {
  let server: http.Server;
  let base: string;
  let store: SqliteStore;
  const tokens: Record<string, string> = {};
  const NOW = T('2025-01-13T10:00');

  beforeAll(async () => {
    store = new SqliteStore({ file: ':memory:' });
    await store.init();
    const registry = new Registry();
    registry.loadSite(site);
    const accounts = new Accounts();
    for (const [name, role, member] of [['mgr', 'manager'], ['one', 'member', 'm1']] as const) {
      await accounts.addUser({ name, role, sites: ['hub'], ...(member ? { member } : {}), password: 'a long test password' });
      tokens[name] = accounts.createToken(name, 'test').token;
    }
    const app = createApp({
      registry, store, accounts, log: pino({ level: 'silent' }), version: 'test', live: { latest: () => undefined }, health: () => ({}) as never,
      routers: [gridForecastRoutes({ store, registry, clock: () => NOW })],
    });
    server = http.createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await store.close();
  });

  const put = (who: string, body: unknown) => fetch(`${base}/api/sites/hub/grid-forecast`, { method: 'POST', headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const body = {
    data: [200, 180, 120, 110, 150, 130, 210, 220].map((g, k) => ({
      from: new Date(NOW + k * HALF).toISOString(), to: new Date(NOW + (k + 1) * HALF).toISOString(), intensity: { forecast: g, actual: null, index: 'moderate' },
    })),
  };

  it('stores a manager’s forecast and gives members the greener hours worked out above', async () => {
    const res = await put('mgr', body);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ site: 'hub', stored: 8 });
    const g = (await (await fetch(`${base}/api/sites/hub/greener-hours`, { headers: { authorization: `Bearer ${tokens.one}` } })).json()) as GreenerHours;
    expect(g.windows.map((w) => [new Date(w.from).toISOString(), w.mean_g_per_kwh])).toEqual([['2025-01-13T11:00:00.000Z', 115], ['2025-01-13T12:30:00.000Z', 130]]);
    // A newer forecast replaces the slots it covers (the later value wins): 11:00 at 300 now.
    // Sorted 110, 130, 150, …: the threshold is 150, so 11:30 (110), 12:00 (150) and 12:30 (130)
    // make one window 11:30–13:00, mean (110 + 150 + 130) / 3 = 130.
    expect((await put('mgr', { data: [{ ...body.data[2]!, intensity: { forecast: 300 } }] })).status).toBe(200);
    const g2 = (await (await fetch(`${base}/api/sites/hub/greener-hours`, { headers: { authorization: `Bearer ${tokens.one}` } })).json()) as GreenerHours;
    expect(g2.windows).toEqual([{ from: T('2025-01-13T11:30'), to: T('2025-01-13T13:00'), mean_g_per_kwh: 130, open: true }]);
  });

  it('refuses a forecast from a member, and one not in the API’s shape', async () => {
    expect((await put('one', body)).status).toBe(403);
    const bad = await put('mgr', { data: [{ from: 'soon', to: 'later', intensity: { forecast: -5 } }] });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/Carbon Intensity API forecast/);
  });
});
