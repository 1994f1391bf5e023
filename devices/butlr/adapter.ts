/**
 * Butlr thermal people sensors through Butlr's real-time occupancy webhooks: an HTTPS POST
 * per event to `/api/webhooks/butlr/<site>`, body `{ id, type, timestamp, version,
 * metadata, data }` (docs.butlr.io, "Real-time occupancy / Webhooks overview"; README.md
 * has the table). Authenticated by the site's token as `Authorization: Bearer <token>`,
 * a header set when the webhook is created.
 *
 * Butlr recomputes each minute's occupancy for a rolling 5 minutes, so the same minute may
 * arrive again with a corrected count: a later event for the same time replaces the earlier
 * reading in the store, and an event id seen before is a `duplicate`.
 */
import { z } from 'zod';
import { fail, parseJson, sameSecret, webhookTopic, type Adapter, type DecodeResult, type DeviceIdentity } from '../adapter.ts';
import { acknowledged, describeIssues, decodedSample, deviceTimestamp, isFailure } from '../readings.ts';

const ECOSYSTEM = 'butlr';

const id = z.string().min(1).max(128);
const eventSchema = z.looseObject({
  id,
  type: z.string().min(1).max(64),
  /** Epoch ms. */
  timestamp: z.number().finite(),
  metadata: z.looseObject({ floor_id: id.optional(), room_id: id.optional(), zone_id: id.optional() }),
  data: z.unknown(),
});

/** Occupancy events and the metadata field naming the area they count; `_1M` variants are minute-smoothed. */
const AREA_OF: Record<string, 'floor_id' | 'room_id' | 'zone_id'> = {
  FLOOR_OCCUPANCY: 'floor_id',
  ROOM_OCCUPANCY: 'room_id',
  ZONE_OCCUPANCY: 'zone_id',
  FLOOR_OCCUPANCY_1M: 'floor_id',
  ROOM_OCCUPANCY_1M: 'room_id',
  ZONE_OCCUPANCY_1M: 'zone_id',
};

export const butlrAdapter: Adapter = {
  name: ECOSYSTEM,
  subscriptions: [],
  webhook: true,
  matches: (topic) => topic === webhookTopic(ECOSYSTEM),
  authenticate(headers, _body, secret) {
    const auth = headers.authorization;
    return secret.length > 0 && auth !== undefined && auth.startsWith('Bearer ') && sameSecret(auth.slice(7), secret);
  },
  decode(topic, payload, ctx): DecodeResult {
    if (topic !== webhookTopic(ECOSYSTEM)) return fail('unknown_topic', 'not a Butlr webhook');
    const json = parseJson(payload);
    if (!json.ok) return json;
    const event = eventSchema.safeParse(json.value);
    if (!event.success) return fail('schema', describeIssues(event.error));
    const e = event.data;
    const field = Object.hasOwn(AREA_OF, e.type) ? AREA_OF[e.type]! : undefined;
    // DETECTIONS, TRAFFIC, MOTION…: positions and passings, not a headcount.
    if (field === undefined) return acknowledged({ ecosystem: ECOSYSTEM, foreignId: e.metadata.room_id ?? e.metadata.zone_id ?? e.metadata.floor_id ?? e.id });
    const area = e.metadata[field];
    if (area === undefined) return fail('schema', `metadata.${field}: required for ${e.type}`);
    const identity: DeviceIdentity = { ecosystem: ECOSYSTEM, foreignId: area };
    const count = z.number().int().nonnegative().safeParse(e.data);
    if (!count.success) return fail('schema', `data: ${describeIssues(count.error)}`, identity);
    const ts = deviceTimestamp(e.timestamp, ctx.receivedAt, identity);
    if (isFailure(ts)) return ts;
    const decoded = decodedSample(identity, { people_count: count.data }, ts);
    return decoded.ok ? { ...decoded, messageId: e.id } : decoded;
  },
};
