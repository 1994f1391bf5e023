/**
 * REST shapes and socket.io events shared by ingest, api and dashboard, so a rename breaks
 * the build rather than production. zod schemas generate /api/openapi.json; the dashboard
 * imports the inferred types only (`import type`).
 */
import { z } from 'zod';

export const categoryPowerSchema = z.object({
  desk: z.number(),
  lighting: z.number(),
  heating: z.number(),
  hvac: z.number(),
  common: z.number(),
  /** Main meter minus sub-meters (never negative); 0 without a main meter. */
  unmetered: z.number(),
});

export const zoneLiveSchema = z.object({
  id: z.string(),
  name: z.string(),
  temperature_c: z.number().nullable(),
  setpoint_c: z.number().nullable(),
  lights_on: z.boolean().nullable(),
  heating_on: z.boolean().nullable(),
  desks_total: z.number().int(),
  desks_occupied: z.number().int(),
  people: z.number().int(),
  power_w: z.number(),
});

export const deskLiveSchema = z.object({
  id: z.string(),
  zone: z.string(),
  x: z.number().nullable(),
  y: z.number().nullable(),
  occupied: z.boolean().nullable(),
  /** Somebody is checked in here; who is not shown in the shared live view. */
  checked_in: z.boolean(),
  power_w: z.number().nullable(),
});

export const liveSnapshotSchema = z.object({
  site: z.string(),
  name: z.string(),
  /** Epoch ms when the snapshot was taken. */
  at: z.number(),
  power_w: z.object({
    /** Site electricity + fuel power in W: main meters where present, else the sum of sub-meters. */
    total: z.number(),
    by_category: categoryPowerSchema,
    by_carrier: z.record(z.string(), z.number()),
  }),
  desks: z.object({ total: z.number().int(), occupied: z.number().int(), checked_in: z.number().int() }),
  people_present: z.number().int(),
  zones: z.array(zoneLiveSchema),
  desk_states: z.array(deskLiveSchema),
  devices: z.object({ total: z.number().int(), online: z.number().int(), offline: z.number().int(), silent: z.number().int() }),
  /** Today's site energy and emissions so far (local day), when the footprint engine runs. */
  today: z.object({ kwh: z.number(), kgco2e: z.number(), by_carrier: z.record(z.string(), z.number()) }).nullable(),
});
export type LiveSnapshot = z.infer<typeof liveSnapshotSchema>;
export type ZoneLive = z.infer<typeof zoneLiveSchema>;
export type DeskLive = z.infer<typeof deskLiveSchema>;

export const siteSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  timezone: z.string(),
  area_m2: z.number(),
  zones: z.array(z.object({ id: z.string(), name: z.string(), area_m2: z.number() })),
  desks: z.number().int(),
  devices: z.number().int(),
});
export type SiteSummary = z.infer<typeof siteSummarySchema>;

/** A topic under a subscribed tree that deskprint does not read, and what to change. */
export const unsupportedTrafficSchema = z.object({
  topic: z.string(),
  ecosystem: z.string(),
  hint: z.string(),
  messages: z.number().int(),
  first_seen: z.number(),
  last_seen: z.number(),
});
export type UnsupportedTrafficView = z.infer<typeof unsupportedTrafficSchema>;

export const healthSchema = z.object({
  status: z.enum(['ok', 'degraded', 'down']),
  version: z.string(),
  uptime_s: z.number(),
  /** Null in a `deskprint api` process, which runs no ingest. */
  ingest: z.object({
    received: z.number().int(),
    stored: z.number().int(),
    rejected: z.number().int(),
    rejected_by_reason: z.record(z.string(), z.number().int()),
    /** Failures of each pipeline processor by name (the reading is stored all the same). */
    processor_errors: z.record(z.string(), z.number().int()),
    readings: z.number().int(),
    checkins: z.number().int(),
    /** Readings received again unchanged (QoS 1 re-deliveries): acknowledged, not counted in `readings`. */
    duplicate_readings: z.number().int(),
    /** Readings at a timestamp already received with another value: stored, the later value wins. */
    conflicting_readings: z.number().int(),
    pending: z.number().int(),
    /** Readings dropped from accepted messages, per metric the device's kind does not report. */
    dropped_metrics: z.record(z.string(), z.number().int()),
    /** Topics whose traffic deskprint does not read, with a hint (`unsupported`). */
    unsupported: z.array(unsupportedTrafficSchema),
  }).nullable(),
  store: z.object({
    kind: z.string(),
    state: z.enum(['ok', 'degraded', 'down']),
    queue_depth: z.number().int(),
    spool_bytes: z.number(),
    written: z.number().int(),
    dropped: z.record(z.string(), z.number()),
    last_error: z.object({ at: z.number(), message: z.string() }).nullable(),
  }),
  /** Past one machine: the buckets this ingest process owns (docs/production.md); null otherwise. */
  cluster: z
    .object({
      member: z.string(),
      buckets: z.number().int(),
      /** Buckets whose lease this process holds. */
      owned: z.array(z.number().int()),
      /** Owned buckets warm and taking messages (their session open). */
      consuming: z.array(z.number().int()),
      members: z.array(z.string()),
      acquired: z.number().int(),
      released: z.number().int(),
      lost: z.number().int(),
      lease_errors: z.number().int(),
    })
    .nullable(),
  broker: z
    .object({
      embedded: z.boolean(),
      clients: z.number().int(),
      /** Clients disconnected for publishing over their rate. */
      flood_disconnects: z.number().int(),
      /** QoS 1 messages let through beyond the rate as a reconnecting client's backlog. */
      replayed: z.number().int(),
    })
    .nullable(),
});
export type Health = z.infer<typeof healthSchema>;
/** The health of a process that runs ingest (`deskprint start`, `deskprint ingest`). */
export type IngestHealth = Health & { ingest: NonNullable<Health['ingest']> };

export const seriesResponseSchema = z.object({
  metric: z.string(),
  unit: z.string(),
  fn: z.string(),
  from: z.number(),
  to: z.number(),
  every_ms: z.number(),
  series: z.array(z.object({ tags: z.record(z.string(), z.string()), points: z.array(z.tuple([z.number(), z.number()])) })),
});
export type SeriesResponse = z.infer<typeof seriesResponseSchema>;

export const errorEnvelopeSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

/** socket.io events, server → client. Versioned when the payload shape may change. */
export interface ServerToClientEvents {
  live: (snapshot: LiveSnapshot) => void;
  /** A site's active and recently resolved alerts; sent on subscribe (to managers) and whenever they change. */
  alerts: (update: AlertsResponse) => void;
}

/** socket.io events, client → server. */
export interface ClientToServerEvents {
  /** Join a site's live room; the ack says whether it was allowed. */
  subscribe: (site: string, ack?: (res: { ok: boolean; error?: string }) => void) => void;
  unsubscribe: (site: string) => void;
}

// ------------------------------------------------------------------ alerts, devices, check-ins (issue 7)

/**
 * Waste and maintenance alerts raised by ingest (ingest/alerts.ts):
 * - `lights_empty_zone`, `heating_empty_zone`: lights or heating on in a zone nobody is in, for over 15 min;
 * - `plug_after_hours`: a desk plug drawing power outside opening hours with nobody checked in at the desk;
 * - `device_silent`: nothing heard for over three times the device's cadence;
 * - `device_offline`: the device (or its bridge) announced itself offline;
 * - `battery_low`: battery under 15 %.
 */
export const ALERT_KINDS = ['lights_empty_zone', 'heating_empty_zone', 'plug_after_hours', 'device_silent', 'device_offline', 'battery_low'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const alertSchema = z.object({
  /** Stable for one occurrence: kind, subject and start. */
  id: z.string(),
  site: z.string(),
  kind: z.enum(ALERT_KINDS),
  device: z.string().nullable(),
  zone: z.string().nullable(),
  desk: z.string().nullable(),
  /** One sentence a facility manager can act on. */
  message: z.string(),
  /** Epoch ms when the condition began (not when it was noticed). */
  since: z.number(),
  /** Epoch ms when the alert was raised. */
  raised_at: z.number(),
  /** Epoch ms when the condition ended; null while active. */
  resolved_at: z.number().nullable(),
  /** Estimated energy wasted from `since` to now (or to resolution); null for alerts that are not about energy, or without a power reading. */
  wasted_kwh: z.number().nullable(),
  /** `wasted_kwh` × the site's factor for the device's carrier (METHODOLOGY §3). */
  wasted_kgco2e: z.number().nullable(),
  /** Battery percentage for `battery_low`; last power in W for waste alerts; else null. */
  value: z.number().nullable(),
});
export type Alert = z.infer<typeof alertSchema>;

export const alertsResponseSchema = z.object({
  site: z.string(),
  /** Epoch ms of the evaluation these lists come from. */
  at: z.number(),
  /** Newest first. */
  active: z.array(alertSchema),
  /** Resolved in the last 24 h, most recently resolved first. */
  resolved: z.array(alertSchema),
});
export type AlertsResponse = z.infer<typeof alertsResponseSchema>;

export const DEVICE_STATUSES = ['online', 'offline', 'silent', 'never_seen'] as const;

export const deviceStatusSchema = z.object({
  id: z.string(),
  name: z.string().nullable(),
  kind: z.string(),
  kind_label: z.string(),
  zone: z.string().nullable(),
  desk: z.string().nullable(),
  category: z.string().nullable(),
  carrier: z.string().nullable(),
  foreign: z.object({ ecosystem: z.string(), id: z.string() }).nullable(),
  /** Expected reporting interval, s; silent after three of them. */
  cadence_s: z.number(),
  /** `offline` when the device said so; `silent` past 3× cadence; `never_seen` since ingest started. */
  status: z.enum(DEVICE_STATUSES),
  /** The device's own availability message, when it sends one. */
  availability: z.enum(['online', 'offline']).nullable(),
  /** Epoch ms of the last accepted message (server clock); null when never seen. */
  last_seen: z.number().nullable(),
  battery_pct: z.number().nullable(),
  /** Messages from this device rejected since start, and the reason of the last one. */
  rejected: z.number().int(),
  last_rejected: z.string().nullable(),
});
export type DeviceStatus = z.infer<typeof deviceStatusSchema>;

export const discoveredDeviceSchema = z.object({
  ecosystem: z.string(),
  foreign_id: z.string(),
  first_seen: z.number(),
  last_seen: z.number(),
  messages: z.number().int(),
});

export const devicesResponseSchema = z.object({
  site: z.string(),
  at: z.number(),
  devices: z.array(deviceStatusSchema),
  /** Foreign devices heard on the broker that no site file assigns yet (any site). */
  discovered: z.array(discoveredDeviceSchema),
  /** Traffic heard under subscribed trees that deskprint does not read (any site). */
  unsupported: z.array(unsupportedTrafficSchema),
});
export type DevicesResponse = z.infer<typeof devicesResponseSchema>;

export const memberCheckinsResponseSchema = z.object({
  member: z.string(),
  from: z.number(),
  to: z.number(),
  /** Check-in and check-out events, newest first. */
  events: z.array(
    z.object({
      site: z.string(),
      ts: z.number(),
      action: z.enum(['check_in', 'check_out']),
      desk: z.string().nullable(),
      zone: z.string().nullable(),
      device: z.string(),
    }),
  ),
  /**
   * The same events paired into sessions (api/checkin-sessions.ts), newest first: a desk (or
   * the entrance, desk null) from a check-in to the check-out, the next check-in, or the end
   * of the local day; `to` null while the session runs.
   */
  sessions: z.array(
    z.object({
      site: z.string(),
      desk: z.string().nullable(),
      zone: z.string().nullable(),
      device: z.string(),
      /** The site's local day the session started, YYYY-MM-DD. */
      day: z.string(),
      from: z.number(),
      to: z.number().nullable(),
      ended_by: z.enum(['check_out', 'check_in', 'end_of_day']).nullable(),
    }),
  ),
});
export type MemberCheckinsResponse = z.infer<typeof memberCheckinsResponseSchema>;
