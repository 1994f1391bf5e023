/**
 * The API role: express routes, the dashboard, socket.io and MQTT over WebSocket on one HTTP
 * server. It reads live data from `LiveSources`: the in-process ingest parts in `deskprint
 * start` and `deskprint ingest`, or the derived topics it follows in a `deskprint api`
 * process, which holds no state of its own and can run as many copies as needed.
 */
import http from 'node:http';
import https from 'node:https';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Express, Router } from 'express';
import type { Health, LiveSnapshot } from '../../devices/api-types.ts';
import type { SiteFile } from '../../devices/site.ts';
import type { InboundMessage } from '../../ingest/sources.ts';
import type { UnsupportedTraffic } from '../../ingest/pipeline.ts';
import type { LiveDays } from '../../footprint/read.ts';
import { createApp } from '../../api/app.ts';
import { attachLiveSocket } from '../../api/socket.ts';
import { limitSockets } from '../../api/sockets.ts';
import { alertRoutes, attachAlertsSocket, type AlertSource } from '../../api/routes/alerts.ts';
import { checkinRoutes } from '../../api/routes/checkins.ts';
import { deviceRoutes, type DeviceActivityView } from '../../api/routes/devices.ts';
import { footprintRoutes } from '../../api/routes/footprint.ts';
import { reportRoutes } from '../../api/routes/reports.ts';
import { gridForecastRoutes } from '../../api/routes/grid-forecast.ts';
import { networkRoutes } from '../../api/routes/network.ts';
import { authenticateSocket, socketCanSee } from '../../api/auth/index.ts';
import { readTls } from '../broker.ts';
import { ROOT, VERSION } from '../paths.ts';
import type { Logger } from '../log.ts';
import type { Foundation } from './foundation.ts';
import type { Lifecycle } from './lifecycle.ts';
import type { Transport } from './transport.ts';

/** The live data the API serves, wherever it comes from. */
export interface LiveSources {
  live: EventEmitter & { latest(site: string): LiveSnapshot | undefined };
  alerts: AlertSource;
  activity: (site: string, device: string) => DeviceActivityView | undefined;
  battery: (site: string, device: string) => { value: number; ts: number } | undefined;
  unsupported: () => readonly UnsupportedTraffic[];
  /** The site files the footprint routes read by id. */
  sites: ReadonlyMap<string, SiteFile>;
  /** The live footprint engine: today's provisional figures; absent away from ingest. */
  engine?: LiveDays;
  /** Hands a webhook's message to ingest; absent away from ingest (the route answers 503). */
  ingestMessage?: (msg: InboundMessage) => Promise<void> | void;
}

export interface ApiRole {
  app: Express;
  httpPort: number;
  httpUrl: string;
}

/** Builds the app on `sources` and listens; MQTT over WebSocket too with the embedded broker. */
export async function startApiRole(f: Foundation, sources: LiveSources, health: () => Health, transport: Transport | null, life: Lifecycle): Promise<ApiRole> {
  const { config, registry, store, accounts, log } = f;
  const tls = readTls(config);
  if (config.buildDashboard) {
    // A broken dashboard build must not take the API and ingest down with it.
    await ensureDashboardBuilt(log).catch((err: Error) => log.error({ err: err.message.split('\n')[0] }, 'dashboard build failed; serving the API only'));
  }
  const engine = sources.engine ? { engine: sources.engine } : {};
  const routers: Router[] = [
    footprintRoutes({ store, sites: sources.sites, ...engine }),
    reportRoutes({ store, registry, dataDir: f.dataDir, ...engine, scheduleOf: (site) => f.reports.schedules.get(site) ?? 'monthly' }),
    networkRoutes({ store, registry, ...engine }),
    gridForecastRoutes({ store, registry }),
    alertRoutes({ registry, alerts: sources.alerts }),
    deviceRoutes({ registry, activity: sources.activity, battery: sources.battery, unsupported: sources.unsupported }),
    checkinRoutes({ registry, store }),
  ];
  const publicLive = config.publicLive ?? config.demo;
  const app = createApp({
    registry, store, live: sources.live, health, log: log.child({ module: 'api' }), version: VERSION, dashboardDir: path.join(ROOT, 'dashboard', 'dist'), routers, publicLive,
    accounts, sessionTtlMs: config.sessionTtlHours * 3_600_000, https: tls !== null, trustProxy: config.trustProxy, loginFailuresPerAddress: config.loginFailuresPerAddress,
    ...(sources.ingestMessage ? { ingestMessage: sources.ingestMessage, maxPayloadBytes: config.maxPayloadBytes } : {}),
  });
  const server = tls ? https.createServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, app) : http.createServer(app);
  limitSockets(server, { headersTimeoutMs: config.httpHeadersTimeoutMs, requestTimeoutMs: config.httpRequestTimeoutMs, keepAliveTimeoutMs: config.httpKeepAliveTimeoutMs, maxConnections: config.httpMaxConnections }, log);
  transport?.embedded?.broker.attachWebSocket(server, '/mqtt');
  const authenticate = authenticateSocket(accounts);
  const liveSocket = attachLiveSocket(server, {
    registry,
    live: sources.live,
    // With a public live view, a socket without credentials may still follow the aggregate live room.
    authenticate: publicLive
      ? (handshake) => {
          try {
            return authenticate(handshake);
          } catch {
            return { public: true };
          }
        }
      : authenticate,
    canSee: (data, site) => socketCanSee(data, site) || (publicLive && registry.site(site) !== undefined),
  });
  const detachAlerts = attachAlertsSocket(liveSocket.io, registry, sources.alerts, { mayReceive: (data, site) => socketCanSee(data, site, ['manager']) });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.httpPort, config.host, () => resolve());
  });
  life.defer(
    () =>
      new Promise<void>((resolve) => {
        detachAlerts();
        void liveSocket.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const httpPort = (server.address() as AddressInfo).port;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  return { app, httpPort, httpUrl: `${tls ? 'https' : 'http'}://${shownHost}:${httpPort}` };
}

/** Builds the dashboard when dist is missing or older than its sources (npm start on a fresh clone). */
export async function ensureDashboardBuilt(log: Logger): Promise<void> {
  const dir = path.join(ROOT, 'dashboard');
  const index = path.join(dir, 'dist', 'index.html');
  if (!existsSync(path.join(dir, 'vite.config.ts'))) return;
  const built = existsSync(index) ? statSync(index).mtimeMs : 0;
  if (built > 0 && newestMtime(path.join(dir, 'src')) <= built && statSync(path.join(dir, 'index.html')).mtimeMs <= built) return;
  log.info('building the dashboard (first start, or its sources changed)…');
  const { build } = await import('vite');
  await build({ configFile: path.join(dir, 'vite.config.ts'), logLevel: 'warn' });
}

function newestMtime(dir: string): number {
  let newest = 0;
  if (!existsSync(dir)) return 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}
