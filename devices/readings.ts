/**
 * Shared by the foreign ecosystem adapters (zigbee2mqtt, shelly, tasmota): turn a sample of
 * values already converted to canonical units into readings, checking each against the
 * catalogue's physical range so that a wrong unit becomes a `unit` rejection, not a reading.
 */
import { METRICS, SERIES_METRIC_KEYS, type SeriesMetricKey } from './catalogue.ts';
import type { z } from 'zod';
import { fail, type Decoded, type DecodeFailure, type DeviceIdentity, type Reading } from './adapter.ts';
import { formatIssues } from './native/schema.ts';

/** Values in canonical units, keyed by catalogue metric; booleans become 1/0. */
export type Sample = Partial<Record<SeriesMetricKey, number | boolean>>;

/** Readings stamped further than this past the receive time are clock errors (as native). */
export const MAX_FUTURE_MS = 5 * 60_000;

/** 2000-01-01T00:00:00Z: a device clock before this has not been set (no NTP yet). */
export const MIN_PLAUSIBLE_TS = 946_684_800_000;

export function readingsFromSample(sample: Sample, ts: number, identity: DeviceIdentity): Reading[] | DecodeFailure {
  const readings: Reading[] = [];
  for (const key of SERIES_METRIC_KEYS) {
    const raw = sample[key];
    if (raw === undefined) continue;
    const value = typeof raw === 'boolean' ? (raw ? 1 : 0) : raw;
    const d = METRICS[key];
    if (!Number.isFinite(value)) return fail('unit', `${key}: ${value} is not a finite number`, identity);
    if ((d.min !== undefined && value < d.min) || (d.max !== undefined && value > d.max)) {
      return fail('unit', `${key}: ${value} ${d.unit} is outside ${d.min}…${d.max} ${d.unit}`, identity);
    }
    readings.push({ metric: key, value, ts });
  }
  return readings;
}

/** A decoded message: readings from the sample, or the range failure. */
export function decodedSample(identity: DeviceIdentity, sample: Sample, ts: number): Decoded | DecodeFailure {
  const readings = readingsFromSample(sample, ts, identity);
  if (!Array.isArray(readings)) return readings;
  return { ok: true, identity, readings, checkins: [] };
}

/**
 * A message the adapter understands but that carries nothing deskprint measures (bridge
 * logs, Wi-Fi status, command echoes): acknowledged, not rejected, nothing stored.
 */
export function acknowledged(identity: DeviceIdentity): Decoded {
  return { ok: true, identity, readings: [], checkins: [] };
}

/** Multiplies and rounds away binary float noise (1.23 kWh × 1000 = 1230 Wh, not 1230.0000000000002). */
export function scaled(value: number, factor: number, decimals = 3): number {
  const p = 10 ** decimals;
  return Math.round(value * factor * p) / p;
}

/** The device's timestamp when it is plausible, else the receive time; a future one is a failure. */
export function deviceTimestamp(deviceTs: number | undefined, receivedAt: number, identity: DeviceIdentity): number | DecodeFailure {
  if (deviceTs === undefined || !Number.isFinite(deviceTs) || deviceTs < MIN_PLAUSIBLE_TS) return receivedAt;
  if (deviceTs > receivedAt + MAX_FUTURE_MS) {
    return fail('bad_timestamp', `device time ${isoOrRaw(deviceTs)} is more than 5 min ahead of the receive time`, identity);
  }
  return Math.round(deviceTs);
}

export function isFailure(value: unknown): value is DecodeFailure {
  return typeof value === 'object' && value !== null && (value as { ok?: unknown }).ok === false;
}

/** ISO 8601 for a plausible epoch-ms value; the raw number when Date cannot represent it. */
export function isoOrRaw(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}

/** Payload text quoted in a failure message is cut here: messages go to logs and the rejected topic. */
export const MAX_QUOTED_CHARS = 80;

export function clip(text: string, max = MAX_QUOTED_CHARS): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** zod issues as `path: message`, cut to a length fit for a log line. */
export function describeIssues(error: z.ZodError): string {
  return clip(formatIssues(error), 500);
}
