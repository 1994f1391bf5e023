/**
 * Line protocol for the `TimeSeriesStore` point model, precision ms.
 *
 * Every field is written as a float: InfluxDB fixes a field's type at its first write in a
 * shard, and a number that happens to be whole must not turn `power_w` into an integer
 * field for the rest of the shard (STYLE.md 5). Line protocol reads an unsuffixed number as
 * a float, so `power_w=12` is already a float; only an `i` suffix would make it integer.
 *
 * Escaping uses the official client's `escape` helpers; the line itself is assembled here
 * because it is measurably faster than building a `Point` per reading (docs/store-schema.md
 * has the figures).
 */
import { escape } from '@influxdata/influxdb-client';
import type { Point } from '../types.ts';

export interface EncodedLine {
  line: string;
  /** Why the point cannot be written, when it cannot. */
  invalid?: string;
}

/** Formats a finite number so that InfluxDB parses it as a float. */
export function floatLiteral(value: number): string {
  // String() gives the shortest round-tripping form; exponent notation ("1e+21") is valid
  // float syntax in line protocol, as is a plain integer without the `i` suffix.
  return String(value);
}

/**
 * Encodes one point; `line` is empty and `invalid` says why when the point has no finite
 * field (line protocol requires at least one) or no measurement.
 */
export function encodePoint(p: Point): EncodedLine {
  if (!p.measurement) return { line: '', invalid: 'empty measurement' };
  let fields = '';
  for (const name in p.fields) {
    const v = p.fields[name]!;
    if (!Number.isFinite(v)) continue;
    fields += (fields ? ',' : '') + escape.tag(name) + '=' + floatLiteral(v);
  }
  if (!fields) return { line: '', invalid: 'no finite field' };
  if (!Number.isFinite(p.ts)) return { line: '', invalid: 'invalid timestamp' };
  let tags = '';
  // Sorted tags are what InfluxDB stores anyway; sending them sorted saves it the work.
  for (const k of Object.keys(p.tags).sort()) {
    const v = p.tags[k]!;
    // An empty tag value is not allowed in line protocol; InfluxDB reads a missing tag as ''.
    if (v === '' || v === undefined) continue;
    tags += ',' + escape.tag(k) + '=' + escape.tag(v);
  }
  return { line: `${escape.measurement(p.measurement)}${tags} ${fields} ${Math.round(p.ts)}` };
}
