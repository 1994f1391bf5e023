/**
 * The ingest role: the pipeline from messages to stored points, with its processors (the
 * per-site state owner, the live footprint engine, live state, alerts) and the jobs that
 * belong to the process owning the data: derived topics for API processes elsewhere, Home
 * Assistant discovery, scheduled funder reports, retention and rollups.
 */
import path from 'node:path';
import type { Health, LiveSnapshot } from '../../devices/api-types.ts';
import { ADAPTERS } from '../../devices/index.ts';
import { createZigbee2mqttAdapter } from '../../devices/zigbee2mqtt/adapter.ts';
import { createSparkplugAdapter } from '../../devices/sparkplug/adapter.ts';
import { haAvailabilityMessage, haDiscoveryMessages, haStateMessage, type MqttOutMessage } from '../../devices/homeassistant/discovery.ts';
import { Ingest } from '../../ingest/pipeline.ts';
import { LiveState } from '../../ingest/live.ts';
import { StoreWriter } from '../../ingest/writer.ts';
import { AlertsProcessor } from '../../ingest/alerts.ts';
import { publishDerived } from '../../ingest/derived.ts';
import { createFootprintProcessor, type FootprintProcessor } from '../../ingest/footprint.ts';
import { SiteStates } from '../../ingest/sites.ts';
import { startClusterIngest, type ClusterIngest } from '../../ingest/cluster.ts';
import { memberId } from '../../ingest/ownership.ts';
import { createLeaseStore } from '../../store/leases.ts';
import type { Processor } from '../../ingest/types.ts';
import { unsupportedView } from '../../api/routes/devices.ts';
import { startReportScheduler } from '../../api/reports/index.ts';
import { startRetention } from '../../api/auth/privacy.ts';
import { READINGS_ROLLUP, WrittenHours, startRollups } from '../../store/rollup.ts';
import { reportConfig as reportSettingsOf } from '../config.ts';
import { VERSION } from '../paths.ts';
import type { Foundation } from './foundation.ts';
import type { Lifecycle } from './lifecycle.ts';
import type { Transport } from './transport.ts';
import type { LiveSources } from './api.ts';

export interface IngestRole {
  ingest: Ingest;
  writer: StoreWriter;
  live: LiveState;
  /** The footprint engine (METHODOLOGY.md). */
  footprint: FootprintProcessor;
  /** Waste and device-health alerts. */
  alerts: AlertsProcessor;
  /** What the API of this same process reads: the in-process parts themselves. */
  sources: LiveSources;
  /** Past one machine: this process's buckets and their leases; null on one machine. */
  cluster: ClusterIngest | null;
  /** The `ingest` part of /api/health. */
  health(): NonNullable<Health['ingest']>;
}

export interface IngestExtras {
  /** Extra processors (tests). */
  processors?: Processor[];
}

/** Builds the pipeline and starts taking messages from the transport. */
export async function startIngestRole(f: Foundation, transport: Transport, life: Lifecycle, extras: IngestExtras = {}): Promise<IngestRole> {
  const { config, registry, store, log } = f;
  const { source } = transport;
  // The hours ingest has written to: what the rollup schedule recomputes (store/rollup.ts).
  const written = new WrittenHours();
  const writer = new StoreWriter({ store, log: log.child({ module: 'ingest:writer' }), onStored: (_readings, points) => written.note(points) });
  // The footprint engine (METHODOLOGY.md) runs incrementally as readings arrive; its
  // closed intervals are stored as series and its running day totals feed the live view.
  const sitesById = new Map(registry.sites().map((s) => [s.id, s] as const));
  // Past one machine the sites come and go with their buckets (ingest/cluster.ts).
  const sharded = transport.buckets !== undefined;
  const footprint = createFootprintProcessor({ sites: sharded ? [] : sitesById, store });
  // One state owner per site (clock, latest values, presence, activity), rebuilt when the
  // registry changes; a site changed while running reaches the footprint engine too.
  const siteStates = new SiteStates(registry, { ownAll: !sharded });
  siteStates.onSiteChange((state) => {
    sitesById.set(state.site.id, state.site);
    footprint.siteChanged(state.site);
  });
  const live = new LiveState({ registry, sites: siteStates, today: (site) => footprint.today(site) });
  // Waste and device-health alerts, raised in ingest so they exist without a browser open.
  const alerts = new AlertsProcessor({ registry, sites: siteStates, activity: (site, device) => siteStates.get(site)?.activity(device) });
  const ingest = new Ingest({
    registry,
    source,
    writer,
    processors: [siteStates, footprint, live, alerts, ...(extras.processors ?? [])],
    activity: siteStates.activity,
    log: log.child({ module: 'ingest' }),
    maxPayloadBytes: config.maxPayloadBytes,
    adapters: ADAPTERS.map((a) =>
      a.name === 'zigbee2mqtt' && config.zigbee2mqttBaseTopic !== 'zigbee2mqtt' ? createZigbee2mqttAdapter({ baseTopic: config.zigbee2mqttBaseTopic })
      // Sparkplug metric names mean what the site file says they mean.
      : a.name === 'sparkplug' ? createSparkplugAdapter({ metricsOf: (id) => registry.foreign('sparkplug', id)?.foreign?.metrics })
      : a),
  });
  await ingest.start();
  let cluster: ClusterIngest | null = null;
  if (transport.buckets) {
    cluster = await startClusterIngest({
      leases: createLeaseStore(config.registryUrl ?? path.join(f.dataDir, 'registry.db')),
      sessions: transport.buckets,
      registry,
      sites: siteStates,
      footprint,
      buckets: config.buckets,
      member: memberId(),
      ttlMs: config.leaseTtlMs,
      log: log.child({ module: 'ingest:buckets' }),
    });
    const c = cluster;
    // Before ingest stops: each bucket's session closes after what is in flight, its lease
    // is released, and another process takes it on at once.
    life.defer(() => c.stop());
  }
  // Stopping drains in this order (issue 17): the broker refuses further publishes, ingest
  // stops taking messages, the writer hands everything to the store, and the store spools
  // what InfluxDB will not take. Devices were acknowledged only what was durable.
  life.defer(async () => {
    await ingest.stop();
    await writer.close();
  });
  if (transport.embedded) {
    const { broker, auth } = transport.embedded;
    life.defer(() => {
      auth.stopAccepting();
      broker.stopListening();
    });
  }
  // API processes elsewhere follow live data, alerts and device activity over MQTT
  // (DESIGN "Scaling past one machine").
  const derived = publishDerived({ source, registry, live, alerts, activity: (site, device) => ingest.activity.get(site, device), owns: (site) => siteStates.owns(site) });
  life.defer(() => derived.stop());
  if (config.haDiscovery) announceToHomeAssistant(f, transport, live, life);

  const reportConfig = reportSettingsOf(config);
  // Funder reports: each closed period's report is generated once, stored, and emailed
  // when SMTP is configured (docs/reports.md). One process generates them: the one that runs ingest.
  const reportScheduler = startReportScheduler({ store, sites: siteStates, dataDir: f.dataDir, config: reportConfig, engine: footprint, log: log.child({ module: 'reports' }) });
  life.defer(() => reportScheduler.stop());
  const retention = startRetention({ store, accounts: f.accounts, log: log.child({ module: 'retention' }) }, config.retentionMonths);
  life.defer(() => retention.stop());
  // Hourly and daily rollups, which long charts read (store/rollup.ts).
  const rollups = startRollups(store, [READINGS_ROLLUP], { log: log.child({ module: 'rollup' }), written });
  life.defer(() => rollups.stop());

  const sources: LiveSources = {
    live,
    alerts,
    activity: (site, device) => ingest.activity.get(site, device),
    battery: (site, device) => alerts.battery(site, device),
    unsupported: () => ingest.unsupported(),
    engine: footprint,
    sites: sitesById,
    ingestMessage: (msg) => ingest.handle(msg),
  };
  const health = (): NonNullable<Health['ingest']> => {
    const c = ingest.counters;
    return {
      received: c.received ?? 0,
      stored: writer.stored,
      rejected: c.rejected ?? 0,
      rejected_by_reason: { ...(c.rejectedByReason ?? {}) } as Record<string, number>,
      processor_errors: { ...(c.processorErrors ?? {}) },
      readings: c.readings ?? 0,
      checkins: c.checkins ?? 0,
      duplicate_readings: c.duplicateReadings ?? 0,
      conflicting_readings: c.conflictingReadings ?? 0,
      pending: writer.depth,
      dropped_metrics: { ...c.droppedMetrics } as Record<string, number>,
      unsupported: unsupportedView(ingest.unsupported()),
    };
  };
  return { ingest, writer, live, footprint, alerts, sources, cluster, health };
}

/** Home Assistant shows each site's power, occupancy and today's kgCO2e (docs/devices.md). */
function announceToHomeAssistant(f: Foundation, transport: Transport, live: LiveState, life: Lifecycle): void {
  const { registry, config } = f;
  const { source } = transport;
  const send = (m: MqttOutMessage) => void source.publish(m.topic, m.payload, { retain: m.retain, qos: 1 }).catch(() => {});
  for (const site of registry.sites()) {
    for (const m of haDiscoveryMessages(site, { discoveryPrefix: config.haDiscoveryPrefix, swVersion: VERSION })) send(m);
    send(haAvailabilityMessage(site.id, true));
  }
  const lastSent = new Map<string, number>();
  live.on('live', (snap: LiveSnapshot) => {
    // A few times a minute is plenty for Home Assistant's history.
    if (snap.at - (lastSent.get(snap.site) ?? 0) < 10_000) return;
    lastSent.set(snap.site, snap.at);
    send(haStateMessage(snap));
  });
  life.defer(async () => {
    for (const site of registry.sites()) {
      const m = haAvailabilityMessage(site.id, false);
      await source.publish(m.topic, m.payload, { retain: true, qos: 1 }).catch(() => {});
    }
  });
}
