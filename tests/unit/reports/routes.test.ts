/**
 * The report routes over HTTP on an ephemeral port: on-demand reports in every format, the
 * stored reports of the schedule (listing and download), and the error envelope.
 */
import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorHandler } from '../../../api/errors.ts';
import { startReportScheduler } from '../../../api/reports/schedule.ts';
import { reportRoutes } from '../../../api/routes/reports.ts';
import type { SqliteStore } from '../../../store/sqlite.ts';
import { MEMBER_NAMES, T, smallSite as site, smallStore } from './small-site.ts';

const NOW = T('2025-04-10T00:00');
let server: Server;
let base = '';
let store: SqliteStore;
const dataDir = mkdtempSync(path.join(tmpdir(), 'deskprint-report-routes-'));

beforeAll(async () => {
  store = await smallStore();
  const app = express();
  app.use('/api', reportRoutes({ store, registry: { site: (id) => (id === site.id ? site : undefined) }, dataDir, clock: () => NOW }));
  app.use(errorHandler({ error: () => {} }));
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await store.close();
});

const get = async (p: string) => {
  const res = await fetch(base + p);
  return { status: res.status, type: res.headers.get('content-type') ?? '', disposition: res.headers.get('content-disposition') ?? '', body: Buffer.from(await res.arrayBuffer()) };
};
const march = 'from=2025-03-01&to=2025-04-01';

describe('GET /sites/:site/reports/impact', () => {
  it('answers JSON by default, for the last whole month without a range', async () => {
    const res = await get('/sites/hub/reports/impact');
    expect(res.status).toBe(200);
    expect(res.type).toContain('application/json');
    const body = JSON.parse(res.body.toString());
    expect(body.period).toMatchObject({ first_day: '2025-03-01', last_day: '2025-03-31' });
    expect(body.energy.kwh).toBeCloseTo(10, 9);
    expect(body.generated_at).toBe('2025-04-10T00:00:00.000Z');
  });

  it('serves the daily CSV, the anonymised member CSV and the PDF as downloads', async () => {
    const daily = await get(`/sites/hub/reports/impact?${march}&format=csv`);
    expect(daily.type).toContain('text/csv');
    expect(daily.disposition).toBe('attachment; filename="deskprint-impact-hub-2025-03-01_2025-03-31.csv"');
    expect(daily.body.toString().split('\r\n').filter(Boolean)).toHaveLength(1 + 31);
    const members = await get(`/sites/hub/reports/impact?${march}&format=csv&table=members`);
    expect(members.disposition).toContain('.members.csv"');
    expect(members.body.toString()).toMatch(/^member,days_present,hours,.*\r\nmember-01,1,8,/);
    const pdf = await get(`/sites/hub/reports/impact?${march}&format=pdf`);
    expect(pdf.type).toBe('application/pdf');
    expect(pdf.body.subarray(0, 5).toString()).toBe('%PDF-');
    for (const r of [daily, members, pdf]) for (const n of MEMBER_NAMES) expect(r.body.includes(n.split(' ')[0]!)).toBe(false);
  });

  it('answers errors in the envelope', async () => {
    const cases: [string, number, string][] = [
      ['/sites/nowhere/reports/impact', 404, 'ERR_SITE_NOT_FOUND'],
      ['/sites/hub/reports/impact?format=docx', 400, 'ERR_QUERY_INVALID'],
      ['/sites/hub/reports/impact?format=csv&table=people', 400, 'ERR_QUERY_INVALID'],
      ['/sites/hub/reports/impact?from=2025-03-02&to=2025-03-01', 400, 'ERR_RANGE_INVALID'],
      ['/sites/hub/reports/impact?from=2023-01-01&to=2025-03-01', 400, 'ERR_RANGE_INVALID'],
      ['/sites/hub/reports/2025-02', 404, 'ERR_NOT_FOUND'],
      ['/sites/hub/reports/..%2F..%2Fetc', 404, 'ERR_NOT_FOUND'],
    ];
    for (const [p, status, code] of cases) {
      const res = await get(p);
      expect(res.status, p).toBe(status);
      expect(JSON.parse(res.body.toString()).error.code, p).toBe(code);
    }
  });
});

describe('stored reports', () => {
  it('lists what the schedule generated and serves each file byte for byte', async () => {
    expect(JSON.parse((await get('/sites/hub/reports')).body.toString())).toEqual({ site: 'hub', schedule: 'monthly', reports: [] });
    const scheduler = startReportScheduler({ store, sites: [site], dataDir, runOnStart: false, clock: () => NOW });
    const runs = await scheduler.runDue(NOW);
    await scheduler.stop();
    // January and February have no data; March is stored.
    expect(runs.map((r) => `${r.id}:${r.outcome}`)).toEqual(['2025-01:no-data', '2025-02:no-data', '2025-03:generated']);

    const list = JSON.parse((await get('/sites/hub/reports')).body.toString());
    expect(list.reports).toHaveLength(1);
    const stored = list.reports[0];
    expect(stored).toMatchObject({ id: '2025-03', period: { first_day: '2025-03-01', last_day: '2025-03-31', final: true }, emailed: null });
    expect(Object.keys(stored.downloads).sort()).toEqual(['csv', 'json', 'members.csv', 'pdf']);

    for (const d of Object.values(stored.downloads) as { href: string; bytes: number; sha256: string }[]) {
      const res = await fetch(`${base.replace(/\/api$/, '')}${d.href}`);
      expect(res.status, d.href).toBe(200);
      const body = Buffer.from(await res.arrayBuffer());
      expect(body.length).toBe(d.bytes);
      expect((await import('node:crypto')).createHash('sha256').update(body).digest('hex')).toBe(d.sha256);
    }
    const pdf = await get('/sites/hub/reports/2025-03');
    expect(pdf.type).toBe('application/pdf');
    // Generated once: the same report is listed, not rebuilt, on the next run.
    const again = startReportScheduler({ store, sites: [site], dataDir, runOnStart: false });
    expect((await again.runDue(NOW + 86_400_000)).find((r) => r.id === '2025-03')?.outcome).toBe('stored-before');
    await again.stop();
  });
});
