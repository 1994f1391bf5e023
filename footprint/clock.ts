/**
 * The site's local clock (METHODOLOGY §1 "aligned to the site's local clock"): accounting
 * intervals, local days calendar months and billing periods, all as epoch-ms instants.
 *
 * Interval boundaries are the instants whose local wall time is a multiple of Δt. Every
 * offset an IANA zone uses today is a multiple of 15 min, and a zone's offsets differ by a
 * multiple of 30 min (DST is +60 min; Lord Howe +30), so for Δt = 15 or 30 min the grid is
 * the UTC grid shifted by one constant phase and every interval lasts exactly Δt, across DST
 * changes too (a fall-back day has 50 half-hours, a spring-forward day 46). That makes the
 * hot path plain arithmetic; only days and months need the zone's offset.
 */

import type { SiteFile } from '../devices/site.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;

export interface LocalDay {
  /** `YYYY-MM-DD` in the site's zone. */
  key: string;
  /** `YYYY-MM`. */
  month: string;
  /** Calendar year of the day, which selects the factor set (METHODOLOGY §3). */
  year: number;
  start: number;
  end: number;
}

export class LocalClock {
  readonly timezone: string;
  readonly intervalMs: number;
  /** Day of the month on which a billing period starts (1 = calendar months; at most 28). */
  readonly billingStartDay: number;
  readonly #phase: number;
  readonly #parts: Intl.DateTimeFormat;
  #day: LocalDay | undefined;

  constructor(timezone: string, intervalMin: number, billingStartDay = 1) {
    this.timezone = timezone;
    this.intervalMs = intervalMin * MINUTE;
    this.billingStartDay = billingStartDay;
    this.#parts = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    // Phase of the local grid against the UTC grid; the same for every offset of the zone
    // (see the header). Taken from the offset in January, any offset would do.
    this.#phase = mod(this.offsetMs(Date.UTC(2025, 0, 15)), this.intervalMs);
  }

  /** Local time minus UTC at instant `ts`, in ms (e.g. +3,600,000 for BST). */
  offsetMs(ts: number): number {
    const whole = Math.floor(ts / 1000) * 1000;
    let y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    for (const p of this.#parts.formatToParts(whole)) {
      const v = Number(p.value);
      if (p.type === 'year') y = v;
      else if (p.type === 'month') mo = v;
      else if (p.type === 'day') d = v;
      else if (p.type === 'hour') h = v;
      else if (p.type === 'minute') mi = v;
      else if (p.type === 'second') s = v;
    }
    return Date.UTC(y, mo - 1, d, h, mi, s) - whole;
  }

  /** Start of the accounting interval containing `ts`. */
  intervalStart(ts: number): number {
    return ts - mod(ts + this.#phase, this.intervalMs);
  }

  /** The local day containing `ts` (cached: callers walk time forwards). */
  day(ts: number): LocalDay {
    const cached = this.#day;
    if (cached && ts >= cached.start && ts < cached.end) return cached;
    const local = new Date(ts + this.offsetMs(ts));
    const y = local.getUTCFullYear();
    const m = local.getUTCMonth();
    const d = local.getUTCDate();
    const day: LocalDay = {
      key: `${y}-${pad(m + 1)}-${pad(d)}`,
      month: `${y}-${pad(m + 1)}`,
      year: y,
      start: this.localMidnight(y, m, d),
      end: this.localMidnight(y, m, d + 1),
    };
    this.#day = day;
    return day;
  }

  /** Start of the local calendar month containing `ts`. */
  monthStart(ts: number): number {
    const local = new Date(ts + this.offsetMs(ts));
    return this.localMidnight(local.getUTCFullYear(), local.getUTCMonth(), 1);
  }

  /** Start of the local calendar month after the one containing `ts`. */
  nextMonthStart(ts: number): number {
    const local = new Date(ts + this.offsetMs(ts));
    return this.localMidnight(local.getUTCFullYear(), local.getUTCMonth() + 1, 1);
  }

  /**
   * Start of the billing period containing `ts` (METHODOLOGY §2 M4, §8): local midnight on
   * the billing start day of this month, or of the previous month before that day. With
   * start day 1 it is `monthStart`. The pool, its cost and the month series are per period.
   */
  periodStart(ts: number): number {
    const local = new Date(ts + this.offsetMs(ts));
    const m = local.getUTCMonth() - (local.getUTCDate() < this.billingStartDay ? 1 : 0);
    return this.localMidnight(local.getUTCFullYear(), m, this.billingStartDay);
  }

  /** Start of the billing period after the one containing `ts`. */
  nextPeriodStart(ts: number): number {
    const start = this.periodStart(ts);
    const local = new Date(start + this.offsetMs(start));
    return this.localMidnight(local.getUTCFullYear(), local.getUTCMonth() + 1, this.billingStartDay);
  }

  /** Local Monday 00:00 of the ISO week containing `ts`. */
  weekStart(ts: number): number {
    const local = new Date(ts + this.offsetMs(ts));
    const dow = (local.getUTCDay() + 6) % 7; // Monday = 0
    return this.localMidnight(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() - dow);
  }

  /** The instant of local 00:00 on a (possibly un-normalised) date; month is 0-based. */
  localMidnight(year: number, month: number, date: number): number {
    const wall = Date.UTC(year, month, date);
    // The offset at midnight may differ from a guess taken a few hours away (DST), so
    // refine once from the instant the first guess gives.
    let t = wall - this.offsetMs(wall);
    t = wall - this.offsetMs(t);
    return t;
  }

  /** Whole hours in an interval, e.g. 0.5 for Δt = 30 min. */
  get intervalHours(): number {
    return this.intervalMs / HOUR;
  }
}

type ClockSettings = Pick<SiteFile, 'timezone' | 'accounting_interval_min'> & { billing?: SiteFile['billing'] };

const clocks = new WeakMap<ClockSettings, LocalClock>();

/**
 * The site's local clock, one per site file: every part that needs local time (engine,
 * live view, alerts, API, reports) asks here. A reloaded site is a new object, so a changed
 * time zone or interval gets a new clock.
 */
export function clockOf(site: ClockSettings): LocalClock {
  let c = clocks.get(site);
  if (!c) clocks.set(site, (c = new LocalClock(site.timezone, site.accounting_interval_min, site.billing?.start_day ?? 1)));
  return c;
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
