/**
 * The alerts, devices and check-in routes over real HTTP on an ephemeral port, and the
 * alerts socket event over a real socket.io connection: a manager following a site gets the
 * current alerts at once and every update; a socket that may not receive them gets none.
 */
import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Server } from 'socket.io';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertsResponse, ClientToServerEvents, DevicesResponse, MemberCheckinsResponse, ServerToClientEvents } from '../../../devices/api-types.ts';
import { siteFileSchema } from '../../../devices/site.ts';
import { errorHandler } from '../../../api/errors.ts';
import { alertRoutes, attachAlertsSocket } from '../../../api/routes/alerts.ts';
import { checkinRoutes } from '../../../api/routes/checkins.ts';
import { deviceRoutes } from '../../../api/routes/devices.ts';
import { AlertsProcessor } from '../../../ingest/alerts.ts';
import { MEASUREMENT_CHECKINS, type EnrichedReading } from '../../../ingest/types.ts';
import { Registry } from '../../../store/registry.ts';
import { SqliteStore } from '../../../store/sqlite.ts';

const T0 = Date.UTC(2026, 10, 17, 10, 0);
const MIN = 60_000;

const registry = new Registry();
registry.loadSite(
  siteFileSchema.parse({
    id: 'hub', name: 'Hub', timezone: 'Europe/London', area_m2: 100,
    factors: [{ name: 'UK', year: 2025, basis: 'location', source: 'DESNZ 2025', electricity: 0.177 }],
    zones: [{ id: 'north', name: 'North', area_m2: 100 }],
    desks: [{ id: 'n1', zone: 'north' }],
    devices: [
      { id: 'occ-n1', kind: 'desk_occupancy', desk: 'n1' },
      { id: 'light-north', kind: 'zone_lighting', zone: 'north', carrier: 'electricity', name: 'North lights' },
    ],
    members: [{ id: 'm1', name: 'Ada' }, { id: 'm2', name: 'Ben' }],
  }),
);
registry.noteDiscovered('zigbee2mqtt', 'mystery plug', T0);

const activity = new Map([
  ['hub/occ-n1', { lastSeen: T0, status: 'online' as const, rejected: 2, lastRejected: 'schema' }],
  ['hub/light-north', { lastSeen: T0 - 10 * MIN, status: null, rejected: 0, lastRejected: null }],
]);
const alerts = new AlertsProcessor({ registry });
let dataDir: string;
let store: SqliteStore;
let server: http.Server;
let io: Server<ClientToServerEvents, ServerToClientEvents>;
let base: string;
let role = 'manager';
const sockets: Socket[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'deskprint-alert-routes-'));
  store = new SqliteStore({ file: path.join(dataDir, 'ts.db') });
  await store.init();
  await store.write([
    { measurement: MEASUREMENT_CHECKINS, tags: { site: 'hub', member: 'm1', device: 'badge', desk: 'n1', zone: 'north' }, fields: { check_in: 1 }, ts: T0 - 60 * MIN },
    { measurement: MEASUREMENT_CHECKINS, tags: { site: 'hub', member: 'm1', device: 'badge', desk: 'n1', zone: 'north' }, fields: { check_in: 0 }, ts: T0 - 5 * MIN },
    { measurement: MEASUREMENT_CHECKINS, tags: { site: 'hub', member: 'm2', device: 'badge' }, fields: { check_in: 1 }, ts: T0 - 30 * MIN },
  ]);
  const app = express();
  // Stands in for the auth layer: the test decides the caller's role.
  app.use((req, _res, next) => {
    (req as { auth?: unknown }).auth = { user: { role, sites: ['hub'] } };
    next();
  });
  const api = express.Router();
  api.use(alertRoutes({ registry, alerts }));
  api.use(deviceRoutes({ registry, activity: (s, d) => activity.get(`${s}/${d}`), battery: (s, d) => alerts.battery(s, d), clock: () => T0 + MIN }));
  api.use(checkinRoutes({ registry, store, clock: () => T0 }));
  app.use('/api', api);
  app.use(errorHandler({ error: () => undefined }));
  server = http.createServer(app);
  io = new Server(server);
  io.use((socket, next) => {
    socket.data = { role: socket.handshake.auth.role };
    next();
  });
  attachAlertsSocket(io, registry, alerts, { mayReceive: (data) => (data as { role: string }).role === 'manager' });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const s of sockets) s.close();
  await new Promise<void>((resolve) => {
    void io.close();
    server.close(() => resolve());
  });
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function raiseLightsAlert(): void {
  const light = (metric: EnrichedReading['metric'], value: number, ts: number): EnrichedReading =>
    ({ site: 'hub', device: 'light-north', kind: 'zone_lighting', zone: 'north', category: 'lighting', carrier: 'electricity', metric, value, ts }) as EnrichedReading;
  alerts.onReadings([
    { site: 'hub', device: 'occ-n1', kind: 'desk_occupancy', desk: 'n1', zone: 'north', metric: 'occupied', value: 0, ts: T0 } as EnrichedReading,
    { site: 'hub', device: 'occ-n1', kind: 'desk_occupancy', desk: 'n1', zone: 'north', metric: 'battery_pct', value: 64, ts: T0 } as EnrichedReading,
    light('on', 1, T0),
    light('power_w', 300, T0),
  ]);
  alerts.tick(T0 + 20 * MIN);
}

function follow(socketRole: string): Promise<{ socket: Socket; received: AlertsResponse[] }> {
  const socket: Socket = connect(base, { transports: ['websocket'], auth: { role: socketRole } });
  sockets.push(socket);
  const received: AlertsResponse[] = [];
  socket.on('alerts', (u: AlertsResponse) => received.push(u));
  // The live room's handler (api/socket.ts, not attached here) acknowledges subscriptions.
  return new Promise((resolve) =>
    socket.on('connect', () => {
      socket.emit('subscribe', 'hub');
      resolve({ socket, received });
    }),
  );
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
}

describe('alerts API', () => {
  it('lists the alert ingest raised, with its waste estimate, for a manager', async () => {
    raiseLightsAlert();
    role = 'manager';
    const res = await fetch(`${base}/api/sites/hub/alerts`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as AlertsResponse;
    expect(body.active).toHaveLength(1);
    expect(body.active[0]).toMatchObject({ kind: 'lights_empty_zone', device: 'light-north', since: T0 });
    expect(body.active[0]!.wasted_kwh).toBeCloseTo(0.1, 9); // 300 W × 20 min
  });

  it('refuses members and funders, and answers 404 for an unknown site', async () => {
    role = 'member';
    expect((await fetch(`${base}/api/sites/hub/alerts`)).status).toBe(403);
    expect((await fetch(`${base}/api/sites/hub/devices`)).status).toBe(403);
    role = 'manager';
    const missing = await fetch(`${base}/api/sites/nowhere/alerts`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('ERR_SITE_NOT_FOUND');
  });

  it('pushes alerts to a manager on subscribe and on every update, and none to a member', async () => {
    const manager = await follow('manager');
    const member = await follow('member');
    await until(() => manager.received.length > 0);
    await new Promise((r) => setTimeout(r, 100)); // time for a wrongly sent event to reach the member
    expect(manager.received[0]!.active.map((a) => a.kind)).toEqual(['lights_empty_zone']);
    alerts.tick(T0 + 21 * MIN);
    await until(() => manager.received.length > 1);
    expect(manager.received.at(-1)!.at).toBe(T0 + 21 * MIN);
    expect(member.received).toEqual([]);
  });
});

describe('devices API', () => {
  it('shows last seen, status, battery, rejections and discovered devices', async () => {
    const body = (await (await fetch(`${base}/api/sites/hub/devices`)).json()) as DevicesResponse;
    const occ = body.devices.find((d) => d.id === 'occ-n1')!;
    expect(occ).toMatchObject({ status: 'online', last_seen: T0, battery_pct: 64, rejected: 2, last_rejected: 'schema', kind_label: 'Desk occupancy sensor' });
    // Lighting cadence 60 s: ten minutes without a message is silent.
    expect(body.devices.find((d) => d.id === 'light-north')).toMatchObject({ status: 'silent', name: 'North lights' });
    expect(body.discovered).toEqual([{ ecosystem: 'zigbee2mqtt', foreign_id: 'mystery plug', first_seen: T0, last_seen: T0, messages: 1 }]);
  });
});

describe('member check-ins API', () => {
  it("returns the member's own check-ins and check-outs, newest first, and nobody else's", async () => {
    const body = (await (await fetch(`${base}/api/members/m1/checkins?from=${T0 - 120 * MIN}&to=${T0}`)).json()) as MemberCheckinsResponse;
    expect(body.events).toEqual([
      { site: 'hub', ts: T0 - 5 * MIN, action: 'check_out', desk: 'n1', zone: 'north', device: 'badge' },
      { site: 'hub', ts: T0 - 60 * MIN, action: 'check_in', desk: 'n1', zone: 'north', device: 'badge' },
    ]);
    expect((await fetch(`${base}/api/members/nobody/checkins`)).status).toBe(404);
  });
});
