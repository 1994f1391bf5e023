/**
 * Native deskprint devices: `deskprint/<site>/<device>/telemetry` carries JSON samples in
 * canonical units, `deskprint/<site>/<device>/status` carries retained online/offline.
 */
import { METRICS, SERIES_METRIC_KEYS } from '../catalogue.ts';
import { fail, parseJson, payloadText, type Adapter, type Checkin, type DecodeResult, type Reading } from '../adapter.ts';
import { parseNativeTopic, topics } from '../topics.ts';
import { formatIssues, nativeStatusSchema, nativeTelemetrySchema, plainSample, type NativeSample } from './schema.ts';

/** Readings stamped further than this into the future are clock errors (DESIGN: ts optional). */
export const MAX_FUTURE_MS = 5 * 60_000;

export const nativeAdapter: Adapter = {
  name: 'native',
  subscriptions: [topics.allNative],
  matches: (topic) => parseNativeTopic(topic) !== null,
  decode(topic, payload, ctx): DecodeResult {
    const parsed = parseNativeTopic(topic);
    if (!parsed) return fail('unknown_topic', `not a native deskprint topic: "${topic.length > 200 ? `${topic.slice(0, 200)}…` : topic}"`);
    const identity = { ecosystem: 'native', site: parsed.site, device: parsed.device } as const;

    if (parsed.channel === 'status') {
      const text = payloadText(payload);
      const status = nativeStatusSchema.safeParse(text);
      if (!status.success) return fail('schema', `status must be "online" or "offline", got "${text.slice(0, 40)}"`, identity);
      return { ok: true, identity, readings: [], checkins: [], status: status.data };
    }

    const json = parseJson(payload);
    if (!json.ok) return { ...json, identity };
    const plain = plainSample(json.value);
    let samples: NativeSample[];
    if (plain) samples = [plain];
    else {
      const result = nativeTelemetrySchema.safeParse(json.value);
      if (!result.success) return fail('schema', formatIssues(result.error), identity);
      samples = result.data;
    }

    const readings: Reading[] = [];
    const checkins: Checkin[] = [];
    for (const [index, sample] of samples.entries()) {
      const ts = sample.ts ?? ctx.receivedAt;
      const where = samples.length > 1 ? `[${index}].` : '';
      if (ts > ctx.receivedAt + MAX_FUTURE_MS) {
        return fail('bad_timestamp', `${where}ts: ${new Date(ts).toISOString()} is more than 5 min ahead of the receive time`, identity);
      }
      for (const key of SERIES_METRIC_KEYS) {
        const raw = sample[key];
        if (raw === undefined) continue;
        const value = typeof raw === 'boolean' ? (raw ? 1 : 0) : raw;
        const d = METRICS[key];
        if ((d.min !== undefined && value < d.min) || (d.max !== undefined && value > d.max)) {
          return fail('unit', `${where}${key}: ${value} ${d.unit} is outside ${d.min}…${d.max} ${d.unit}`, identity);
        }
        readings.push({ metric: key, value, ts });
      }
      if (sample.member !== undefined && sample.action !== undefined) {
        checkins.push({ member: sample.member, action: sample.action, ts, ...(sample.desk ? { desk: sample.desk } : {}) });
      }
    }
    return { ok: true, identity, readings, checkins };
  },
};
