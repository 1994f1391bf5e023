/** How the PDF prints figures: British English, thousands separators, units spelled once. */

const cache = new Map<number, Intl.NumberFormat>();

/** What a missing value prints as: never a zero (issue 22). */
export const NO_DATA = 'no data';

/** A number with exactly `digits` decimals and thousands separators ("1,234.5"); null is missing. */
export function num(v: number | null, digits = 1): string {
  if (v === null) return NO_DATA;
  let f = cache.get(digits);
  if (!f) cache.set(digits, (f = new Intl.NumberFormat('en-GB', { minimumFractionDigits: digits, maximumFractionDigits: digits })));
  const s = f.format(v);
  // A value that rounds to zero prints as 0.0, not -0.0.
  return /^-0(\.0+)?$/.test(s) ? s.slice(1) : s;
}

export function pct(share: number | null, digits = 1): string {
  return share === null ? NO_DATA : `${num(share * 100, digits)}%`;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** "3 March 2025" from a local date key YYYY-MM-DD. */
export function longDate(key: string): string {
  const [y, m, d] = key.split('-').map(Number) as [number, number, number];
  return `${d} ${MONTHS[m - 1]} ${y}`;
}

/** "3 Mar" for chart axes. */
export function shortDate(key: string): string {
  const [, m, d] = key.split('-').map(Number) as [number, number, number];
  return `${d} ${MONTHS[m - 1]!.slice(0, 3)}`;
}

/** "1 – 31 January 2026" or "26 January – 1 February 2026". */
export function periodLabel(first: string, last: string): string {
  if (first === last) return longDate(first);
  const [y1, m1] = first.split('-');
  const [y2, m2] = last.split('-');
  const a = longDate(first).split(' ');
  if (y1 === y2 && m1 === m2) return `${a[0]} – ${longDate(last)}`;
  if (y1 === y2) return `${a[0]} ${a[1]} – ${longDate(last)}`;
  return `${longDate(first)} – ${longDate(last)}`;
}

/** "2026-02-01 06:00 UTC". */
export function utcStamp(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

export const CARRIER_LABEL: Record<string, string> = { electricity: 'Electricity', gas: 'Natural gas', heat: 'District heat' };
