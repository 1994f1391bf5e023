/**
 * The Things Stack v3 (The Things Network, The Things Industries) uplinks from its MQTT
 * server or an MQTT pub/sub integration: `v3/<application id>@<tenant id>/devices/<device id>/up`
 * (Open Source deployments leave out `@<tenant id>`), JSON per
 * https://www.thethingsindustries.com/docs/integrations/data-formats/ (README.md has the table).
 *
 * Readings come from `uplink_message.decoded_payload`, produced by the device's payload
 * formatter (the Milesight decoders for VS/WS sensors), mapped by devices/lorawan/milesight.ts.
 * They are stamped with `uplink_message.received_at`, when the network server received the
 * radio frame, not when the message reached deskprint.
 */
import { z } from 'zod';
import { fail, parseJson, type Adapter, type DecodeResult, type DeviceIdentity } from '../adapter.ts';
import { acknowledged, clip, describeIssues, deviceTimestamp, isFailure } from '../readings.ts';
import { isoMs, milesightReadings } from '../lorawan/milesight.ts';

const ECOSYSTEM = 'tts';

/** Empty fields are omitted (`f_cnt` 0 is absent), per the data-formats page. */
const uplinkSchema = z.looseObject({
  end_device_ids: z.looseObject({ device_id: z.string().min(1), dev_eui: z.string().optional() }),
  received_at: z.string().optional(),
  uplink_message: z.looseObject({
    session_key_id: z.string().optional(),
    f_port: z.number().int().optional(),
    f_cnt: z.number().int().nonnegative().optional(),
    decoded_payload: z.record(z.string(), z.unknown()).optional(),
    received_at: z.string().optional(),
  }),
});

const ID = '[a-z0-9](?:[-]?[a-z0-9]){1,35}';
const TOPIC = new RegExp(`^v3/(${ID}(?:@${ID})?)/devices/(${ID})/([a-z/_]+)$`);

function parseTopic(topic: string): { application: string; device: string; event: string } | null {
  const m = TOPIC.exec(topic);
  return m ? { application: m[1]!, device: m[2]!, event: m[3]! } : null;
}

export const ttsAdapter: Adapter = {
  name: ECOSYSTEM,
  // Every event of the devices, so joins and downlink events are counted as ignored rather than unseen.
  subscriptions: ['v3/+/devices/+/#'],
  matches: (topic) => parseTopic(topic) !== null,
  decode(topic, payload, ctx): DecodeResult {
    const parsed = parseTopic(topic);
    if (!parsed) return fail('unknown_topic', `not a The Things Stack topic (v3/<app>@<tenant>/devices/<device>/up): "${clip(topic)}"`);
    // The foreign id is the device under its application: device ids are unique per application only.
    const identity: DeviceIdentity = { ecosystem: ECOSYSTEM, foreignId: `${parsed.application}/${parsed.device}` };
    // join, down/*, service/data, location/solved: nothing deskprint measures.
    if (parsed.event !== 'up') return acknowledged(identity);
    const json = parseJson(payload);
    if (!json.ok) return { ...json, identity };
    const up = uplinkSchema.safeParse(json.value);
    if (!up.success) return fail('schema', describeIssues(up.error), identity);
    const msg = up.data.uplink_message;
    if (msg.decoded_payload === undefined) {
      return fail('unsupported', 'uplink without decoded_payload: set the device\'s payload formatter (the vendor\'s decoder, e.g. Milesight\'s) in The Things Stack', identity);
    }
    const ts = deviceTimestamp(isoMs(msg.received_at ?? up.data.received_at), ctx.receivedAt, identity);
    if (isFailure(ts)) return ts;
    const readings = milesightReadings(msg.decoded_payload, ts, ctx.receivedAt, identity);
    if (!Array.isArray(readings)) return readings;
    // A new session (rejoin) restarts the frame counter: the session key id tells sessions apart.
    return { ok: true, identity, readings, checkins: [], messageId: `${msg.session_key_id ?? ''}:${msg.f_cnt ?? 0}` };
  },
};
