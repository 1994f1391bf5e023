/**
 * `deskprint start`: every part in one process on the embedded default — aedes broker,
 * ingest, API + dashboard, SQLite under the data directory, and with `demo` the demo
 * building's simulator publishing over real MQTT.
 */
import http from 'node:http';
import https from 'node:https';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Express, Router } from 'express';
import type { Health, LiveSnapshot } from '../devices/api-types.ts';
import type { EmbeddedBroker } from '../broker/index.ts';
import { Ingest } from '../ingest/pipeline.ts';
import { LiveState } from '../ingest/live.ts';
import { AedesSource, MqttSource, type InboundMessage, type MessageSource } from '../ingest/sources.ts';
import { StoreWriter } from '../ingest/writer.ts';
import { MEASUREMENT_READINGS, type Processor } from '../ingest/types.ts';
import { Registry } from '../store/registry.ts';
import { createStore } from '../store/index.ts';
import { storeConfigOf } from './commands/common.ts';
import type { TagFilter, TimeSeriesStore } from '../store/types.ts';
import type { SiteFile } from '../devices/site.ts';
import { createApp } from '../api/app.ts';
import { attachLiveSocket } from '../api/socket.ts';
import { limitSockets } from '../api/sockets.ts';
import { alertRoutes, attachAlertsSocket } from '../api/routes/alerts.ts';
import { checkinRoutes } from '../api/routes/checkins.ts';
import { deviceRoutes, unsupportedView } from '../api/routes/devices.ts';
import { createSparkplugAdapter } from '../devices/sparkplug/adapter.ts';
import { AlertsProcessor } from '../ingest/alerts.ts';
import { ADAPTERS } from '../devices/index.ts';
import { createZigbee2mqttAdapter } from '../devices/zigbee2mqtt/adapter.ts';
import { haAvailabilityMessage, haDiscoveryMessages, haStateMessage, type MqttOutMessage } from '../devices/homeassistant/discovery.ts';
import { DerivedFollower, publishDerived } from '../ingest/derived.ts';
import { createFootprintProcessor, type FootprintProcessor } from '../ingest/footprint.ts';
import { SiteStates } from '../ingest/sites.ts';
import { footprintRoutes } from '../api/routes/footprint.ts';
import { gridForecastRoutes } from '../api/routes/grid-forecast.ts';
import { networkRoutes } from '../api/routes/network.ts';
import { reportRoutes } from '../api/routes/reports.ts';
import { startReportScheduler } from '../api/reports/index.ts';
import { authenticateSocket, socketCanSee } from '../api/auth/index.ts';
import { ensureDemoUsers, type DemoUser } from '../api/auth/demo.ts';
import { startRetention } from '../api/auth/privacy.ts';
import type { BrokerAuth } from '../broker/auth.ts';
import { createConfiguredBroker, readTls } from './broker.ts';
import { Accounts, registerAddedDevices } from '../accounts/accounts.ts';
import { ROOT, VERSION, loadSiteFiles } from './paths.ts';
import { loadConfig, reportConfig as reportSettingsOf, type Config, type ConfigInput } from './config.ts';
import { createLogger, type Logger } from './log.ts';
import { READINGS_ROLLUP, WrittenHours, startRollups } from '../store/rollup.ts';

export { ROOT, VERSION };

export interface DeskprintHandle {
  config: Config;
  /** The express app serving the API and dashboard (tests walk its routes against the OpenAPI document). */
  app: Express;
  httpUrl: string;
  httpPort: number;
  /** Embedded broker's TCP port; null with an external broker. */
  mqttPort: number | null;
  /** URL devices and simulators publish to. */
  mqttUrl: string;
  /** Embedded broker's TLS (mqtts) port when certificates are configured; else null. */
  mqttsPort: number | null;
  /** Users, tokens, device credentials, audit log (docs/security.md). */
  accounts: Accounts;
  /** Embedded broker's authentication and ACL; null with an external broker. */
  brokerAuth: BrokerAuth | null;
  /** With --demo: the demo sign-ins and their passwords for this run. */
  demoUsers: DemoUser[];
  registry: Registry;
  store: TimeSeriesStore;
  /** Built but not started in a `deskprint api` process (its counters stay at zero). */
  ingest: Ingest;
  live: LiveState;
  /** The footprint engine (issue 3). */
  footprint: FootprintProcessor;
  /** Waste and device-health alerts (issue 7). */
  alerts: AlertsProcessor;
  writer: StoreWriter;
  health(): Health;
  close(): Promise<void>;
}

export interface StartExtras {
  log?: Logger;
  /** Extra processors (tests). */
  processors?: Processor[];
  /** Clock for sessions, lockouts, audit and broker rate limits (tests). */
  authClock?: () => number;
}

/**
 * Each device's last stored `energy_wh` at a site: the last day first (a demo restarted
 * after a pause), then up to 400 days back only for the devices without one in it, so a
 * start does not read a year of counters.
 */
async function lastCounters(store: TimeSeriesStore, site: SiteFile, now: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const DAY = 86_400_000;
  let where: TagFilter = { site: site.id };
  for (const days of [1, 400]) {
    const last = await store.queryAggregate({ measurement: MEASUREMENT_READINGS, field: 'energy_wh', from: now - days * DAY, to: now + 1, every: (days + 1) * DAY, fn: 'last', where, by: ['device'] });
    for (const s of last) {
      const p = s.points.at(-1);
      if (p) out[s.tags.device!] = p.value;
    }
    const missing = site.devices.map((d) => d.id).filter((id) => !(id in out));
    if (missing.length === 0) break;
    where = { site: site.id, device: missing };
  }
  return out;
}

/** Starts deskprint; `input` takes the same keys as the configuration (flags/env already merged or not). */
export async function startDeskprint(input: ConfigInput | Config, extras: StartExtras = {}): Promise<DeskprintHandle> {
  const config = loadConfig(input as ConfigInput);
  // Report delivery is part of the configuration, checked by loadConfig with the rest.
  const reportConfig = reportSettingsOf(config);
  const log = extras.log ?? createLogger(config.logLevel);
  const dataDir = path.resolve(config.dataDir);
  const cleanups: (() => Promise<void> | void)[] = [];
  const closeAll = async () => {
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'error while stopping');
      }
    }
  };

  try {
    const registry = new Registry(path.join(dataDir, 'registry.db'));
    cleanups.push(() => registry.close());
    for (const site of loadSiteFiles(config.sites)) registry.loadSite(site);
    const accounts = new Accounts({ file: path.join(dataDir, 'accounts.db'), ...(extras.authClock ? { clock: extras.authClock } : {}) });
    cleanups.push(() => accounts.close());
    registerAddedDevices(registry, accounts.credentials());
    const demoUsers = config.demo ? await ensureDemoUsers(accounts, registry) : [];
    const tls = readTls(config);

    const store = createStore(storeConfigOf(config, dataDir));
    // Bounded: an InfluxDB that does not answer is waited for a few seconds at most, then
    // written to the spool (store/influx/store.ts), so devices are never kept waiting on it.
    await store.init();
    cleanups.push(() => store.close());

    let broker: EmbeddedBroker | undefined;
    let listenBroker: (() => Promise<{ mqttPort: number; mqttsPort: number | null }>) | undefined;
    let source: MessageSource;
    let mqttPort: number | null = null;
    let mqttsPort: number | null = null;
    let brokerAuth: BrokerAuth | null = null;
    if (config.mqttUrl) {
      source = new MqttSource({
        url: config.mqttUrl,
        ...(config.mqttUsername ? { username: config.mqttUsername } : {}),
        ...(config.mqttPassword ? { password: config.mqttPassword } : {}),
        // Ingest resumes its persistent session under the same id; an API process only follows.
        ...(config.role !== 'api' ? { clientId: config.mqttClientId } : {}),
      });
    } else {
      const configured = await createConfiguredBroker(config, accounts, log, {
        ...(extras.authClock ? { clock: extras.authClock } : {}),
        // A device added with `deskprint devices add --kind` while running: register it on connect.
        onDeviceConnect: (c) => {
          if (c.site && !registry.device(c.site, c.username)) registerAddedDevices(registry, [c]);
        },
      });
      ({ broker, auth: brokerAuth } = configured);
      listenBroker = configured.listen;
      cleanups.push(() => configured.broker.close());
      source = new AedesSource(configured.broker);
    }

    const runIngest = config.role !== 'api';
    // The hours ingest has written to: what the rollup schedule recomputes (store/rollup.ts).
    const written = new WrittenHours();
    const writer = new StoreWriter({ store, log: log.child({ module: 'ingest:writer' }), onStored: (_readings, points) => written.note(points) });
    let ingest: Ingest | undefined;
    // The footprint engine (METHODOLOGY.md) runs incrementally as readings arrive; its
    // closed intervals are stored as series and its running day totals feed the live view.
    const sitesById = new Map(registry.sites().map((s) => [s.id, s] as const));
    const footprint = createFootprintProcessor({ sites: sitesById, store });
    // One state owner per site (clock, latest values, presence, activity), rebuilt when the
    // registry changes; a site changed while running reaches the footprint engine too.
    const siteStates = new SiteStates(registry);
    siteStates.onSiteChange((state) => {
      sitesById.set(state.site.id, state.site);
      footprint.siteChanged(state.site);
    });
    const liveState = new LiveState({ registry, sites: siteStates, today: (site) => footprint.today(site) });
    // Waste and device-health alerts (issue 7), raised in ingest so they exist without a browser open.
    const alerts = new AlertsProcessor({ registry, sites: siteStates, activity: (site, device) => siteStates.get(site)?.activity(device) });
    let follower: DerivedFollower | undefined;
    ingest = new Ingest({
      registry,
      source,
      writer,
      processors: [siteStates, footprint, liveState, alerts, ...(extras.processors ?? [])],
      activity: siteStates.activity,
      log: log.child({ module: 'ingest' }),
      maxPayloadBytes: config.maxPayloadBytes,
      adapters: ADAPTERS.map((a) =>
        a.name === 'zigbee2mqtt' && config.zigbee2mqttBaseTopic !== 'zigbee2mqtt' ? createZigbee2mqttAdapter({ baseTopic: config.zigbee2mqttBaseTopic })
        // Sparkplug metric names mean what the site file says they mean.
        : a.name === 'sparkplug' ? createSparkplugAdapter({ metricsOf: (id) => registry.foreign('sparkplug', id)?.foreign?.metrics })
        : a),
    });
    const ing = ingest;
    if (runIngest) {
      await ingest.start();
      // Stopping drains in this order (issue 17): the broker refuses further publishes, ingest
      // stops taking messages, the writer hands everything to the store, and the store spools
      // what InfluxDB will not take. Devices were acknowledged only what was durable.
      cleanups.push(async () => {
        await ing.stop();
        await writer.close();
      });
      const auth = brokerAuth;
      const embedded = broker;
      if (auth && embedded) {
        cleanups.push(() => {
          auth.stopAccepting();
          embedded.stopListening();
        });
      }
      // API processes elsewhere follow live data, alerts and device activity over MQTT
      // (DESIGN "Scaling past one machine").
      const derived = publishDerived({ source, registry, live: liveState, alerts, activity: (site, device) => ing.activity.get(site, device) });
      cleanups.push(() => derived.stop());
      if (config.haDiscovery) {
        // Home Assistant shows each site's power, occupancy and today's kgCO2e (docs/devices.md).
        const send = (m: MqttOutMessage) => void source.publish(m.topic, m.payload, { retain: m.retain, qos: 1 }).catch(() => {});
        for (const site of registry.sites()) {
          for (const m of haDiscoveryMessages(site, { discoveryPrefix: config.haDiscoveryPrefix, swVersion: VERSION })) send(m);
          send(haAvailabilityMessage(site.id, true));
        }
        const lastSent = new Map<string, number>();
        liveState.on('live', (snap: LiveSnapshot) => {
          // A few times a minute is plenty for Home Assistant's history.
          if (snap.at - (lastSent.get(snap.site) ?? 0) < 10_000) return;
          lastSent.set(snap.site, snap.at);
          send(haStateMessage(snap));
        });
        cleanups.push(async () => {
          for (const site of registry.sites()) {
            const m = haAvailabilityMessage(site.id, false);
            await source.publish(m.topic, m.payload, { retain: true, qos: 1 }).catch(() => {});
          }
        });
      }
    } else {
      follower = new DerivedFollower(source);
      await follower.start();
      const f = follower;
      cleanups.push(() => f.stop());
    }
    const live = follower ?? liveState;
    // Devices may connect only now that ingest has subscribed: a publish accepted with no
    // subscriber would be acknowledged and lost.
    if (listenBroker) ({ mqttPort, mqttsPort } = await listenBroker());

    const started = Date.now();
    const health = (): Health => {
      const s = store.health();
      return {
        status: s.state === 'ok' ? 'ok' : 'degraded',
        version: VERSION,
        uptime_s: Math.round((Date.now() - started) / 1000),
        ingest: {
          received: ing.counters.received ?? 0,
          stored: writer.stored,
          rejected: ing.counters.rejected ?? 0,
          rejected_by_reason: { ...(ing.counters.rejectedByReason ?? {}) } as Record<string, number>,
          processor_errors: { ...(ing.counters.processorErrors ?? {}) },
          readings: ing.counters.readings ?? 0,
          checkins: ing.counters.checkins ?? 0,
          duplicate_readings: ing.counters.duplicateReadings ?? 0,
          conflicting_readings: ing.counters.conflictingReadings ?? 0,
          pending: writer.depth,
          dropped_metrics: { ...ing.counters.droppedMetrics } as Record<string, number>,
          unsupported: unsupportedView(ing.unsupported()),
        },
        store: {
          kind: s.kind,
          state: s.state,
          queue_depth: s.queueDepth + writer.depth,
          spool_bytes: s.spoolBytes,
          written: s.written,
          dropped: s.dropped,
          last_error: s.lastError,
        },
        broker: broker && brokerAuth ? { embedded: true, clients: broker.clients(), flood_disconnects: brokerAuth.counters.floodDisconnects, replayed: brokerAuth.counters.replayed } : null,
      };
    };

    if (config.buildDashboard) {
      // A broken dashboard build must not take the API and ingest down with it.
      await ensureDashboardBuilt(log).catch((err: Error) => log.error({ err: err.message.split('\n')[0] }, 'dashboard build failed; serving the API only'));
    }
    const routers: Router[] = [
      footprintRoutes({ store, sites: sitesById, ...(runIngest ? { engine: footprint } : {}) }),
      reportRoutes({ store, registry, dataDir, ...(runIngest ? { engine: footprint } : {}), scheduleOf: (site) => reportConfig.schedules.get(site) ?? 'monthly' }),
      networkRoutes({ store, registry, ...(runIngest ? { engine: footprint } : {}) }),
      gridForecastRoutes({ store, registry }),
      alertRoutes({ registry, alerts: follower ?? alerts }),
      deviceRoutes({
        registry,
        activity: (site, device) => (follower ? follower.activity(site, device) : ing.activity.get(site, device)),
        battery: (site, device) => (follower ? follower.battery(site, device) : alerts.battery(site, device)),
        unsupported: () => (follower ? [] : ing.unsupported()),
      }),
      checkinRoutes({ registry, store }),
    ];
    const publicLive = config.publicLive ?? config.demo;
    // Funder reports: each closed period's report is generated once, stored, and emailed
    // when SMTP is configured (docs/reports.md).
    // One process generates scheduled reports: the one that runs ingest.
    if (runIngest) {
      const reportScheduler = startReportScheduler({ store, sites: registry, dataDir, config: reportConfig, engine: footprint, log: log.child({ module: 'reports' }) });
      cleanups.push(() => reportScheduler.stop());
    }
    const app = createApp({
      registry, store, live, health, log: log.child({ module: 'api' }), version: VERSION, dashboardDir: path.join(ROOT, 'dashboard', 'dist'), routers, publicLive,
      accounts, sessionTtlMs: config.sessionTtlHours * 3_600_000, https: tls !== null, trustProxy: config.trustProxy, loginFailuresPerAddress: config.loginFailuresPerAddress,
      ...(runIngest ? { ingestMessage: (msg: InboundMessage) => ing.handle(msg), maxPayloadBytes: config.maxPayloadBytes } : {}),
    });
    const server = tls ? https.createServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, app) : http.createServer(app);
    limitSockets(server, { headersTimeoutMs: config.httpHeadersTimeoutMs, requestTimeoutMs: config.httpRequestTimeoutMs, keepAliveTimeoutMs: config.httpKeepAliveTimeoutMs, maxConnections: config.httpMaxConnections }, log);
    broker?.attachWebSocket(server, '/mqtt');
    const authenticate = authenticateSocket(accounts);
    const liveSocket = attachLiveSocket(server, {
      registry,
      live,
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
    const detachAlerts = attachAlertsSocket(liveSocket.io, registry, follower ?? alerts, { mayReceive: (data, site) => socketCanSee(data, site, ['manager']) });
    if (runIngest) {
      const retention = startRetention({ store, accounts, log: log.child({ module: 'retention' }) }, config.retentionMonths);
      cleanups.push(() => retention.stop());
      // Hourly and daily rollups, which long charts read (store/rollup.ts).
      const rollups = startRollups(store, [READINGS_ROLLUP], { log: log.child({ module: 'rollup' }), written });
      cleanups.push(() => rollups.stop());
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.httpPort, config.host, () => resolve());
    });
    cleanups.push(
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
    const httpUrl = `${tls ? 'https' : 'http'}://${shownHost}:${httpPort}`;
    const mqttUrl = config.mqttUrl ?? `mqtt://${config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host}:${mqttPort}`;
    log.info({ httpPort, mqttPort, mqttsPort, store: store.kind, dataDir }, `deskprint ${VERSION}: dashboard ${httpUrl}  MQTT ${mqttUrl}${mqttsPort !== null ? `  MQTTS port ${mqttsPort}` : ''}  (WebSocket ${httpUrl.replace('http', 'ws')}/mqtt)`);
    if (demoUsers.length) {
      // Demo only: fresh random passwords each start, shown once here (docs/security.md).
      log.info(`demo sign-in (this run only): ${demoUsers.map((u) => `${u.name} / ${u.password}`).join('   ')}`);
    }

    if (config.demo && config.simulate && config.role === 'all') {
      const { startSimulator } = await import('../simulators/demo.ts');
      // Every loaded site is simulated (`npm start` loads a second one for the network view).
      for (const [k, site] of registry.sites().entries()) {
        // Continue the demo's meters from their last stored readings: a counter that came back
        // lower after a restart would count as a reset and invent energy.
        const initialCounters = await lastCounters(store, site, Date.now());
        const sim = await startSimulator({ site, mqttUrl, webhookUrl: httpUrl, demo: true, seed: 1 + k, initialCounters, log: (m: string) => log.child({ module: 'simulator' }).debug(m) });
        cleanups.push(() => sim.stop()); // runs first: devices stop before ingest and broker
        log.info(`demo simulator publishing ${site.devices.length} devices of site "${site.id}"`);
      }
      // The demo's grid forecast (METHODOLOGY §3 "Greener hours"), for sites with a grid feed,
      // issued every half hour as the Carbon Intensity API's is.
      const feedSites = registry.sites().filter((s) => s.devices.some((d) => d.kind === 'grid_feed'));
      if (feedSites.length > 0) {
        const { simulatedForecast } = await import('../simulators/grid-forecast.ts');
        const { forecastPoints } = await import('../footprint/greener-hours.ts');
        const issue = () => {
          for (const s of feedSites) void store.write(forecastPoints(s.id, simulatedForecast(Date.now()), Date.now())).catch(() => {});
        };
        issue();
        const timer = setInterval(issue, 30 * 60_000);
        timer.unref();
        cleanups.push(() => clearInterval(timer));
      }
    }

    return { config, app, httpUrl, httpPort, mqttPort, mqttUrl, mqttsPort, accounts, brokerAuth, demoUsers, registry, store, ingest, live: liveState, footprint, alerts, writer, health, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
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
