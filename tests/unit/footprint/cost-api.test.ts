/**
 * Cost in the footprint routes (METHODOLOGY.md §8) over a real SQLite store (in memory)
 * filled by a recompute: the site route's bill reconciliation and a member's cost share in
 * the site's currency, and no sum across currencies. Site "hub" (UTC, GBP): on 10 March 2025
 * the main meter reads 10 kWh; m1 is the only person present (8 h). Flat tariff £0.20/kWh,
 * CCL £0.00775/kWh, standing £0.40/day, VAT 20 %.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorHandler } from '../../../api/errors.ts';
import { footprintRoutes } from '../../../api/routes/footprint.ts';
import { checkinToPoint, readingToPoint } from '../../../footprint/events.ts';
import type { MemberFootprintResponse, SiteFootprintResponse } from '../../../footprint/figures.ts';
import { recompute } from '../../../footprint/recompute.ts';
import { SqliteStore } from '../../../store/sqlite.ts';
import { T, checkin, constantPower, makeSite } from './helpers.ts';

const tariff = (currency: string) => ({
  currency,
  tariffs: { electricity: { source: 'test', history: [{ from: '2025-01-01', unit_rate: 0.2, standing_charge_per_day: 0.4, levies: [{ name: 'CCL', per_kwh: 0.00775 }], vat_rate: 0.2 }] } },
});
const devices = [
  { id: 'plug-d1', kind: 'desk_plug' as const, desk: 'd1', carrier: 'electricity' as const },
  { id: 'main-el', kind: 'meter' as const, category: 'main' as const, carrier: 'electricity' as const },
];
const hub = makeSite(devices, tariff('GBP'));
const hub2 = makeSite(devices, { id: 'hub2', ...tariff('EUR') });
const MARCH = { from: T('2025-03-01T00:00'), to: T('2025-04-01T00:00') };

let server: Server;
let base = '';
let store: SqliteStore;

beforeAll(async () => {
  store = new SqliteStore({ file: ':memory:' });
  await store.init();
  const events = [
    ...constantPower(hub, 'plug-d1', 45, T('2025-03-10T09:00'), T('2025-03-10T17:00')),
    ...constantPower(hub, 'main-el', 1000, T('2025-03-10T08:00'), T('2025-03-10T18:00')),
    checkin(hub, 'm1', 'check_in', T('2025-03-10T09:00'), 'd1'),
    checkin(hub, 'm1', 'check_out', T('2025-03-10T17:00')),
  ];
  await store.write(events.map((e) => (e.type === 'reading' ? readingToPoint(e.reading) : checkinToPoint(e.checkin))));
  for (const site of [hub, hub2]) await recompute({ store, site, ...MARCH, now: T('2025-04-10T00:00') });
  const app = express();
  app.use('/one', footprintRoutes({ store, sites: new Map([[hub.id, hub]]), clock: () => T('2025-04-10T00:00') }));
  app.use('/two', footprintRoutes({ store, sites: new Map([[hub.id, hub], [hub2.id, hub2]]), clock: () => T('2025-04-10T00:00') }));
  app.use(errorHandler({ error: () => {} }));
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await store.close();
});

const get = async <T>(path: string): Promise<T> => (await (await fetch(`${base}${path}`)).json()) as T;

describe('cost in the footprint routes', () => {
  it('reconciles the site bill for March to the member shares', async () => {
    const body = await get<SiteFootprintResponse>(`/one/sites/hub/footprint?from=${MARCH.from}&to=${MARCH.to}`);
    // Energy 10 × 0.20 = 2.00; CCL 0.0775; standing 31 × 0.40 = 12.40; VAT 20 % of 14.4775 =
    // 2.8955 → £17.373, all m1's (the only person with hours in March).
    const c = body.cost!;
    expect(c.currency).toBe('GBP');
    expect(c.bill).toBeCloseTo(17.373, 9);
    expect(c.by_carrier.electricity).toMatchObject({ energy: expect.closeTo(2, 9), standing: expect.closeTo(12.4, 9), vat: expect.closeTo(2.8955, 9), unpriced_kwh: 0 });
    expect(c.members).toBeCloseTo(17.373, 9);
    expect(Math.abs(c.residual)).toBeLessThanOrEqual(1e-9 * c.bill);
    expect(body.allocation.members.m1!.cost).toBeCloseTo(17.373, 9);
    expect(c.final).toBe(true);
  });

  it("gives a member their cost share with the site's currency", async () => {
    const body = await get<MemberFootprintResponse>(`/one/members/m1/footprint?from=${MARCH.from}&to=${MARCH.to}&every=month`);
    expect(body.currency).toBe('GBP');
    expect(body.totals.cost).toBeCloseTo(17.373, 9);
    // Pooled: the main meter's 10 − 0.36 kWh remainder and the standing charges.
    expect(body.totals.cost_pool).toBeCloseTo(17.373 - 0.36 * 0.20775 * 1.2, 9);
    expect(body.buckets).toHaveLength(1);
  });

  it('never adds up costs in two currencies: a member at a GBP and a EUR site gets no cost', async () => {
    const body = await get<MemberFootprintResponse>(`/two/members/m1/footprint?from=${MARCH.from}&to=${MARCH.to}&every=month`);
    expect(body.sites).toEqual(['hub', 'hub2']);
    expect(body.currency).toBeNull();
    expect(body.totals.cost).toBeNull();
    expect(body.totals.kwh_total).toBeGreaterThan(0);
  });
});
