/**
 * Shelly relays, plugs and energy meters over their built-in MQTT (README.md has the tables).
 *
 * Gen2/Gen3 (Shelly Plus, Pro, Mini, Gen3): `<prefix>/status/<component:id>` (status_ntf),
 * `<prefix>/events/rpc` with NotifyStatus (rpc_ntf), `<prefix>/online` (`true`/`false`).
 * `<prefix>` defaults to the device id, e.g. `shellyplus1pm-a8032ab12345`.
 * Gen1: `shellies/<id>/relay/<n>[/power|/energy]`, `shellies/<id>/emeter/<n>/<value>`,
 * `shellies/<id>/online`.
 *
 * One registered deskprint device is one metering channel, so the foreign id names the
 * channel: `<prefix>:<component>:<n>` (`shellyplus1pm-a8032ab12345:switch:0`,
 * `shellypro3em-…:em:0`, `shellies id:relay:0`). A meter's energy counter lives in a sibling
 * component (`emdata:0` beside `em:0`, `em1data:1` beside `em1:1`) and maps to the meter's id.
 * Availability (`online`) is per device: its foreign id is the bare `<prefix>` / `<id>`.
 */
import { z } from 'zod';
import { fail, parseJson, payloadText, type Adapter, type DecodeContext, type DecodeFailure, type DecodeResult, type DeviceIdentity } from '../adapter.ts';
import { TOPIC_ROOT } from '../topics.ts';
import { acknowledged, clip, describeIssues, decodedSample, deviceTimestamp, isFailure, scaled, type Sample } from '../readings.ts';

const ECOSYSTEM = 'shelly';
const GEN1_ROOT = 'shellies';

const value = z.number().finite().nullable().optional();

/**
 * Switch, Light and PM1 status (Gen2 API "Switch", "Light", "PM1" components): the same
 * metering fields; NotifyStatus sends only what changed.
 */
const switchSchema = z.looseObject({
  output: z.boolean().nullable().optional(),
  apower: value,
  voltage: value,
  current: value,
  /** Wh since the device's counter start. */
  aenergy: z.looseObject({ total: value }).nullable().optional(),
});

/** EM status (Pro 3EM): per-phase a_/b_/c_ values and totals; n_current is null without a neutral CT. */
const emSchema = z.looseObject({
  total_act_power: value,
  total_current: value,
  a_voltage: value,
  b_voltage: value,
  c_voltage: value,
  a_current: value,
  b_current: value,
  c_current: value,
});

/** EMData status: active energy totals in Wh. */
const emdataSchema = z.looseObject({ total_act: value });

/** EM1 status (Pro EM, EM Gen3): one CT channel. */
const em1Schema = z.looseObject({ act_power: value, voltage: value, current: value });

/** EM1Data status: active energy total in Wh. */
const em1dataSchema = z.looseObject({ total_act_energy: value });

const announceSchema = z.looseObject({ id: z.string().min(1).max(128) });

const rpcFrameSchema = z.looseObject({
  src: z.string().optional(),
  method: z.string(),
  params: z.unknown().optional(),
});

const notifyParamsSchema = z.looseObject({
  /** Unix seconds (UTC) with fractions. */
  ts: z.number().finite().optional(),
});

type MeteringComponent = 'switch' | 'light' | 'pm1' | 'em' | 'emdata' | 'em1' | 'em1data';

/** The component whose foreign id a status belongs to: energy data sits beside its meter. */
const CHANNEL_OF: Record<MeteringComponent, string> = { switch: 'switch', light: 'light', pm1: 'pm1', em: 'em', emdata: 'em', em1: 'em1', em1data: 'em1' };

const COMPONENT_KEY = /^([a-z][a-z0-9_]{0,31})(?::(\d{1,3}))?$/;

/** One component status → canonical sample, or the zod issues. */
function componentSample(component: MeteringComponent, status: unknown): Sample | string {
  switch (component) {
    case 'switch':
    case 'light':
    case 'pm1': {
      const r = switchSchema.safeParse(status);
      if (!r.success) return describeIssues(r.error);
      const s = r.data;
      return {
        power_w: s.apower ?? undefined,
        voltage_v: s.voltage ?? undefined,
        current_a: s.current ?? undefined,
        energy_wh: s.aenergy?.total ?? undefined,
        on: component === 'pm1' ? undefined : (s.output ?? undefined),
      };
    }
    case 'em': {
      const r = emSchema.safeParse(status);
      if (!r.success) return describeIssues(r.error);
      const s = r.data;
      const phaseVolts = [s.a_voltage, s.b_voltage, s.c_voltage].filter((v): v is number => v !== null && v !== undefined);
      const phaseAmps = [s.a_current, s.b_current, s.c_current].filter((v): v is number => v !== null && v !== undefined);
      return {
        power_w: s.total_act_power ?? undefined,
        // One voltage per device in the catalogue: the mean phase-to-neutral voltage.
        voltage_v: phaseVolts.length ? scaled(phaseVolts.reduce((a, b) => a + b, 0) / phaseVolts.length, 1, 2) : undefined,
        current_a: s.total_current ?? (phaseAmps.length ? scaled(phaseAmps.reduce((a, b) => a + b, 0), 1) : undefined),
      };
    }
    case 'emdata': {
      const r = emdataSchema.safeParse(status);
      if (!r.success) return describeIssues(r.error);
      return { energy_wh: r.data.total_act ?? undefined };
    }
    case 'em1': {
      const r = em1Schema.safeParse(status);
      if (!r.success) return describeIssues(r.error);
      return { power_w: r.data.act_power ?? undefined, voltage_v: r.data.voltage ?? undefined, current_a: r.data.current ?? undefined };
    }
    case 'em1data': {
      const r = em1dataSchema.safeParse(status);
      if (!r.success) return describeIssues(r.error);
      return { energy_wh: r.data.total_act_energy ?? undefined };
    }
  }
}

function isMetering(type: string): type is MeteringComponent {
  return Object.hasOwn(CHANNEL_OF, type);
}

/**
 * Sensor components (Plus H&T, Plus Smoke, Flood, the add-on's sensors): a room's climate,
 * not a load. deskprint does not read them yet; saying so keeps them off the silent path.
 */
const SENSOR_COMPONENTS = new Set(['temperature', 'humidity', 'devicepower', 'illuminance', 'smoke', 'flood', 'voltmeter', 'input_analog']);

function isSensor(type: string): boolean {
  return SENSOR_COMPONENTS.has(type);
}

function unsupportedSensor(device: string, component: string): DecodeFailure {
  return fail('unsupported', `Shelly sensor component "${clip(component)}" (Plus H&T, Smoke, Flood, add-on) is not read; only switch, light, pm1, em and em1 channels are`, deviceIdentity(device));
}

type ForeignIdentity = Extract<DeviceIdentity, { foreignId: string }>;

function channelIdentity(device: string, type: MeteringComponent, id: string | undefined): ForeignIdentity {
  return { ecosystem: ECOSYSTEM, foreignId: `${device}:${CHANNEL_OF[type]}:${id ?? '0'}` };
}

function deviceIdentity(device: string): DeviceIdentity {
  return { ecosystem: ECOSYSTEM, foreignId: device };
}

type ParsedTopic =
  | { gen: 1; device: string; rest: string[] }
  | { gen: 2; device: string; channel: 'online' | 'rpc' }
  | { gen: 2; device: string; channel: 'status'; component: string };

function parseTopic(topic: string): ParsedTopic | null {
  if (topic.startsWith(`${TOPIC_ROOT}/`)) return null;
  const parts = topic.split('/');
  if (parts.some((p) => p === '')) return null;
  if (parts[0] !== GEN1_ROOT) return parseGen2(parts, 0);
  // A Gen2/Gen3 prefix under `shellies/` keeps Gen1 and Gen2 in one tree; Gen1 never
  // publishes `events/rpc`, `status/<component>` or `online` below its device id. The
  // foreign id drops the `shellies/` root, as Gen1's does, so ids read the same in both.
  const gen2 = parts.length >= 4 || (parts.length === 3 && parts[2] !== 'online') ? parseGen2(parts, 1) : null;
  if (gen2) return gen2;
  if (parts.length >= 2) return { gen: 1, device: parts[1]!, rest: parts.slice(2) };
  return null;
}

/** `<prefix>/online`, `<prefix>/events/rpc`, `<prefix>/status/<component>`, the prefix starting at `parts[from]`. */
function parseGen2(parts: string[], from: number): ParsedTopic | null {
  const n = parts.length;
  const prefix = (suffix: number) => parts.slice(from, n - suffix).join('/');
  if (n - from >= 2 && parts[n - 1] === 'online') return { gen: 2, device: prefix(1), channel: 'online' };
  if (n - from >= 3 && parts[n - 2] === 'events' && parts[n - 1] === 'rpc') return { gen: 2, device: prefix(2), channel: 'rpc' };
  if (n - from >= 3 && parts[n - 2] === 'status' && COMPONENT_KEY.test(parts[n - 1]!)) {
    return { gen: 2, device: prefix(2), channel: 'status', component: parts[n - 1]! };
  }
  return null;
}

/**
 * Every channel a message carries, one result per channel. A NotifyStatus normally names one
 * component; NotifyFullStatus and coalesced notifications name several.
 */
export function decodeShellyChannels(topic: string, payload: Uint8Array, ctx: DecodeContext): DecodeResult[] {
  const parsed = parseTopic(topic);
  if (!parsed) return [fail('unknown_topic', `not a Shelly topic: "${clip(topic)}"`)];
  if (parsed.gen === 1) return [decodeGen1(parsed.device, parsed.rest, payload, ctx)];
  if (parsed.channel === 'online') return [decodeOnline(payload, deviceIdentity(parsed.device))];
  if (parsed.channel === 'status') {
    const [, type, id] = COMPONENT_KEY.exec(parsed.component)!;
    if (isSensor(type!)) return [unsupportedSensor(parsed.device, parsed.component)];
    if (!isMetering(type!)) return [acknowledged(deviceIdentity(parsed.device))];
    const identity = channelIdentity(parsed.device, type, id);
    const json = parseJson(payload);
    if (!json.ok) return [{ ...json, identity }];
    const sample = componentSample(type, json.value);
    if (typeof sample === 'string') return [fail('schema', `${parsed.component}: ${sample}`, identity)];
    return [decodedSample(identity, sample, ctx.receivedAt)];
  }
  return decodeRpcEvent(parsed.device, payload, ctx);
}

function decodeRpcEvent(device: string, payload: Uint8Array, ctx: DecodeContext): DecodeResult[] {
  const identity = deviceIdentity(device);
  const json = parseJson(payload);
  if (!json.ok) return [{ ...json, identity }];
  const frame = rpcFrameSchema.safeParse(json.value);
  if (!frame.success) return [fail('schema', describeIssues(frame.error), identity)];
  // NotifyEvent (button pushes, scripts) and responses carry nothing deskprint measures.
  if (frame.data.method !== 'NotifyStatus' && frame.data.method !== 'NotifyFullStatus') return [acknowledged(identity)];
  const params = notifyParamsSchema.safeParse(frame.data.params);
  if (!params.success) return [fail('schema', `params: ${describeIssues(params.error)}`, identity)];
  const ts = deviceTimestamp(params.data.ts === undefined ? undefined : params.data.ts * 1000, ctx.receivedAt, identity);
  if (isFailure(ts)) return [ts];

  // Meter and energy data of one channel (em:0 + emdata:0) merge into one result.
  const samples = new Map<string, { identity: ForeignIdentity; sample: Sample }>();
  for (const [key, status] of Object.entries(params.data)) {
    const m = COMPONENT_KEY.exec(key);
    const type = m?.[1];
    if (!m || type === undefined || !isMetering(type)) continue;
    const channel = channelIdentity(device, type, m[2]);
    const sample = componentSample(type, status);
    if (typeof sample === 'string') return [fail('schema', `params.${key}: ${sample}`, channel)];
    const entry = samples.get(channel.foreignId) ?? { identity: channel, sample: {} };
    for (const [k, v] of Object.entries(sample) as [keyof Sample, Sample[keyof Sample]][]) if (v !== undefined) entry.sample[k] = v;
    samples.set(channel.foreignId, entry);
  }
  if (samples.size === 0) {
    const sensor = Object.keys(params.data).find((key) => isSensor(COMPONENT_KEY.exec(key)?.[1] ?? ''));
    return [sensor === undefined ? acknowledged(identity) : unsupportedSensor(device, sensor)];
  }
  return [...samples.values()].map(({ identity: id, sample }) => decodedSample(id, sample, ts));
}

function decodeOnline(payload: Uint8Array, identity: DeviceIdentity): DecodeResult {
  const text = payloadText(payload);
  if (text === 'true') return { ok: true, identity, readings: [], checkins: [], status: 'online' };
  if (text === 'false') return { ok: true, identity, readings: [], checkins: [], status: 'offline' };
  return fail('schema', `online must be "true" or "false", got "${clip(text)}"`, identity);
}

/** Gen1 publishes one plain-text value per topic. */
function decodeGen1(device: string, rest: string[], payload: Uint8Array, ctx: DecodeContext): DecodeResult {
  // `shellies/announce`: every Gen1 device on the broker says who it is; name it, for discovery.
  if (device === 'announce' && rest.length === 0) {
    const json = parseJson(payload);
    if (!json.ok) return json;
    const announce = announceSchema.safeParse(json.value);
    if (!announce.success) return fail('schema', `announce: ${describeIssues(announce.error)}`);
    return acknowledged(deviceIdentity(announce.data.id));
  }
  const [group, index, field, extra] = rest;
  if (rest.length === 1 && group === 'online') return decodeOnline(payload, deviceIdentity(device));
  const channel = (group === 'relay' || group === 'emeter') && index !== undefined && /^\d{1,2}$/.test(index) && extra === undefined;
  if (!channel) return acknowledged(deviceIdentity(device));
  const identity: DeviceIdentity = { ecosystem: ECOSYSTEM, foreignId: `${device}:${group}:${index}` };
  const text = payloadText(payload);

  if (group === 'relay' && field === undefined) {
    // `overpower`: the relay switched itself off on an overload.
    if (text === 'on' || text === 'off' || text === 'overpower') return decodedSample(identity, { on: text === 'on' }, ctx.receivedAt);
    return fail('schema', `relay state must be "on", "off" or "overpower", got "${clip(text)}"`, identity);
  }
  const fields: Record<string, (v: number) => Sample> =
    group === 'relay'
      ? {
          power: (v) => ({ power_w: v }),
          // Gen1 relay energy is in watt-minutes (Shelly Gen1 API, /status meters[].total).
          energy: (v) => ({ energy_wh: scaled(v, 1 / 60) }),
        }
      : {
          power: (v) => ({ power_w: v }),
          voltage: (v) => ({ voltage_v: v }),
          current: (v) => ({ current_a: v }),
          // emeter/<n>/total is already Wh; emeter/<n>/energy (watt-minutes since the last report) is not a counter.
          total: (v) => ({ energy_wh: v }),
        };
  const toSample = field !== undefined && Object.hasOwn(fields, field) ? fields[field] : undefined;
  if (!toSample) return acknowledged(identity);
  if (!/^-?\d+(\.\d+)?$/.test(text)) return fail('schema', `${group}/${index}/${field}: expected a number, got "${clip(text)}"`, identity);
  return decodedSample(identity, toSample(Number(text)), ctx.receivedAt);
}

export interface ShellyAdapter extends Adapter {
  /** Every channel of a message; `decode` returns one of them (see `decode`). */
  decodeChannels(topic: string, payload: Uint8Array, ctx: DecodeContext): DecodeResult[];
}

export const shellyAdapter: ShellyAdapter = {
  name: ECOSYSTEM,
  subscriptions: [`${GEN1_ROOT}/#`, '+/online', '+/events/rpc', '+/status/+'],
  matches: (topic) => parseTopic(topic) !== null,
  decodeChannels: decodeShellyChannels,
  /** Ingest uses this: every channel a message names becomes its own decoded result. */
  decodeAll: decodeShellyChannels,
  /**
   * The Adapter contract names one identity per message. A message that carries several
   * channels (NotifyFullStatus, or a coalesced NotifyStatus) returns the first failure if
   * any, else an acknowledgement for the device with no readings: the per-channel topics
   * (`status/<component>`, enable "Generic status update over MQTT") or `decodeChannels`
   * carry the data.
   */
  decode(topic, payload, ctx): DecodeResult {
    const results = decodeShellyChannels(topic, payload, ctx);
    if (results.length === 1) return results[0]!;
    const failure = results.find((r) => !r.ok);
    if (failure) return failure;
    const device = parseTopic(topic)!.device;
    return acknowledged(deviceIdentity(device));
  },
};
