/**
 * Milesight LoRaWAN sensors' decoded fields (the vendor's payload decoders,
 * github.com/Milesight-IoT/SensorDecoders, which The Things Stack and ChirpStack run as the
 * device's payload formatter / codec) mapped to the metric catalogue. One mapping for both
 * network servers: they hand over the same decoded object.
 *
 * | model | decoded field | metric |
 * |---|---|---|
 * | VS340, VS341 (desk), VS370 (radar), WS203 (PIR) | `occupancy`: "occupied" / "vacant" | `occupied` 1 / 0 |
 * | WS202 (PIR) | `pir`: "trigger" / "normal" (older decoders: "idle") | `occupied` 1 / 0 |
 * | VS121 (AI people counter) | `people_count_all` | `people_count` |
 * | all battery models | `battery` (%) | `battery_pct` |
 * | WS203 | `temperature` (°C), `humidity` (%RH) | `temperature_c`, `humidity_pct` |
 * | WS203 | `history[]`: `timestamp` (Unix s) + the fields above | readings at that time |
 * | lux sensors | `illuminance` as a number (lx) | `illuminance_lx` |
 *
 * VS370's `illuminance` ("dim"/"bright") and WS202's `daylight` ("light"/"dark") are a
 * threshold, not a light level: not read. Region counts, passing counts and flows of the
 * VS121 are not a headcount: not read.
 */
import { z } from 'zod';
import type { DecodeFailure, DeviceIdentity, Reading } from '../adapter.ts';
import { deviceTimestamp, describeIssues, isFailure, readingsFromSample, type Sample } from '../readings.ts';
import { fail } from '../adapter.ts';

const number = z.number().finite().optional();
const occupancy = z.union([z.enum(['occupied', 'vacant']), z.literal(0), z.literal(1)]).optional();

const fieldsSchema = z.looseObject({
  occupancy,
  pir: z.enum(['trigger', 'normal', 'idle']).optional(),
  people_count_all: z.number().int().nonnegative().optional(),
  battery: number,
  temperature: number,
  humidity: number,
  illuminance: z.union([z.number().finite(), z.string()]).optional(),
});

const decodedSchema = fieldsSchema.extend({
  history: z.array(fieldsSchema.extend({ timestamp: z.number().finite() })).max(1000).optional(),
});

function sampleOf(f: z.infer<typeof fieldsSchema>): Sample {
  const occupied = f.occupancy !== undefined ? f.occupancy === 'occupied' || f.occupancy === 1 : f.pir !== undefined ? f.pir === 'trigger' : undefined;
  return {
    occupied,
    people_count: f.people_count_all,
    battery_pct: f.battery,
    temperature_c: f.temperature,
    humidity_pct: f.humidity,
    illuminance_lx: typeof f.illuminance === 'number' ? f.illuminance : undefined,
  };
}

/**
 * Readings from a Milesight decoded object: the live fields at `ts`, and each `history`
 * record (WS203 retransmits what it stored while out of coverage) at its own time, oldest first.
 */
export function milesightReadings(decoded: unknown, ts: number, receivedAt: number, identity: DeviceIdentity): Reading[] | DecodeFailure {
  const parsed = decodedSchema.safeParse(decoded);
  if (!parsed.success) return fail('schema', `decoded payload: ${describeIssues(parsed.error)}`, identity);
  const readings: Reading[] = [];
  for (const h of [...(parsed.data.history ?? [])].sort((a, b) => a.timestamp - b.timestamp)) {
    const at = deviceTimestamp(h.timestamp * 1000, receivedAt, identity);
    if (isFailure(at)) return at;
    const rs = readingsFromSample(sampleOf(h), at, identity);
    if (!Array.isArray(rs)) return rs;
    readings.push(...rs);
  }
  const live = readingsFromSample(sampleOf(parsed.data), ts, identity);
  if (!Array.isArray(live)) return live;
  readings.push(...live);
  return readings;
}

/** An ISO 8601 time as epoch ms (nanosecond digits truncated by Date.parse), or undefined. */
export function isoMs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}
