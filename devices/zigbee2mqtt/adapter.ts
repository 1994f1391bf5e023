/**
 * Zigbee2MQTT (https://www.zigbee2mqtt.io): `<base>/<friendly_name>` carries the device's
 * whole cached state as one JSON object (`advanced.output: json`, the default, or
 * `attribute_and_json`, whose per-attribute topics are acknowledged and skipped), and
 * `<base>/<friendly_name>/availability` carries `{"state":"online"}` (1.x legacy: plain `online`).
 * The foreign id is the friendly name, which may contain `/`. README.md has the key table.
 */
import { z } from 'zod';
import { fail, parseJson, payloadText, type Adapter, type DecodeResult, type DeviceIdentity } from '../adapter.ts';
import { acknowledged, clip, describeIssues, decodedSample, deviceTimestamp, isFailure, scaled, type Sample } from '../readings.ts';

export const DEFAULT_BASE_TOPIC = 'zigbee2mqtt';

/** Zigbee2MQTT's own topics (`bridge/state`, `bridge/devices`, `bridge/logging`…) use this reserved name. */
export const BRIDGE_ID = 'bridge';

const value = z.number().finite().nullable().optional();
const flag = z.boolean().nullable().optional();

/**
 * The keys deskprint reads; everything else (linkquality, update, device_temperature…) passes
 * through unread. `null` is what Zigbee2MQTT publishes for a value it has not received yet.
 */
const stateSchema = z.looseObject({
  occupancy: flag,
  presence: flag,
  power: value,
  /** kWh in Zigbee2MQTT's `energy` expose. */
  energy: value,
  voltage: value,
  current: value,
  /** "ON"/"OFF" for switches and lights; covers and locks use other words, which are not on/off. */
  state: z.string().nullable().optional(),
  local_temperature: value,
  temperature: value,
  current_heating_setpoint: value,
  occupied_heating_setpoint: value,
  pi_heating_demand: value,
  /** TRVs and thermostats: "heat" while heating, "idle" otherwise (Zigbee2MQTT running_state expose). */
  running_state: z.string().nullable().optional(),
  position: value,
  /** Zigbee2MQTT < 2.0 published raw `illuminance` (10000·log10(lx)+1) beside `illuminance_lux`; 2.0 publishes lux in `illuminance`. */
  illuminance: value,
  illuminance_lux: value,
  battery: value,
  humidity: value,
  co2: value,
  /** `advanced.last_seen`: ISO 8601 (with offset) or epoch ms; when Zigbee2MQTT last heard the device. */
  last_seen: z.union([z.number(), z.string()]).nullable().optional(),
});

const availabilitySchema = z.looseObject({ state: z.enum(['online', 'offline']) });

export interface Zigbee2mqttOptions {
  /** Zigbee2MQTT's `mqtt.base_topic`. */
  baseTopic?: string;
}

type ParsedTopic =
  | { kind: 'bridge' }
  | { kind: 'state' | 'availability' | 'command'; name: string };

export function createZigbee2mqttAdapter(options: Zigbee2mqttOptions = {}): Adapter {
  const base = options.baseTopic ?? DEFAULT_BASE_TOPIC;
  const prefix = `${base}/`;

  function parseTopic(topic: string): ParsedTopic | null {
    if (!topic.startsWith(prefix)) return null;
    const rest = topic.slice(prefix.length);
    if (rest === BRIDGE_ID || rest.startsWith(`${BRIDGE_ID}/`)) return { kind: 'bridge' };
    const parts = rest.split('/');
    if (parts.some((p) => p === '')) return null;
    const last = parts.length - 1;
    if (parts.length > 1 && parts[last] === 'availability') return { kind: 'availability', name: parts.slice(0, last).join('/') };
    // `<name>/set`, `<name>/get`, `<name>/set/<attribute>`: commands from controllers, not device state.
    const verbAt = parts.findIndex((p, i) => i > 0 && i >= last - 1 && (p === 'set' || p === 'get'));
    if (verbAt > 0) return { kind: 'command', name: parts.slice(0, verbAt).join('/') };
    return { kind: 'state', name: rest };
  }

  return {
    name: 'zigbee2mqtt',
    subscriptions: [`${base}/#`],
    matches: (topic) => parseTopic(topic) !== null,
    decode(topic, payload, ctx): DecodeResult {
      const parsed = parseTopic(topic);
      if (!parsed) return fail('unknown_topic', `not a Zigbee2MQTT topic under "${base}/": "${clip(topic)}"`);
      if (parsed.kind === 'bridge') return acknowledged({ ecosystem: 'zigbee2mqtt', foreignId: BRIDGE_ID });
      const identity: DeviceIdentity = { ecosystem: 'zigbee2mqtt', foreignId: parsed.name };
      if (parsed.kind === 'command') return acknowledged(identity);
      if (parsed.kind === 'availability') return decodeAvailability(payload, identity);
      const slash = parsed.name.lastIndexOf('/');
      if (slash > 0 && !looksLikeJsonObject(payload)) {
        // `output: attribute_and_json` also publishes each attribute on `<name>/<attribute>`
        // as a bare value (`48.3`, `ON`); the JSON state on `<name>` carries the same values.
        return acknowledged({ ecosystem: 'zigbee2mqtt', foreignId: parsed.name.slice(0, slash) });
      }
      return decodeState(payload, identity, ctx.receivedAt);
    },
  };
}

function decodeAvailability(payload: Uint8Array, identity: DeviceIdentity): DecodeResult {
  const text = payloadText(payload);
  // Zigbee2MQTT 1.x publishes plain `online`/`offline` unless advanced.legacy_availability_payload
  // is false (1.24+); 2.0 removed the legacy payload and publishes JSON only.
  if (text === 'online' || text === 'offline') return { ok: true, identity, readings: [], checkins: [], status: text };
  const json = parseJson(payload);
  if (!json.ok) return { ...json, identity };
  const result = availabilitySchema.safeParse(json.value);
  if (!result.success) return fail('schema', `availability: ${describeIssues(result.error)}`, identity);
  return { ok: true, identity, readings: [], checkins: [], status: result.data.state };
}

function decodeState(payload: Uint8Array, identity: DeviceIdentity, receivedAt: number): DecodeResult {
  const json = parseJson(payload);
  if (!json.ok) return { ...json, identity };
  if (typeof json.value !== 'object' || json.value === null || Array.isArray(json.value)) {
    return fail('schema', '(root): expected a JSON object (set Zigbee2MQTT advanced.output to "json" or "attribute_and_json")', identity);
  }
  const result = stateSchema.safeParse(json.value);
  if (!result.success) return fail('schema', describeIssues(result.error), identity);
  const s = result.data;

  const lastSeen = lastSeenMs(s.last_seen);
  if (Number.isNaN(lastSeen)) return fail('bad_timestamp', `last_seen: "${clip(String(s.last_seen))}" is not ISO 8601 with a zone, nor epoch ms`, identity);
  const ts = deviceTimestamp(lastSeen, receivedAt, identity);
  if (isFailure(ts)) return ts;

  const metering = isSet(s.power) || isSet(s.current) || isSet(s.energy);
  const sample: Sample = {
    occupied: s.occupancy ?? s.presence ?? undefined,
    power_w: s.power ?? undefined,
    energy_wh: isSet(s.energy) ? scaled(s.energy, 1000) : undefined,
    // Battery sensors (Aqara and others) publish their cell voltage in mV under the same key:
    // only a device that also meters power is reporting mains volts.
    voltage_v: metering ? (s.voltage ?? undefined) : undefined,
    current_a: s.current ?? undefined,
    on: onOff(s.state) ?? heating(s.running_state),
    temperature_c: s.temperature ?? s.local_temperature ?? undefined,
    setpoint_c: s.current_heating_setpoint ?? s.occupied_heating_setpoint ?? undefined,
    valve_pct: s.pi_heating_demand ?? s.position ?? undefined,
    illuminance_lx: s.illuminance_lux ?? s.illuminance ?? undefined,
    battery_pct: s.battery ?? undefined,
    humidity_pct: s.humidity ?? undefined,
    co2_ppm: s.co2 ?? undefined,
  };
  return decodedSample(identity, sample, ts);
}

function onOff(state: string | null | undefined): boolean | undefined {
  return state === 'ON' ? true : state === 'OFF' ? false : undefined;
}

/** A TRV without a `state` key says whether it heats through `running_state`. */
function heating(runningState: string | null | undefined): boolean | undefined {
  return runningState === 'heat' ? true : runningState === 'idle' ? false : undefined;
}

/** Whether the payload's first non-blank byte is `{`: a state object, possibly broken. */
function looksLikeJsonObject(payload: Uint8Array): boolean {
  for (const byte of payload) {
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
    return byte === 0x7b;
  }
  return false;
}

function isSet(v: number | null | undefined): v is number {
  return v !== null && v !== undefined;
}

/** undefined when absent, NaN when present but unreadable. */
function lastSeenMs(v: number | string | null | undefined): number | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'number') return v;
  // ISO_8601 ends in Z, ISO_8601_local carries an offset; a bare local time would be ambiguous.
  return /([zZ]|[+-]\d\d:?\d\d)$/.test(v) ? Date.parse(v) : Number.NaN;
}

export const zigbee2mqttAdapter: Adapter = createZigbee2mqttAdapter();
