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

export const healthSchema = z.object({
  status: z.enum(['ok', 'degraded', 'down']),
  version: z.string(),
  uptime_s: z.number(),
  ingest: z.object({
    received: z.number().int(),
    stored: z.number().int(),
    rejected: z.number().int(),
    rejected_by_reason: z.record(z.string(), z.number().int()),
    readings: z.number().int(),
    checkins: z.number().int(),
    pending: z.number().int(),
  }),
  store: z.object({
    kind: z.string(),
    state: z.enum(['ok', 'degraded', 'down']),
    queue_depth: z.number().int(),
    spool_bytes: z.number(),
    written: z.number().int(),
    dropped: z.record(z.string(), z.number()),
    last_error: z.object({ at: z.number(), message: z.string() }).nullable(),
  }),
  broker: z.object({ embedded: z.boolean(), clients: z.number().int() }).nullable(),
});
export type Health = z.infer<typeof healthSchema>;

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
}

/** socket.io events, client → server. */
export interface ClientToServerEvents {
  /** Join a site's live room; the ack says whether it was allowed. */
  subscribe: (site: string, ack?: (res: { ok: boolean; error?: string }) => void) => void;
  unsubscribe: (site: string) => void;
}
