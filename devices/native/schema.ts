/**
 * zod schemas for native deskprint payloads (DESIGN.md "Topics and payloads"):
 * a JSON object, or an array of objects from a gateway flushing its offline buffer.
 * Fields are named by the metric catalogue in canonical units; `ts` is optional.
 */
import { z } from 'zod';
import { CHECKIN_ACTIONS, METRICS, SERIES_METRIC_KEYS, type SeriesMetricKey } from '../catalogue.ts';
import { idSchema } from '../ids.ts';

/** Gateways may flush at most this many buffered samples in one message. */
export const MAX_BATCH = 1000;

/** 2000-01-01T00:00:00Z: an epoch-ms timestamp before this is almost surely in seconds. */
const MIN_TS = 946_684_800_000;

export const timestampSchema = z.union([
  z
    .number()
    .int()
    .refine((v) => v >= MIN_TS, { message: 'epoch milliseconds expected (this looks like seconds or is before 2000)' }),
  z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
]);

function metricField(key: SeriesMetricKey) {
  return METRICS[key].kind === 'boolean' ? z.boolean() : z.number().finite();
}

const metricShape = Object.fromEntries(SERIES_METRIC_KEYS.map((k) => [k, metricField(k).optional()])) as Record<
  SeriesMetricKey,
  z.ZodOptional<z.ZodBoolean | z.ZodNumber>
>;

export const nativeSampleSchema = z
  .object({
    ts: timestampSchema.optional(),
    ...metricShape,
    member: idSchema.optional(),
    action: z.enum(CHECKIN_ACTIONS).optional(),
    /** A kiosk or app check-in may name the desk; a desk badge reader's desk comes from the registry. */
    desk: idSchema.optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if ((s.member === undefined) !== (s.action === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'member and action come together', path: [s.member === undefined ? 'member' : 'action'] });
    }
    if (s.desk !== undefined && s.member === undefined) {
      ctx.addIssue({ code: 'custom', message: 'desk is only allowed with a check-in', path: ['desk'] });
    }
    const hasMetric = SERIES_METRIC_KEYS.some((k) => s[k] !== undefined);
    if (!hasMetric && s.member === undefined) {
      ctx.addIssue({ code: 'custom', message: 'no metric or check-in in sample', path: [] });
    }
  });

export type NativeSample = z.infer<typeof nativeSampleSchema>;

const METRIC_IS_BOOLEAN = new Map(SERIES_METRIC_KEYS.map((k) => [k as string, METRICS[k].kind === 'boolean']));

/**
 * The common message without zod: one sample object holding only metrics and perhaps `ts`
 * in epoch ms. Returns the sample when `nativeSampleSchema` would accept it unchanged, and
 * undefined for anything else, which then takes the schema's path (and its error messages).
 * zod cost about a fifth of decoding at 40,000 messages a second (bench/RESULTS.md).
 */
export function plainSample(value: unknown): NativeSample | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  let metrics = 0;
  for (const key in value) {
    const v = (value as Record<string, unknown>)[key];
    if (key === 'ts') {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < MIN_TS) return undefined;
      continue;
    }
    const isBoolean = METRIC_IS_BOOLEAN.get(key);
    if (isBoolean === undefined) return undefined;
    if (isBoolean ? typeof v !== 'boolean' : typeof v !== 'number' || !Number.isFinite(v)) return undefined;
    metrics++;
  }
  return metrics > 0 ? (value as NativeSample) : undefined;
}

export const nativeBatchSchema = z.array(nativeSampleSchema).min(1).max(MAX_BATCH);

/**
 * One sample or a batch. Not a plain z.union: a union reports "Invalid input" at the root,
 * and a device owner needs to be told which field is wrong.
 */
export const nativeTelemetrySchema = z.unknown().transform((value, ctx): NativeSample[] => {
  const result = Array.isArray(value) ? nativeBatchSchema.safeParse(value) : nativeSampleSchema.safeParse(value);
  if (!result.success) {
    for (const issue of result.error.issues) ctx.addIssue({ ...issue, code: 'custom', message: issue.message, path: issue.path } as never);
    return z.NEVER;
  }
  return Array.isArray(result.data) ? result.data : [result.data];
});

export const nativeStatusSchema = z.enum(['online', 'offline']);

/** Formats zod issues as `path: message`, the way every validation error in deskprint reads. */
export function formatIssues(error: z.ZodError): string {
  const text = error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
  // Messages go to logs and the rejected topic: a 1 MB unknown key must not come back 1 MB long.
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}
