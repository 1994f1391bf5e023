/**
 * InfluxQL for the `TimeSeriesStore` queries, and decoding of the v1 `/query` JSON.
 * Times are epoch ms literals (`1700000000000ms`); windows come from `GROUP BY time()`,
 * which aligns to the Unix epoch unless given an offset, as the store interface requires.
 */
import { QueryRefusedError, STORE_TIME_RANGE_MS, refuseTimeOutside, refuseTimesOutside, type AggregateQuery, type AggregatesQuery, type Point, type RawQuery, type SeriesResult, type TagFilter, type Tags } from '../types.ts';
import type { InfluxStatementResult } from './http.ts';

/**
 * The body of a quoted identifier or string: InfluxQL's scanner (influxql/scanner.go
 * `ScanString`) ends a string at a raw newline and at NUL (its end-of-input rune), and
 * knows the escapes `\\`, `\'`, `\"` and `\n`. A newline goes as `\n`; NUL cannot be
 * written at all, so a query with one is refused rather than sent and failed by InfluxDB.
 */
function quoted(s: string, quote: '"' | "'"): string {
  if (s.includes('\0')) throw new QueryRefusedError(`InfluxQL cannot quote a NUL character (in ${JSON.stringify(s)})`);
  return quote + s.replace(/\\/g, '\\\\').replace(quote === '"' ? /"/g : /'/g, `\\${quote}`).replace(/\n/g, '\\n') + quote;
}

/** Double-quoted identifier (measurement, tag or field key). */
export function ident(name: string): string {
  return quoted(name, '"');
}

/** Single-quoted string literal. */
export function literal(value: string): string {
  return quoted(value, "'");
}

/**
 * A time as an InfluxQL literal, whole ms rounded up (`1700000000000ms`). Beyond InfluxDB's
 * int64 nanoseconds it is refused: such a number would not be a time there (and from 1e21
 * on, JavaScript prints it in exponent form, which is no InfluxQL at all).
 */
export function timeLiteral(ms: number, name = 'time'): string {
  refuseTimeOutside(name, ms, STORE_TIME_RANGE_MS);
  return `${Math.ceil(ms)}ms`;
}

/**
 * Tag conditions of a filter, ANDed (`''` for no filter); `null` when the filter can match
 * nothing (a tag filtered by an empty list of values).
 */
export function tagCondition(where: TagFilter | undefined): string | null {
  const parts: string[] = [];
  for (const [key, want] of Object.entries(where ?? {})) {
    const values = typeof want === 'string' ? [want] : want;
    if (values.length === 0) return null;
    // `::tag` keeps a field that happens to share the name from matching.
    const alternatives = values.map((v) => `${ident(key)}::tag = ${literal(v)}`);
    parts.push(alternatives.length === 1 ? alternatives[0]! : `(${alternatives.join(' OR ')})`);
  }
  return parts.join(' AND ');
}

/** The WHERE clause for a half-open time range and tag filter; `null` as for `tagCondition`. */
export function whereClause(from: number, to: number, where: TagFilter | undefined): string | null {
  const tags = tagCondition(where);
  if (tags === null) return null;
  // Integer ms: a point at ts matches `ts >= from` iff ts >= ceil(from), likewise for `to`.
  const time = `time >= ${timeLiteral(from, 'from')} AND time < ${timeLiteral(to, 'to')}`;
  return tags ? `${time} AND ${tags}` : time;
}

export function aggregateStatement(q: AggregateQuery): string | null {
  return aggregatesStatement({ ...q, fns: [q.fn] });
}

/** Several aggregates of one field in one statement: a column each, in the order of `fns`. */
export function aggregatesStatement(q: AggregatesQuery): string | null {
  refuseTimesOutside(q, STORE_TIME_RANGE_MS);
  const where = whereClause(q.from, q.to, q.where);
  if (where === null) return null;
  const every = Math.max(1, Math.round(q.every));
  const groupBy = [`time(${every}ms)`, ...(q.by ?? []).map(ident)].join(', ');
  const field = ident(q.field);
  return `SELECT ${q.fns.map((fn) => `${fn}(${field})`).join(', ')} FROM ${ident(q.measurement)} WHERE ${where} GROUP BY ${groupBy} fill(none)`;
}

/**
 * The points themselves, `fields` as columns, all series of a `by` group merged into one
 * output series in time order: for hourly windows on an hourly rollup, where windowing on
 * the server (`GROUP BY time()`) costs twice as much for as many rows.
 */
export function selectStatement(q: Pick<AggregateQuery, 'measurement' | 'from' | 'to' | 'where' | 'by'>, fields: readonly string[]): string | null {
  const where = whereClause(q.from, q.to, q.where);
  if (where === null) return null;
  const by = (q.by ?? []).map(ident).join(', ');
  return `SELECT ${fields.map(ident).join(', ')} FROM ${ident(q.measurement)} WHERE ${where}${by ? ` GROUP BY ${by}` : ''}`;
}

/**
 * Two queries: the measurement's tag keys (to tell tag columns from field columns in
 * `SELECT *`), and the points in time order, all series interleaved so LIMIT is global.
 * Sent as two requests: not every server takes several statements in one.
 */
export function rawStatements(q: RawQuery): { tagKeys: string; points: string } | null {
  const where = whereClause(q.from, q.to, q.where);
  if (where === null) return null;
  const limit = Math.max(1, Math.floor(q.limit ?? 100_000));
  return {
    tagKeys: `SHOW TAG KEYS FROM ${ident(q.measurement)}`,
    points: `SELECT * FROM ${ident(q.measurement)} WHERE ${where} ORDER BY time ASC LIMIT ${limit}`,
  };
}

export function decodeAggregate(result: InfluxStatementResult | undefined, by: readonly string[]): SeriesResult[] {
  return decodeAggregates(result, by, 1)[0]!;
}

/**
 * An `aggregatesStatement` answer as one `SeriesResult[]` per aggregate column: a window
 * appears under an aggregate where that column has a value (`fill(none)` leaves out windows
 * without points; a column can still be null, e.g. a sum of no values).
 */
export function decodeAggregates(result: InfluxStatementResult | undefined, by: readonly string[], columns: number): SeriesResult[][] {
  const out: SeriesResult[][] = Array.from({ length: columns }, () => []);
  for (const s of result?.series ?? []) {
    const tags: Tags = {};
    for (const k of by) tags[k] = s.tags?.[k] ?? '';
    for (let c = 0; c < columns; c++) {
      const points: SeriesResult['points'] = [];
      for (const row of s.values) {
        const value = row[c + 1];
        if (typeof value === 'number') points.push({ ts: row[0] as number, value });
      }
      if (points.length > 0) out[c]!.push({ tags, points });
    }
  }
  // The SQLite store's order, so callers see one order whichever store answers.
  for (const series of out) series.sort((a, b) => JSON.stringify(a.tags).localeCompare(JSON.stringify(b.tags)));
  return out;
}

/**
 * Rows of `selectStatement` answers (one per request, in time order), per group: times in
 * ms (the answer's times × `timeUnitMs`) and one value array per field (rows missing a
 * field are skipped), and whether no time repeats (each group one series).
 */
export function decodeSelect(
  results: readonly (InfluxStatementResult | undefined)[],
  by: readonly string[],
  fields: number,
  timeUnitMs = 1,
): { tags: Tags; ts: number[]; values: number[][]; unique: boolean }[] {
  const groups = new Map<string, { tags: Tags; ts: number[]; values: number[][]; unique: boolean }>();
  for (const result of results) {
    for (const s of result?.series ?? []) {
      const tags: Tags = {};
      for (const k of by) tags[k] = s.tags?.[k] ?? '';
      const key = JSON.stringify(tags);
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { tags, ts: [], values: Array.from({ length: fields }, () => []), unique: true }));
      let last = g.ts.length > 0 ? g.ts[g.ts.length - 1]! : -Infinity;
      rows: for (const row of s.values) {
        for (let f = 1; f <= fields; f++) if (typeof row[f] !== 'number') continue rows;
        const ts = (row[0] as number) * timeUnitMs;
        if (ts <= last) g.unique = false;
        last = ts;
        g.ts.push(ts);
        for (let f = 0; f < fields; f++) g.values[f]!.push(row[f + 1] as number);
      }
    }
  }
  return [...groups.values()];
}

export function decodeRaw(measurement: string, tagKeyResult: InfluxStatementResult | undefined, pointResult: InfluxStatementResult | undefined): Point[] {
  const tagKeys = new Set<string>();
  for (const s of tagKeyResult?.series ?? []) for (const row of s.values) tagKeys.add(String(row[0]));
  const out: Point[] = [];
  const series = pointResult?.series?.[0];
  if (!series) return out;
  const cols = series.columns;
  for (const row of series.values) {
    const p: Point = { measurement, tags: {}, fields: {}, ts: row[0] as number };
    for (let i = 1; i < cols.length; i++) {
      const v = row[i];
      if (v === null || v === undefined) continue;
      const col = cols[i]!;
      if (tagKeys.has(col)) p.tags[col] = String(v);
      else if (typeof v === 'number') p.fields[col] = v;
    }
    out.push(p);
  }
  return out;
}
