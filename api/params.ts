/** Query-parameter parsing shared by routes: times, durations, filter values, with clear 400 errors. */
import { z } from 'zod';
import { STORE_TIME_RANGE_MS } from '../store/types.ts';
import { ApiError } from './errors.ts';

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** Times as both stores hold them (store/types.ts): a query beyond would answer differently, or not at all, on each. */
const { min: MIN_TIME, max: MAX_TIME } = STORE_TIME_RANGE_MS;
const TIMES = `${new Date(MIN_TIME).toISOString().slice(0, 10)} to ${new Date(MAX_TIME).toISOString().slice(0, 10)}`;

/** `1m`, `30s`, `1h`, `1d` or a number of milliseconds; at most the span of times a store holds. */
export function parseDuration(v: string): number | null {
  const m = DURATION.exec(v);
  const ms = /^\d+$/.test(v) ? Number(v) : m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : null;
  return ms !== null && ms <= MAX_TIME ? ms : null;
}

/** Epoch ms, ISO 8601, or `now-1h` style relative times, within the times a store holds. */
export function parseTime(v: string, now: number): number | null {
  const t = readTime(v, now);
  return t !== null && t >= MIN_TIME && t <= MAX_TIME ? t : null;
}

function readTime(v: string, now: number): number | null {
  if (/^\d+$/.test(v)) return Number(v);
  if (v === 'now') return now;
  const rel = /^now-(.+)$/.exec(v);
  if (rel) {
    const d = parseDuration(rel[1]!);
    return d === null ? null : now - d;
  }
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : t;
}

/**
 * A tag filter value (zone, device, category, carrier, audit action): printable text. A
 * control character is no id of anything, and a newline or NUL would have to be quoted into
 * the store's query language (InfluxQL cannot hold a NUL at all).
 */
export const filterValue = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters (newline, tab, NUL…)');


export function parseRange(query: Record<string, unknown>, now: number, defaultSpanMs: number): { from: number; to: number } {
  const toRaw = typeof query.to === 'string' ? query.to : undefined;
  const fromRaw = typeof query.from === 'string' ? query.from : undefined;
  const to = toRaw === undefined ? now : parseTime(toRaw, now);
  if (to === null) throw new ApiError('ERR_RANGE_INVALID', `to: "${toRaw}" is not a time (epoch ms, ISO 8601 or now-1h, ${TIMES})`);
  const from = fromRaw === undefined ? to - defaultSpanMs : parseTime(fromRaw, now);
  if (from === null || from < MIN_TIME) throw new ApiError('ERR_RANGE_INVALID', `from: "${fromRaw}" is not a time (epoch ms, ISO 8601 or now-1h, ${TIMES})`);
  if (from >= to) throw new ApiError('ERR_RANGE_INVALID', 'from must be before to');
  return { from, to };
}

/** Validates query parameters with a zod schema; a problem is ERR_QUERY_INVALID naming each field. */
export function parseQuery<T extends z.ZodType>(schema: T, query: unknown): z.infer<T> {
  const parsed = schema.safeParse(query);
  if (!parsed.success) throw new ApiError('ERR_QUERY_INVALID', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return parsed.data;
}
