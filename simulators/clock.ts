/**
 * Local calendar arithmetic for the building model: which local day a moment falls in, and
 * when that day started, in the site's IANA time zone. Pure functions of their arguments.
 */

export interface LocalDay {
  /** Epoch ms of local midnight starting this day. */
  readonly start: number;
  /** Epoch ms of the next local midnight (23 or 25 h later on a DST change). */
  readonly end: number;
  /** 0 = Sunday … 6 = Saturday. */
  readonly weekday: number;
  /** 0 = January. */
  readonly month: number;
  /** 1…366. */
  readonly dayOfYear: number;
  /** YYYY-MM-DD. */
  readonly date: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(tz, f);
  }
  return f;
}

/** Offset of local wall time from UTC at `ms`, in ms (positive east of Greenwich). */
export function utcOffsetMs(ms: number, tz: string): number {
  const p = Object.fromEntries(formatter(tz).formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** Epoch ms of a local wall-clock time (the earlier instant if ambiguous). */
export function zonedTime(year: number, month: number, day: number, minuteOfDay: number, tz: string): number {
  const guess = Date.UTC(year, month, day) + minuteOfDay * 60_000;
  const first = guess - utcOffsetMs(guess, tz);
  return guess - utcOffsetMs(first, tz);
}

export function localDay(ms: number, tz: string): LocalDay {
  const local = new Date(ms + utcOffsetMs(ms, tz));
  const y = local.getUTCFullYear();
  const m = local.getUTCMonth();
  const d = local.getUTCDate();
  const start = zonedTime(y, m, d, 0, tz);
  const next = new Date(Date.UTC(y, m, d + 1));
  const end = zonedTime(next.getUTCFullYear(), next.getUTCMonth(), next.getUTCDate(), 0, tz);
  const dayOfYear = Math.round((Date.UTC(y, m, d) - Date.UTC(y, 0, 1)) / 86_400_000) + 1;
  const date = `${y}-${String(m + 1).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  return { start, end, weekday: local.getUTCDay(), month: m, dayOfYear, date };
}
