/**
 * The derived topics (DESIGN "Scaling past one machine"): ingest publishes each site's live
 * snapshot, alerts and device activity under `deskprint/_derived/<site>/`, and `deskprint
 * api` processes running apart from ingest follow them, offering them through the same
 * interfaces the in-process parts do, so the API routes and socket.io cannot tell the
 * difference. Both halves live here and go through one zod schema per topic: what is
 * published is checked against it, and what is followed is parsed with it.
 */
import { EventEmitter } from 'node:events';
import { z } from 'zod';
import { alertsResponseSchema, liveSnapshotSchema, type AlertsResponse, type LiveSnapshot } from '../devices/api-types.ts';
import { REJECT_REASON_KEYS, type RejectReason } from '../devices/rejections.ts';
import { topics } from '../devices/topics.ts';
import type { Registry } from '../store/registry.ts';
import { newActivity, type DeviceActivity } from './pipeline.ts';
import type { InboundMessage, MessageSource } from './sources.ts';

const timedSchema = z.object({ value: z.number(), ts: z.number() });

/** A device's activity as ingest publishes it, with its last battery reading. */
export const deviceActivitySnapshotSchema = z.object({
  lastSeen: z.number(),
  status: z.enum(['online', 'offline']).nullable(),
  rejected: z.number().int(),
  lastRejected: z.enum(REJECT_REASON_KEYS as [RejectReason, ...RejectReason[]]).nullable(),
  battery: timedSchema.optional(),
});
export type DeviceActivitySnapshot = DeviceActivity & { battery?: { value: number; ts: number } };

/** Device activity of one site, as ingest publishes it every few seconds. */
export const devicesSnapshotSchema = z.record(z.string(), deviceActivitySnapshotSchema);
export type DevicesSnapshot = Record<string, DeviceActivitySnapshot>;

/** Each derived topic: where it goes, its schema, and whether the broker keeps the last one. */
export const DERIVED_TOPICS = {
  live: { topic: topics.live, schema: liveSnapshotSchema, retain: false },
  alerts: { topic: topics.alerts, schema: alertsResponseSchema, retain: true },
  devices: { topic: topics.devices, schema: devicesSnapshotSchema, retain: true },
} as const;
export type DerivedKind = keyof typeof DERIVED_TOPICS;

// ------------------------------------------------------------------ publishing (ingest)

export interface DerivedPublisherOptions {
  source: MessageSource;
  registry: Registry;
  /** Emits `live` with each site's snapshot (ingest/live.ts). */
  live: EventEmitter;
  /** Emits `alerts` with a site's lists whenever they change (ingest/alerts.ts). */
  alerts: EventEmitter & { battery(site: string, device: string): { value: number; ts: number } | undefined };
  activity: (site: string, device: string) => DeviceActivity | undefined;
  /** How often device activity goes out (default 5 s). */
  devicesEveryMs?: number;
  /** Whether this process speaks for a site (past one machine, the sites of its buckets); default all. */
  owns?: (site: string) => boolean;
}

/** Publishes the derived topics until the returned function is called. */
export function publishDerived(o: DerivedPublisherOptions): { stop(): void; unpublishable: () => number } {
  let unpublishable = 0;
  const publish = <K extends DerivedKind>(kind: K, site: string, body: z.input<(typeof DERIVED_TOPICS)[K]['schema']>) => {
    const t = DERIVED_TOPICS[kind];
    const checked = t.schema.safeParse(body);
    // A body that breaks its schema is a bug on this side: followers would drop it anyway.
    if (!checked.success) {
      unpublishable++;
      return;
    }
    void o.source.publish(t.topic(site), JSON.stringify(checked.data), { retain: t.retain }).catch(() => {});
  };
  const onLive = (snap: LiveSnapshot) => publish('live', snap.site, snap);
  const onAlerts = (list: AlertsResponse) => publish('alerts', list.site, list);
  o.live.on('live', onLive);
  o.alerts.on('alerts', onAlerts);
  const timer = setInterval(() => {
    for (const site of o.registry.sites()) {
      if (o.owns && !o.owns(site.id)) continue;
      const body: DevicesSnapshot = {};
      for (const d of o.registry.devices(site.id)) {
        const act = o.activity(site.id, d.device);
        const battery = o.alerts.battery(site.id, d.device);
        if (act || battery) body[d.device] = { ...(act ?? newActivity()), ...(battery ? { battery } : {}) };
      }
      publish('devices', site.id, body);
    }
  }, o.devicesEveryMs ?? 5_000);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      o.live.off('live', onLive);
      o.alerts.off('alerts', onAlerts);
    },
    unpublishable: () => unpublishable,
  };
}

// ------------------------------------------------------------------ following (api)

export class DerivedFollower extends EventEmitter {
  #live = new Map<string, LiveSnapshot>();
  #alerts = new Map<string, AlertsResponse>();
  #devices = new Map<string, DevicesSnapshot>();
  #source: MessageSource;
  /** Messages that could not be parsed (a newer or older ingest, or a stray publisher). */
  malformed = 0;

  constructor(source: MessageSource) {
    super();
    this.#source = source;
  }

  async start(): Promise<void> {
    await this.#source.start(topics.derivedForFollowers, (m) => this.#handle(m));
  }

  #handle(msg: InboundMessage): void {
    const parts = msg.topic.split('/');
    const site = parts[2];
    const kind = parts[3];
    if (!site || !kind || !Object.hasOwn(DERIVED_TOPICS, kind)) return;
    let json: unknown;
    try {
      json = JSON.parse(msg.payload.toString('utf8'));
    } catch {
      this.malformed++;
      return;
    }
    const parsed = DERIVED_TOPICS[kind as DerivedKind].schema.safeParse(json);
    if (!parsed.success) {
      this.malformed++;
      return;
    }
    if (kind === 'live') {
      const snap = parsed.data as LiveSnapshot;
      this.#live.set(site, snap);
      this.emit('live', snap);
    } else if (kind === 'alerts') {
      const list = parsed.data as AlertsResponse;
      this.#alerts.set(site, list);
      this.emit('alerts', list);
    } else {
      this.#devices.set(site, parsed.data as DevicesSnapshot);
    }
  }

  latest(site: string): LiveSnapshot | undefined {
    return this.#live.get(site);
  }

  list(site: string): AlertsResponse {
    return this.#alerts.get(site) ?? { site, at: Date.now(), active: [], resolved: [] };
  }

  activity(site: string, device: string): DeviceActivitySnapshot | undefined {
    return this.#devices.get(site)?.[device];
  }

  battery(site: string, device: string): { value: number; ts: number } | undefined {
    return this.#devices.get(site)?.[device]?.battery;
  }

  async stop(): Promise<void> {
    await this.#source.stop();
  }
}
