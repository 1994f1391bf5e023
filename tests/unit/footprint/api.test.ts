/**
 * The footprint routes over a real SQLite store (in memory) filled by a recompute: figures
 * a member and a funder would read, the error envelope, and the audit export.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express from 'express';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { footprintRoutes } from '../../../api/routes/footprint.ts';
import { errorHandler } from '../../../api/errors.ts';
import { SqliteStore } from '../../../store/sqlite.ts';
import { checkinToPoint, readingToPoint } from '../../../footprint/events.ts';
import { recompute } from '../../../footprint/recompute.ts';
import { T, checkin, constantPower, makeSite } from './helpers.ts';
import { createFootprintProcessor } from '../../../ingest/footprint.ts';

const site = makeSite([
  { id: 'plug-d1', kind: 'desk_plug', desk: 'd1', carrier: 'electricity' },
  { id: 'light-z1', kind: 'zone_lighting', zone: 'z1', carrier: 'electricity' },
  { id: 'main-el', kind: 'meter', category: 'main', carrier: 'electricity' },
]);
const events = [
  ...constantPower(site, 'plug-d1', 45, T('2025-03-10T09:00'), T('2025-03-10T17:00')),
  ...constantPower(site, 'light-z1', 200, T('2025-03-10T08:00'), T('2025-03-10T18:00')),
  ...constantPower(site, 'main-el', 1000, T('2025-03-10T08:00'), T('2025-03-10T18:00')),
  checkin(site, 'm1', 'check_in', T('2025-03-10T09:00'), 'd1'),
  checkin(site, 'm1', 'check_out', T('2025-03-10T17:00')),
];

let server: Server;
let base = '';
let store: SqliteStore;

beforeAll(async () => {
  store = new SqliteStore({ file: ':memory:' });
  await store.init();
  await store.write(events.map((e) => (e.type === 'reading' ? readingToPoint(e.reading) : checkinToPoint(e.checkin))));
  await recompute({ store, site, from: T('2025-03-01T00:00'), to: T('2025-04-01T00:00'), now: T('2025-04-10T00:00') });
  const app = express();
  app.use('/api', footprintRoutes({ store, sites: new Map([[site.id, site]]), clock: () => T('2025-04-10T00:00') }));
  // A live engine for April: today's figures are not stored yet, only held in the engine.
  const proc = createFootprintProcessor({ sites: [site], clock: () => T('2025-04-09T12:00') });
  const today = [
    ...constantPower(site, 'plug-d1', 45, T('2025-04-09T09:00'), T('2025-04-09T12:00'), 1),
    checkin(site, 'm1', 'check_in', T('2025-04-09T09:00'), 'd1'),
  ];
  proc.onCheckins!(today.flatMap((e) => (e.type === 'checkin' ? [e.checkin] : [])));
  proc.onReadings!(today.flatMap((e) => (e.type === 'reading' ? [e.reading] : [])));
  await proc.tick!(T('2025-04-09T12:00'));
  app.use('/live', footprintRoutes({ store, sites: new Map([[site.id, site]]), engine: proc, clock: () => T('2025-04-09T12:00') }));
  app.use(errorHandler({ error: () => {} }));
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await store.close();
});

const get = async (path: string) => {
  const res = await fetch(base + (path.startsWith('/live') ? path : `/api${path}`));
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
};
const range = `from=${encodeURIComponent('2025-03-01T00:00:00Z')}&to=${encodeURIComponent('2025-04-01T00:00:00Z')}`;

describe('footprint API', () => {
  it("serves a member's footprint with the baseline range", async () => {
    const res = await get(`/members/m1/footprint?${range}&every=month`);
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text);
    // Main 1000 W × 10 h = 10 kWh, all to m1 (the only person in March): direct 45 W × 8 h
    // = 0.36, lights while present 200 W × 8 h = 1.6, pool = 10 − 0.36 − 1.6 = 8.04.
    expect(body.buckets).toHaveLength(1);
    expect(body.totals.kwh.electricity).toBeCloseTo(10, 9);
    expect(body.totals.kwh_direct).toBeCloseTo(0.36, 9);
    expect(body.totals.kwh_shared).toBeCloseTo(1.6, 9);
    expect(body.totals.kwh_pool).toBeCloseTo(8.04, 9);
    expect(body.totals.kgco2e).toBeCloseTo(10 * 0.177, 9);
    expect(body.totals.baseline_kgco2e.central).toBeCloseTo(2.245, 3);
    expect(body.totals.avoided_kgco2e.central).toBeCloseTo(body.totals.baseline_kgco2e.central - 1.77, 9);
    expect(body.totals.final).toBe(true);
    expect(body.method.factor_sets[0].name).toBe('UK DESNZ 2025');
  });

  it('serves site totals, allocation, conservation and data quality', async () => {
    const res = await get(`/sites/hub/footprint?${range}`);
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text);
    expect(body.totals.by_carrier.electricity.kwh).toBeCloseTo(10, 9);
    expect(body.allocation.members.m1.kwh.electricity).toBeCloseTo(10, 9);
    expect(body.conservation.electricity.residual_kwh).toBeCloseTo(0, 9);
    expect(body.conservation.electricity.closed_months[0].residual_kwh).toBeCloseTo(0, 9);
    expect(body.conservation.electricity.clamped_kwh).toBe(0);
    // The meters fall silent after the day (main and lights at 18:00, plug at 17:00) until
    // the month ends (1 April 00:00): 510 h × 1000 W + 510 h × 200 W + 511 h × 45 W of
    // expected energy (last power held) against 10 + 2 + 0.36 kWh measured.
    const measured = 10 + 2 + 0.36;
    const missing = 510 + 102 + 22.995;
    expect(body.data_quality.measured_share.electricity).toBeCloseTo(measured / (measured + missing), 9);
    expect(body.data_quality.sensor_confirmed_share).toBe(0); // d1 has no occupancy sensor
    expect(body.data_quality.engine_version).toMatch(/footprint-engine/);
  });

  it('exports the raw readings and sessions used, as NDJSON and CSV', async () => {
    const nd = await get(`/sites/hub/export?${range}&format=ndjson`);
    expect(nd.type).toContain('application/x-ndjson');
    const lines = nd.text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.type === 'reading')).toHaveLength(events.filter((e) => e.type === 'reading').length);
    expect(lines.filter((l) => l.type === 'session')).toEqual([expect.objectContaining({ member: 'm1', desk: 'd1', start: T('2025-03-10T09:00'), end: T('2025-03-10T17:00') })]);
    const csv = await get(`/sites/hub/export?${range}&format=csv`);
    expect(csv.text.split('\n')[0]).toBe('type,ts,device,kind,zone,desk,category,carrier,metric,value,member,session_kind,end');
  });

  it('answers errors in the envelope', async () => {
    const cases: [string, number, string][] = [
      ['/members/nobody/footprint', 404, 'ERR_MEMBER_NOT_FOUND'],
      ['/sites/nowhere/footprint', 404, 'ERR_SITE_NOT_FOUND'],
      ['/sites/hub/footprint?from=2025-03-02&to=2025-03-01', 400, 'ERR_RANGE_INVALID'],
      ['/members/m1/footprint?every=year', 400, 'ERR_QUERY_INVALID'],
    ];
    for (const [path, status, code] of cases) {
      const res = await get(path);
      expect(res.status, path).toBe(status);
      expect(JSON.parse(res.text).error.code).toBe(code);
    }
  });

  it("overlays the live engine's open day on the stored days", async () => {
    const res = await get('/live/members/m1/footprint?from=2025-04-01T00:00:00Z&to=2025-04-10T00:00:00Z');
    const body = JSON.parse(res.text);
    // Watermark 11:50, close delay 30 min: 09:00–11:00 closed, m1 at d1 all the time:
    // 45 W × 2 h = 0.09 kWh direct, provisional (April is open).
    expect(body.totals.kwh_direct).toBeCloseTo(0.09, 9);
    expect(body.totals.final).toBe(false);
    const stored = JSON.parse((await get('/members/m1/footprint?from=2025-04-01T00:00:00Z&to=2025-04-10T00:00:00Z')).text);
    expect(stored.totals.kwh_direct).toBe(0);
  });
});
