/**
 * The `deskprint` processes, put together from the role assemblers in cli/roles/:
 * `deskprint start` runs every part in one process on the embedded default (aedes broker,
 * ingest, API + dashboard, SQLite under the data directory, and with `demo` the demo
 * building's simulator publishing over real MQTT); `deskprint ingest` runs ingest and its own
 * API against an external broker; `deskprint api` serves the API alone, following ingest's
 * derived topics (DESIGN "Processes").
 */
import type { Express } from 'express';
import type { Health, IngestHealth } from '../devices/api-types.ts';
import type { EmbeddedBroker } from '../broker/index.ts';
import type { BrokerAuth } from '../broker/auth.ts';
import type { Ingest } from '../ingest/pipeline.ts';
import type { LiveState } from '../ingest/live.ts';
import type { StoreWriter } from '../ingest/writer.ts';
import type { AlertsProcessor } from '../ingest/alerts.ts';
import type { FootprintProcessor } from '../ingest/footprint.ts';
import type { Processor } from '../ingest/types.ts';
import { DerivedFollower } from '../ingest/derived.ts';
import { MEASUREMENT_READINGS } from '../ingest/types.ts';
import type { TagFilter, TimeSeriesStore } from '../store/types.ts';
import type { SiteFile } from '../devices/site.ts';
import type { Accounts } from '../accounts/accounts.ts';
import type { DemoUser } from '../api/auth/demo.ts';
import type { Registry } from '../store/registry.ts';
import { ROOT, VERSION } from './paths.ts';
import { loadConfig, type Config, type ConfigInput } from './config.ts';
import { createLogger, type Logger } from './log.ts';
import { Lifecycle } from './roles/lifecycle.ts';
import { openFoundation, type Foundation } from './roles/foundation.ts';
import { openTransport, type Transport } from './roles/transport.ts';
import { startIngestRole } from './roles/ingest.ts';
import { startApiRole, ensureDashboardBuilt, type LiveSources } from './roles/api.ts';
import { healthOf } from './roles/health.ts';

export { ROOT, VERSION, ensureDashboardBuilt };

/** What every process offers its caller (main.ts, tests). */
export interface ProcessHandle {
  config: Config;
  /** The express app serving the API and dashboard (tests walk its routes against the OpenAPI document). */
  app: Express;
  httpUrl: string;
  httpPort: number;
  /** Users, tokens, device credentials, audit log (docs/security.md). */
  accounts: Accounts;
  registry: Registry;
  store: TimeSeriesStore;
  health(): Health;
  close(): Promise<void>;
}

/** A process running ingest: `deskprint start` and `deskprint ingest`. */
export interface DeskprintHandle extends ProcessHandle {
  /** Embedded broker's TCP port; null with an external broker. */
  mqttPort: number | null;
  /** URL devices and simulators publish to. */
  mqttUrl: string;
  /** Embedded broker's TLS (mqtts) port when certificates are configured; else null. */
  mqttsPort: number | null;
  /** Embedded broker's authentication and ACL; null with an external broker. */
  brokerAuth: BrokerAuth | null;
  /** With --demo: the demo sign-ins and their passwords for this run. */
  demoUsers: DemoUser[];
  ingest: Ingest;
  live: LiveState;
  /** The footprint engine (METHODOLOGY.md). */
  footprint: FootprintProcessor;
  /** Waste and device-health alerts. */
  alerts: AlertsProcessor;
  writer: StoreWriter;
  health(): IngestHealth;
}

export interface StartExtras {
  log?: Logger;
  /** Extra processors (tests). */
  processors?: Processor[];
  /** Clock for sessions, lockouts, audit and broker rate limits (tests). */
  authClock?: () => number;
}

/** Runs `build` with a lifecycle; if it throws, whatever it had started is stopped again. */
async function assemble<T>(input: ConfigInput | Config, extras: StartExtras, build: (config: Config, log: Logger, life: Lifecycle) => Promise<T>): Promise<T> {
  const config = loadConfig(input as ConfigInput);
  const log = extras.log ?? createLogger(config.logLevel);
  const life = new Lifecycle(log);
  try {
    return await build(config, log, life);
  } catch (err) {
    await life.close();
    throw err;
  }
}

/** `deskprint start` (role all) and `deskprint ingest`: ingest, its API and, with the embedded broker, MQTT. */
export function startDeskprint(input: ConfigInput | Config, extras: StartExtras = {}): Promise<DeskprintHandle> {
  return assemble(input, extras, async (config, log, life) => {
    if (config.role === 'api') throw new Error('startDeskprint runs ingest; a `deskprint api` process is startApiProcess');
    const f = await openFoundation(config, log, life, extras);
    const transport = await openTransport(f, life, { follower: false, ...(extras.authClock ? { authClock: extras.authClock } : {}) });
    const ingest = await startIngestRole(f, transport, life, extras);
    // Devices may connect only now that ingest has subscribed: a publish accepted with no
    // subscriber would be acknowledged and lost.
    const { mqttPort, mqttsPort } = await transport.listen();
    const health = healthOf(f.store, ingest, transport);
    const api = await startApiRole(f, ingest.sources, health, transport, life);
    const mqttUrl = config.mqttUrl ?? `mqtt://${config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host}:${mqttPort}`;
    log.info({ httpPort: api.httpPort, mqttPort, mqttsPort, store: f.store.kind, dataDir: f.dataDir }, `deskprint ${VERSION}: dashboard ${api.httpUrl}  MQTT ${mqttUrl}${mqttsPort !== null ? `  MQTTS port ${mqttsPort}` : ''}  (WebSocket ${api.httpUrl.replace('http', 'ws')}/mqtt)`);
    if (f.demoUsers.length) {
      // Demo only: fresh random passwords each start, shown once here (docs/security.md).
      log.info(`demo sign-in (this run only): ${f.demoUsers.map((u) => `${u.name} / ${u.password}`).join('   ')}`);
    }
    if (config.demo && config.simulate && config.role === 'all') await startDemoSimulator(f, mqttUrl, api.httpUrl, life);
    return {
      config, app: api.app, httpUrl: api.httpUrl, httpPort: api.httpPort, mqttPort, mqttUrl, mqttsPort, accounts: f.accounts, brokerAuth: transport.embedded?.auth ?? null,
      demoUsers: f.demoUsers, registry: f.registry, store: f.store, ingest: ingest.ingest, live: ingest.live, footprint: ingest.footprint, alerts: ingest.alerts, writer: ingest.writer,
      health, close: () => life.close(),
    };
  });
}

/**
 * `deskprint api`: the API and dashboard alone, against an external broker. It follows
 * ingest's derived topics (live snapshots, alerts, device activity) and reads figures from
 * the shared store, so any number of copies can serve.
 */
export function startApiProcess(input: ConfigInput | Config, extras: StartExtras = {}): Promise<ProcessHandle> {
  return assemble({ ...(input as ConfigInput), role: 'api' }, extras, async (config, log, life) => {
    if (!config.mqttUrl) throw new Error('deskprint api follows ingest over an external broker: set DESKPRINT_MQTT_URL');
    const f = await openFoundation(config, log, life, extras);
    const transport = await openTransport(f, life, { follower: true });
    const follower = new DerivedFollower(transport.source);
    await follower.start();
    life.defer(() => follower.stop());
    const sources: LiveSources = {
      live: follower,
      alerts: follower,
      activity: (site, device) => follower.activity(site, device),
      battery: (site, device) => follower.battery(site, device),
      unsupported: () => [],
      sites: new Map(f.registry.sites().map((s) => [s.id, s] as const)),
    };
    const health = healthOf(f.store, null, null);
    const api = await startApiRole(f, sources, health, null, life);
    log.info({ httpPort: api.httpPort, store: f.store.kind }, `deskprint ${VERSION} api: ${api.httpUrl}, following ${config.mqttUrl}`);
    return { config, app: api.app, httpUrl: api.httpUrl, httpPort: api.httpPort, accounts: f.accounts, registry: f.registry, store: f.store, health, close: () => life.close() };
  });
}

/**
 * With --demo: the demo buildings' devices publish over real MQTT (and webhooks), every
 * loaded site (`npm start` loads a second one for the network view), and sites with a grid
 * feed get a simulated half-hourly forecast (METHODOLOGY §3 "Greener hours").
 */
async function startDemoSimulator(f: Foundation, mqttUrl: string, webhookUrl: string, life: Lifecycle): Promise<void> {
  const { startSimulator } = await import('../simulators/demo.ts');
  for (const [k, site] of f.registry.sites().entries()) {
    // Continue the demo's meters from their last stored readings: a counter that came back
    // lower after a restart would count as a reset and invent energy.
    const initialCounters = await lastCounters(f.store, site, Date.now());
    const sim = await startSimulator({ site, mqttUrl, webhookUrl, demo: true, seed: 1 + k, initialCounters, log: (m: string) => f.log.child({ module: 'simulator' }).debug(m) });
    life.defer(() => sim.stop()); // runs first: devices stop before ingest and broker
    f.log.info(`demo simulator publishing ${site.devices.length} devices of site "${site.id}"`);
  }
  const feedSites = f.registry.sites().filter((s) => s.devices.some((d) => d.kind === 'grid_feed'));
  if (feedSites.length === 0) return;
  const { simulatedForecast } = await import('../simulators/grid-forecast.ts');
  const { forecastPoints } = await import('../footprint/greener-hours.ts');
  // Issued every half hour, as the Carbon Intensity API's forecast is.
  const issue = () => {
    for (const s of feedSites) void f.store.write(forecastPoints(s.id, simulatedForecast(Date.now()), Date.now())).catch(() => {});
  };
  issue();
  const timer = setInterval(issue, 30 * 60_000);
  timer.unref();
  life.defer(() => clearInterval(timer));
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


