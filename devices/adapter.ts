/**
 * The contract every device ecosystem adapter fulfils: a pure function from one MQTT
 * message to readings. No I/O, no clock (the receive time is passed in), never throws.
 */
import { timingSafeEqual } from 'node:crypto';
import type { CheckinAction, SeriesMetricKey } from './catalogue.ts';
import type { RejectReason } from './rejections.ts';

/** One numeric sample in canonical units. Booleans are 1/0. */
export interface Reading {
  metric: SeriesMetricKey;
  value: number;
  /** Epoch milliseconds: the device's timestamp, or the receive time when it sent none. */
  ts: number;
}

/** A badge or app check-in. `desk` when the payload names one (kiosk, app). */
export interface Checkin {
  member: string;
  action: CheckinAction;
  desk?: string;
  ts: number;
}

/**
 * Who sent a message. Native devices name their site and id in the topic; foreign
 * ecosystems name a foreign identity (friendly name, Shelly id, Tasmota topic) that the
 * registry maps to a registered device.
 */
export type DeviceIdentity = NativeIdentity | ForeignIdentity;
export interface NativeIdentity { ecosystem: 'native'; site: string; device: string; foreignId?: undefined }
export interface ForeignIdentity { ecosystem: string; foreignId: string; site?: undefined; device?: undefined }

export interface Decoded {
  ok: true;
  identity: DeviceIdentity;
  readings: Reading[];
  checkins: Checkin[];
  /** Availability: a status/LWT message. */
  status?: 'online' | 'offline';
  /**
   * The sender's own id for this message (ChirpStack `deduplicationId`, The Things Stack
   * session and frame counter, a vendor cloud's event id): ingest drops, and counts as
   * `duplicate`, a second message from the same device with the same id.
   */
  messageId?: string;
}

export interface DecodeFailure {
  ok: false;
  reason: RejectReason;
  message: string;
  identity?: DeviceIdentity;
}

export type DecodeResult = Decoded | DecodeFailure;

export interface DecodeContext {
  /** Receive time, epoch ms. */
  receivedAt: number;
}

export interface Adapter {
  /** Ecosystem name, also the folder name under devices/. */
  readonly name: string;
  /** MQTT subscription filters this adapter needs. */
  readonly subscriptions: readonly string[];
  /** Whether this adapter owns a topic. */
  matches(topic: string): boolean;
  /** Pure decode; never throws. */
  decode(topic: string, payload: Uint8Array, ctx: DecodeContext): DecodeResult;
  /**
   * Optional: one message may speak for several devices (a Shelly `NotifyStatus` naming
   * several channels). Ingest prefers this when present.
   */
  decodeAll?(topic: string, payload: Uint8Array, ctx: DecodeContext): DecodeResult[];
  /**
   * Delivered by a vendor cloud's HTTPS POST to `/api/webhooks/<name>/<site>` rather than
   * over MQTT: `subscriptions` is empty and the only topic is `webhookTopic(name)`.
   */
  readonly webhook?: boolean;
  /**
   * Webhook adapters: whether a request comes from the vendor's cloud, given its headers
   * (lower-case names), raw body and the site's shared secret. Pure, like `decode`.
   */
  authenticate?(headers: Readonly<Record<string, string | undefined>>, body: Uint8Array, secret: string, now: number): boolean;
}

/** Constant-time comparison of two secrets or digests, so timing does not reveal a prefix. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The topic a webhook adapter's messages carry inside deskprint. `$` topics match no MQTT wildcard, so no device can publish into one. */
export function webhookTopic(ecosystem: string): string {
  return `$webhook/${ecosystem}`;
}

export function fail(reason: RejectReason, message: string, identity?: DeviceIdentity): DecodeFailure {
  return identity ? { ok: false, reason, message, identity } : { ok: false, reason, message };
}

/** Strict UTF-8: a bad byte is an error, not U+FFFD. One for every message, as it keeps no state between calls. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

const lenient = new TextDecoder();

/** A plain-text payload (a status, `ON`, a number) as trimmed text; bad bytes become U+FFFD. */
export function payloadText(payload: Uint8Array): string {
  return lenient.decode(payload).trim();
}

/** Parses a UTF-8 JSON payload into unknown, or a failure. */
export function parseJson(payload: Uint8Array): { ok: true; value: unknown } | DecodeFailure {
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    return fail('bad_encoding', 'payload is not valid UTF-8');
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return fail('bad_json', `invalid JSON: ${(err as Error).message}`);
  }
}
