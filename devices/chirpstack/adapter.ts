/**
 * ChirpStack v4 uplink events from its MQTT integration:
 * `application/<application id>/device/<DevEUI>/event/up`, JSON (the default `json: true`
 * marshaler) of `integration.UplinkEvent` (chirpstack/api/proto/integration/integration.proto;
 * README.md has the table).
 *
 * Readings come from `object`, produced by the device profile's codec (the Milesight
 * decoders for VS/WS sensors), mapped by devices/lorawan/milesight.ts, and are stamped with
 * `time`, when ChirpStack received the uplink. Every uplink carries a `deduplicationId`
 * (UUID): a message delivered twice is dropped by ingest and counted as `duplicate`.
 */
import { z } from 'zod';
import { fail, parseJson, type Adapter, type DecodeResult, type DeviceIdentity } from '../adapter.ts';
import { acknowledged, clip, describeIssues, deviceTimestamp, isFailure } from '../readings.ts';
import { isoMs, milesightReadings } from '../lorawan/milesight.ts';

const ECOSYSTEM = 'chirpstack';

const uplinkSchema = z.looseObject({
  deduplicationId: z.string().min(1).max(64),
  time: z.string().optional(),
  deviceInfo: z.looseObject({ devEui: z.string().optional(), deviceName: z.string().optional() }).optional(),
  fCnt: z.number().int().nonnegative().optional(),
  object: z.record(z.string(), z.unknown()).optional(),
});

/** The application id is a UUID; the DevEUI 16 hex digits, lower case in topics. */
const TOPIC = /^application\/([0-9a-f-]{1,64})\/device\/([0-9a-f]{16})\/event\/([a-z]+)$/;

function parseTopic(topic: string): { devEui: string; event: string } | null {
  const m = TOPIC.exec(topic);
  return m ? { devEui: m[2]!, event: m[3]! } : null;
}

export const chirpstackAdapter: Adapter = {
  name: ECOSYSTEM,
  // Every event, so status, join and log events are counted as ignored rather than unseen.
  subscriptions: ['application/+/device/+/event/+'],
  matches: (topic) => parseTopic(topic) !== null,
  decode(topic, payload, ctx): DecodeResult {
    const parsed = parseTopic(topic);
    if (!parsed) return fail('unknown_topic', `not a ChirpStack v4 topic (application/<id>/device/<DevEUI>/event/up): "${clip(topic)}"`);
    const identity: DeviceIdentity = { ecosystem: ECOSYSTEM, foreignId: parsed.devEui };
    // join, status, ack, txack, log, location, integration: nothing deskprint measures.
    if (parsed.event !== 'up') return acknowledged(identity);
    const json = parseJson(payload);
    if (!json.ok) return { ...json, identity };
    const up = uplinkSchema.safeParse(json.value);
    if (!up.success) return fail('schema', describeIssues(up.error), identity);
    if (up.data.object === undefined) {
      return fail('unsupported', 'uplink without object: set a codec (the vendor\'s decoder, e.g. Milesight\'s) in the ChirpStack device profile', identity);
    }
    const ts = deviceTimestamp(isoMs(up.data.time), ctx.receivedAt, identity);
    if (isFailure(ts)) return ts;
    const readings = milesightReadings(up.data.object, ts, ctx.receivedAt, identity);
    if (!Array.isArray(readings)) return readings;
    return { ok: true, identity, readings, checkins: [], messageId: up.data.deduplicationId };
  },
};
