/**
 * The walking skeleton end to end: the whole process on ephemeral ports with the demo
 * simulator publishing over real MQTT into the embedded aedes broker, a real SQLite file,
 * the real HTTP API and socket.io.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { io as ioClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDeskprint, type DeskprintHandle } from '../../cli/start.ts';
import type { ClientToServerEvents, IngestHealth, LiveSnapshot, ServerToClientEvents } from '../../devices/api-types.ts';
import { getJson, waitFor } from '../support/wait.ts';
import { apiToken, bearer } from '../support/auth.ts';

let dp: DeskprintHandle;
let dataDir: string;
/** A manager's API token: everything under /api but health and openapi needs sign-in. */
let auth: ReturnType<typeof bearer>;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'deskprint-skeleton-'));
  dp = await startDeskprint({ demo: true, httpPort: 0, mqttPort: 0, host: '127.0.0.1', dataDir, logLevel: 'silent', buildDashboard: false });
  auth = bearer(await apiToken(dp));
});

afterAll(async () => {
  await dp?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const health = async () => (await getJson<IngestHealth>(`${dp.httpUrl}/api/health`)).body;

function countStoredPoints(): number {
  const db = new Database(path.join(dataDir, 'timeseries.db'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM points').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('deskprint start --demo', () => {
  it('stores the simulated building in the SQLite file', async () => {
    const n = await waitFor('points in timeseries.db', () => countStoredPoints() > 100 && countStoredPoints(), 20_000, 250);
    expect(n).toBeGreaterThan(100);
    // The store's writer thread commits, then tells ingest: the count follows a moment later.
    const h = await waitFor('ingest to count stored readings', async () => {
      const h = await health();
      return h.ingest.stored > 0 ? h : null;
    });
    expect(h.ingest.stored).toBeGreaterThan(0);
    expect(h.store).toMatchObject({ kind: 'sqlite', state: 'ok' });
  });

  it('shows live power and occupancy for the demo site', async () => {
    const live = await waitFor('live power and occupancy', async () => {
      const { body } = await getJson<LiveSnapshot>(`${dp.httpUrl}/api/sites/demo/live`, auth);
      return body.power_w.total > 0 && body.desks.occupied > 0 ? body : null;
    });
    expect(live.desks.total).toBe(24);
    expect(live.zones.map((z) => z.id)).toEqual(['north', 'south', 'loft']);
    expect(live.power_w.by_category.desk).toBeGreaterThan(0);
    expect(live.devices.online).toBeGreaterThan(0);
  });

  it('pushes live snapshots to socket.io subscribers about once a second', async () => {
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = ioClient(dp.httpUrl, { transports: ['websocket'], extraHeaders: auth.headers });
    try {
      const received: LiveSnapshot[] = [];
      socket.on('live', (s) => received.push(s));
      const ack = await new Promise<{ ok: boolean }>((resolve) => socket.emit('subscribe', 'demo', resolve));
      expect(ack.ok).toBe(true);
      await waitFor('three live events', () => received.length >= 3, 10_000);
      expect(received.every((s) => s.site === 'demo')).toBe(true);
      expect(received.at(-1)!.at).toBeGreaterThan(received[0]!.at);
      const denied = await new Promise<{ ok: boolean; error?: string }>((resolve) => socket.emit('subscribe', 'nowhere', resolve));
      expect(denied).toMatchObject({ ok: false });
    } finally {
      socket.close();
    }
  });

  it('rejects and counts garbage while good readings keep arriving', async () => {
    const client = await mqtt.connectAsync(dp.mqttUrl, { clientId: 'garbage-tester' });
    const rejectedNotices: { reason: string }[] = [];
    const watcher = await mqtt.connectAsync(dp.mqttUrl, { clientId: 'rejected-watcher' });
    try {
      await watcher.subscribeAsync('deskprint/_derived/+/rejected');
      watcher.on('message', (_t, p) => rejectedNotices.push(JSON.parse(p.toString()) as { reason: string }));
      const before = await health();
      await client.publishAsync('deskprint/demo/plug-n01/telemetry', '{"power_w": 4', { qos: 1 });
      await client.publishAsync('deskprint/demo/plug-n01/telemetry', JSON.stringify({ power_w: 'forty' }), { qos: 1 });
      await client.publishAsync('deskprint/demo/no-such-device/telemetry', JSON.stringify({ power_w: 40 }), { qos: 1 });
      await client.publishAsync('deskprint/demo/plug-n01/telemetry', Buffer.alloc(1024 * 1024, 0x61), { qos: 1 });
      const after = await waitFor('four rejections counted', async () => {
        const h = await health();
        return h.ingest.rejected - before.ingest.rejected >= 4 ? h : null;
      });
      const delta = (r: string) => (after.ingest.rejected_by_reason[r] ?? 0) - (before.ingest.rejected_by_reason[r] ?? 0);
      expect({ bad_json: delta('bad_json'), schema: delta('schema'), unknown_device: delta('unknown_device'), oversize: delta('oversize') }).toEqual({
        bad_json: 1,
        schema: 1,
        unknown_device: 1,
        oversize: 1,
      });
      await waitFor('rejection notices', () => rejectedNotices.length >= 4, 5_000);
      expect(rejectedNotices.map((n) => n.reason).sort()).toEqual(['bad_json', 'oversize', 'schema', 'unknown_device']);
      // The stream goes on: good readings are still stored after the garbage.
      const stored = after.ingest.stored;
      await waitFor('more readings stored after the garbage', async () => (await health()).ingest.stored > stored + 20);
    } finally {
      await client.endAsync();
      await watcher.endAsync();
    }
  });

  it('serves windowed series by category, and clear errors for bad queries', async () => {
    const { status, body } = await getJson<{ series: { tags: { category: string }; points: [number, number][] }[] }>(
      `${dp.httpUrl}/api/sites/demo/series?metric=power_w&by=category&every=1s&from=now-1m`,
      auth,
    );
    expect(status).toBe(200);
    const desk = body.series.find((s) => s.tags.category === 'desk');
    expect(desk?.points.some(([, w]) => w > 0)).toBe(true);
    expect(body.series.some((s) => s.tags.category === 'main')).toBe(false);
    const bad = await getJson<{ error: { code: string; message: string } }>(`${dp.httpUrl}/api/sites/demo/series?metric=power_kw`, auth);
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'ERR_METRIC_UNKNOWN' } } });
    const noSite = await getJson<{ error: { code: string } }>(`${dp.httpUrl}/api/sites/nowhere/live`, auth);
    expect(noSite).toMatchObject({ status: 404, body: { error: { code: 'ERR_SITE_NOT_FOUND' } } });
    const openapi = await getJson<{ paths: Record<string, unknown> }>(`${dp.httpUrl}/api/openapi.json`);
    expect(Object.keys(openapi.body.paths)).toEqual(expect.arrayContaining(['/api/health', '/api/sites/{site}/live', '/api/sites/{site}/series']));
  });
  it('shows the aggregate live view without sign-in in demo (a lobby display), and nothing personal', async () => {
    const live = await getJson<LiveSnapshot>(`${dp.httpUrl}/api/sites/demo/live`);
    expect(live.status).toBe(200);
    expect(live.body.desks.total).toBe(24);
    const sites = await getJson<{ id: string }[]>(`${dp.httpUrl}/api/sites`);
    expect(sites.body.map((s) => s.id)).toEqual(['demo']);
    // Footprints, exports and member pages still need sign-in.
    for (const url of ['/api/sites/demo/footprint', '/api/sites/demo/export', '/api/members/m01/footprint', '/api/audit']) {
      const res = await getJson<{ error: { code: string } }>(`${dp.httpUrl}${url}`);
      expect(res.status, url).toBe(401);
      expect(res.body.error.code).toBe('ERR_UNAUTHENTICATED');
    }
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = ioClient(dp.httpUrl, { transports: ['websocket'] });
    try {
      const got: LiveSnapshot[] = [];
      socket.on('live', (s) => got.push(s));
      const ack = await new Promise<{ ok: boolean }>((resolve) => socket.emit('subscribe', 'demo', resolve));
      expect(ack.ok).toBe(true);
      await waitFor('an anonymous live event', () => got.length >= 1, 5_000);
    } finally {
      socket.close();
    }
  });
  it('runs the footprint engine live: today’s site kWh and kgCO2e in /live, and the site footprint API', async () => {
    const live = await waitFor('today in the live view', async () => {
      const { body } = await getJson<LiveSnapshot>(`${dp.httpUrl}/api/sites/demo/live`, auth);
      return body.today && body.today.kwh > 0 ? body : null;
    });
    expect(live.today!.kgco2e).toBeGreaterThan(0);
    expect(Object.keys(live.today!.by_carrier).sort()).toEqual(['electricity', 'gas']);
    const fp = await getJson<Record<string, unknown>>(`${dp.httpUrl}/api/sites/demo/footprint?from=now-1d`, auth);
    expect(fp.status).toBe(200);
    expect(fp.body).toHaveProperty('conservation');
    // The funder report is served from the same process (its content is tested in tests/integration/reports.test.ts).
    const report = await getJson<{ site: unknown }>(`${dp.httpUrl}/api/sites/demo/reports/impact?from=now-1d&format=json`, auth);
    expect(report.status).toBe(200);
  });
});
