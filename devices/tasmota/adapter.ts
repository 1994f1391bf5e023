/**
 * Tasmota (https://tasmota.github.io) with the default FullTopic `%prefix%/%topic%/`:
 * `tele/<topic>/SENSOR` (ENERGY and sensor readings every TelePeriod), `tele/<topic>/STATE`
 * (POWER), `tele/<topic>/LWT` (`Online`/`Offline`), `stat/<topic>/POWER` and
 * `stat/<topic>/RESULT` (answers to commands and button presses). The foreign id is the
 * Tasmota topic (`tasmota_A1B2C3` by default).
 *
 * Timestamps: Tasmota's `Time` is local time without a zone (unless SetOption52 is on) and
 * Tasmota does not buffer telemetry, so every reading is stamped with the receive time.
 */
import { z } from 'zod';
import { fail, parseJson, payloadText, type Adapter, type DecodeContext, type DecodeResult, type DeviceIdentity } from '../adapter.ts';
import { acknowledged, clip, describeIssues, decodedSample, scaled, type Sample } from '../readings.ts';

const ECOSYSTEM = 'tasmota';

const value = z.number().finite().nullable().optional();
/** Multi-channel energy monitors (Shelly 2.5, Sonoff Dual R3) publish one number per channel. */
const channels = z
  .union([z.number().finite(), z.array(z.number().finite()).min(1).max(8)], { error: 'expected a number, or an array of numbers (one per channel)' })
  .nullable()
  .optional();

/** ENERGY in tele/SENSOR: Total, Today, Yesterday in kWh; Power in W; Voltage in V; Current in A. */
const energySchema = z.looseObject({
  Total: channels,
  Power: channels,
  Voltage: channels,
  Current: channels,
});

const sensorSchema = z.looseObject({
  Time: z.string().optional(),
  /** TempUnit follows SetOption8: C, or F when the device reports Fahrenheit. */
  TempUnit: z.enum(['C', 'F']).optional(),
  ENERGY: energySchema.optional(),
});

/** One attached sensor (AM2301, DS18B20, BH1750, SCD30…): the fields deskprint reads. */
const attachedSensorSchema = z.looseObject({
  Temperature: value,
  Humidity: value,
  Illuminance: value,
  CarbonDioxide: value,
});

/**
 * Objects in SENSOR that are not room sensors: ESP32 reports its chip temperature, and
 * ANALOG.Temperature is the relay's internal NTC on Shelly 1PM/2.5 running Tasmota.
 */
const NOT_ROOM_SENSORS = new Set(['ENERGY', 'ESP32', 'ESP8266', 'ANALOG']);

const powerSchema = z.looseObject({
  POWER: z.string().optional(),
  POWER1: z.string().optional(),
});

type Channel = 'SENSOR' | 'STATE' | 'LWT' | 'POWER' | 'RESULT';
const CHANNELS: Record<string, readonly Channel[]> = { tele: ['SENSOR', 'STATE', 'LWT'], stat: ['POWER', 'RESULT'] };

function parseTopic(topic: string): { prefix: 'tele' | 'stat'; device: string; channel: string } | null {
  const parts = topic.split('/');
  if (parts.length !== 3) return null;
  const [prefix, device, channel] = parts as [string, string, string];
  if ((prefix !== 'tele' && prefix !== 'stat') || device === '' || channel === '') return null;
  return { prefix, device, channel };
}

function sum(v: number | number[]): number {
  return Array.isArray(v) ? v.reduce((a, b) => a + b, 0) : v;
}

function mean(v: number | number[]): number {
  return Array.isArray(v) ? v.reduce((a, b) => a + b, 0) / v.length : v;
}

/** "ON"/"OFF" → on; Tasmota's other states (TOGGLE, BLINK) are not a reading. */
function onOff(text: string | undefined): boolean | undefined {
  return text === 'ON' ? true : text === 'OFF' ? false : undefined;
}

function decodeSensor(payload: Uint8Array, identity: DeviceIdentity, ctx: DecodeContext): DecodeResult {
  const json = parseJson(payload);
  if (!json.ok) return { ...json, identity };
  const result = sensorSchema.safeParse(json.value);
  if (!result.success) return fail('schema', describeIssues(result.error), identity);
  const { ENERGY: energy, TempUnit: tempUnit } = result.data;

  const sample: Sample = {};
  if (energy) {
    // A multi-channel monitor is one registered device: channel powers and currents add up.
    if (isSet(energy.Power)) sample.power_w = scaled(sum(energy.Power), 1);
    if (isSet(energy.Total)) sample.energy_wh = scaled(sum(energy.Total), 1000);
    if (isSet(energy.Voltage)) sample.voltage_v = scaled(mean(energy.Voltage), 1, 2);
    if (isSet(energy.Current)) sample.current_a = scaled(sum(energy.Current), 1);
  }
  for (const [name, raw] of Object.entries(result.data)) {
    if (NOT_ROOM_SENSORS.has(name) || typeof raw !== 'object' || raw === null || Array.isArray(raw)) continue;
    const sensor = attachedSensorSchema.safeParse(raw);
    if (!sensor.success) return fail('schema', `${clip(name)}: ${describeIssues(sensor.error)}`, identity);
    const s = sensor.data;
    // The first sensor that reports a quantity wins; Tasmota keeps sensors in a stable order.
    if (sample.temperature_c === undefined && isSet(s.Temperature)) {
      sample.temperature_c = tempUnit === 'F' ? scaled((s.Temperature - 32) * 5 / 9, 1, 2) : s.Temperature;
    }
    if (sample.humidity_pct === undefined && isSet(s.Humidity)) sample.humidity_pct = s.Humidity;
    if (sample.illuminance_lx === undefined && isSet(s.Illuminance)) sample.illuminance_lx = s.Illuminance;
    if (sample.co2_ppm === undefined && isSet(s.CarbonDioxide)) sample.co2_ppm = s.CarbonDioxide;
  }
  return decodedSample(identity, sample, ctx.receivedAt);
}

function decodePowerJson(payload: Uint8Array, identity: DeviceIdentity, ctx: DecodeContext): DecodeResult {
  const json = parseJson(payload);
  if (!json.ok) return { ...json, identity };
  const result = powerSchema.safeParse(json.value);
  if (!result.success) return fail('schema', describeIssues(result.error), identity);
  // Relay 1 is the device's load; further relays (POWER2…) are not metered separately by Tasmota.
  const on = onOff(result.data.POWER ?? result.data.POWER1);
  return decodedSample(identity, { on }, ctx.receivedAt);
}

function isSet<T>(v: T | null | undefined): v is T {
  return v !== null && v !== undefined;
}

export const tasmotaAdapter: Adapter = {
  name: ECOSYSTEM,
  subscriptions: ['tele/+/SENSOR', 'tele/+/STATE', 'tele/+/LWT', 'stat/+/POWER', 'stat/+/RESULT'],
  matches: (topic) => parseTopic(topic) !== null,
  decode(topic, payload, ctx): DecodeResult {
    const parsed = parseTopic(topic);
    if (!parsed) return fail('unknown_topic', `not a Tasmota topic (tele|stat/<topic>/<channel>): "${clip(topic)}"`);
    const identity: DeviceIdentity = { ecosystem: ECOSYSTEM, foreignId: parsed.device };
    // INFO1…3, UPTIME, STATUS… carry nothing deskprint measures.
    if (!CHANNELS[parsed.prefix]!.includes(parsed.channel as Channel)) return acknowledged(identity);
    switch (parsed.channel as Channel) {
      case 'SENSOR':
        return decodeSensor(payload, identity, ctx);
      case 'STATE':
      case 'RESULT':
        return decodePowerJson(payload, identity, ctx);
      case 'POWER': {
        const text = payloadText(payload);
        const on = onOff(text);
        if (on === undefined) return fail('schema', `POWER must be "ON" or "OFF", got "${clip(text)}"`, identity);
        return decodedSample(identity, { on }, ctx.receivedAt);
      }
      case 'LWT': {
        const text = payloadText(payload);
        if (text === 'Online') return { ok: true, identity, readings: [], checkins: [], status: 'online' };
        if (text === 'Offline') return { ok: true, identity, readings: [], checkins: [], status: 'offline' };
        return fail('schema', `LWT must be "Online" or "Offline", got "${clip(text)}"`, identity);
      }
    }
  },
};
