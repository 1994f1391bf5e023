/**
 * Energy prices (METHODOLOGY §8): which tariff period and time-of-use band apply to an
 * accounting interval, and what one interval's energy and standing charge cost. Pure
 * functions of the site file and the local clock; the engine allocates the money exactly
 * as it allocates the energy (§2), so every member has a cost share and the bill reconciles.
 *
 * Money stays unrounded in the site's currency (its ISO 4217 code on every response);
 * only the views round it for display.
 */
import type { Carrier } from '../devices/kinds.ts';
import { minutesOf, type SiteFile, type Tariff, type TariffPeriod } from '../devices/site.ts';
import type { LocalClock } from './clock.ts';

const MINUTE_MS = 60_000;
const DAY_MIN = 1440;

/** The prices of one carrier in one accounting interval (§8 "Prices of an interval"). */
export interface IntervalPrice {
  /** Unit rate of the band in force at the interval's local start, per kWh excl. VAT. */
  unit: number;
  /** Σ levies per kWh, excl. VAT. */
  levies: number;
  vatRate: number;
  /** The interval's part of the day's standing charge: charge × Δt / length of the local day. */
  standing: number;
  /** The tariff period's name or `from` date, for the data-quality block. */
  period: string;
}

/** One interval's cost of one carrier, itemised like a bill (§8). */
export interface CostItems {
  energy: number;
  levies: number;
  standing: number;
  vat: number;
  /** energy + levies + standing + vat. */
  total: number;
}

/**
 * The period of a dated history (tariffs §8, market-based inputs §9) in force on local date
 * `dayKey` (YYYY-MM-DD): the last one starting on or before it; null before the first.
 * Histories are in date order (the site schema checks it), and dates compare as strings.
 */
export function periodOn<P extends { from: string }>(history: readonly P[], dayKey: string): P | null {
  let best: P | null = null;
  for (const p of history) if (p.from <= dayKey) best = p;
  return best;
}

/** The unit rate at local wall-clock minute `minute` (0…1439) of a period. */
export function unitRateAt(period: TariffPeriod, minute: number): number {
  const r = period.unit_rate;
  if (typeof r === 'number') return r;
  let rate = r[0]!.per_kwh;
  for (const b of r) if (minutesOf(b.from) <= minute) rate = b.per_kwh;
  return rate;
}

/**
 * The prices of every priced carrier for the interval [start, end). The band is chosen by
 * the interval's local wall-clock start (on a DST day 01:30 BST is 00:30 UTC: the clock's
 * offset, not elapsed time, decides), and the standing charge is spread over the local
 * day's real length, so a 23-hour or 25-hour day still carries exactly one day's charge.
 */
export function intervalPrices(site: Pick<SiteFile, 'tariffs'>, clock: LocalClock, start: number, end: number): Map<Carrier, IntervalPrice> {
  const out = new Map<Carrier, IntervalPrice>();
  const day = clock.day(start);
  let minute = -1;
  for (const [carrier, tariff] of Object.entries(site.tariffs) as [Carrier, Tariff | undefined][]) {
    if (!tariff) continue;
    const period = periodOn(tariff.history, day.key);
    if (!period) continue;
    if (minute < 0) minute = wallMinute(clock, start);
    out.set(carrier, {
      unit: unitRateAt(period, minute),
      levies: period.levies.reduce((a, l) => a + l.per_kwh, 0),
      vatRate: period.vat_rate,
      standing: (period.standing_charge_per_day * (end - start)) / (day.end - day.start),
      period: period.name ?? `from ${period.from}`,
    });
  }
  return out;
}

/** Net price per kWh (unit rate + levies), excl. VAT. */
export function netPerKwh(p: IntervalPrice): number {
  return p.unit + p.levies;
}

/** The cost of `kwh` at price `p`, with VAT: kwh · (unit + levies) · (1 + VAT). No standing charge. */
export function energyCost(p: IntervalPrice, kwh: number): number {
  return kwh * netPerKwh(p) * (1 + p.vatRate);
}

/** The bill items of `kwh` metered in one interval, with the interval's standing charge (§8). */
export function billItems(p: IntervalPrice, kwh: number): CostItems {
  const energy = kwh * p.unit;
  const levies = kwh * p.levies;
  const vat = (energy + levies + p.standing) * p.vatRate;
  return { energy, levies, standing: p.standing, vat, total: energy + levies + p.standing + vat };
}

/** Standing charge with VAT: a fixed cost of the site, pooled like standby energy (§8). */
export function standingCost(p: IntervalPrice): number {
  return p.standing * (1 + p.vatRate);
}

/** Whether a site prices any carrier. */
export function hasTariffs(site: Pick<SiteFile, 'tariffs'>): boolean {
  return Object.values(site.tariffs).some((t) => t !== undefined);
}

/** The local wall-clock minute of the day at `ts` (DST-aware: from the zone's offset at `ts`). */
function wallMinute(clock: LocalClock, ts: number): number {
  const local = ts + clock.offsetMs(ts);
  return Math.floor((((local / MINUTE_MS) % DAY_MIN) + DAY_MIN) % DAY_MIN);
}
