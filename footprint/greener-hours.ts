/**
 * Greener hours (METHODOLOGY §3 "Greener hours"): from a grid carbon-intensity forecast, the
 * coming hours when electricity is cleanest, for the member view. Advice only: the footprint
 * of record keeps the annual factor (§3), and the time-varying figure stays supplementary.
 *
 * The forecast comes in the shape of the GB Carbon Intensity API (api.carbonintensity.org.uk,
 * `GET /intensity/fw24h` or a regional `/regional/.../fw24h`): half-hour slots with a
 * forecast in gCO2/kWh and an index. It is an input (`POST /api/sites/:site/grid-forecast`,
 * or the demo's simulated feed); deskprint never calls the internet.
 */
import { z } from 'zod';
import type { SiteFile } from '../devices/site.ts';
import { openingHoursOf } from '../devices/site.ts';
import type { Point, TimeSeriesStore } from '../store/types.ts';
import { clockOf } from './clock.ts';
import { factorSetFor } from './emissions.ts';

/** Stored forecast slots: one point per site and slot start, fields `g_per_kwh`, `issued_at`. */
export const M_GRID_FORECAST = 'grid_forecast';
const HOUR_MS = 3_600_000;
/** Greener hours are picked from this far ahead. */
export const GREENER_HORIZON_MS = 24 * HOUR_MS;
/** A slot is greener when its forecast is in the lowest third of the coming slots (§3). */
export const GREENER_QUANTILE = 1 / 3;

const isoMinute = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO 8601 time, e.g. 2026-12-07T13:30Z');

/** The GB Carbon Intensity API's forecast body (its `data` array; `actual` ignored). */
export const gridForecastSchema = z.object({
  data: z
    .array(z.object({
      from: isoMinute,
      to: isoMinute,
      intensity: z.object({ forecast: z.number().min(0).max(2000), actual: z.number().nullable().optional(), index: z.string().optional() }),
    }))
    .min(1)
    .max(1000),
});
export type GridForecastBody = z.infer<typeof gridForecastSchema>;

export interface ForecastSlot {
  from: number;
  to: number;
  g_per_kwh: number;
}

/** The slots of a forecast body as store points of `site`, stamped with when it was received. */
export function forecastPoints(site: string, body: GridForecastBody, issuedAt: number): Point[] {
  return body.data.map((d) => ({
    measurement: M_GRID_FORECAST,
    tags: { site },
    fields: { g_per_kwh: d.intensity.forecast, to: Date.parse(d.to), issued_at: issuedAt },
    ts: Date.parse(d.from),
  }));
}

export interface GreenerWindow {
  from: number;
  to: number;
  /** Mean forecast over the window, gCO2/kWh. */
  mean_g_per_kwh: number;
  /** Any part of it inside the site's opening hours. */
  open: boolean;
}

export interface GreenerHours {
  site: string;
  now: number;
  /** The coming slots, in time order. */
  slots: ForecastSlot[];
  /** Forecast at or below this is "greener": the lowest third of the coming slots. */
  threshold_g_per_kwh: number | null;
  /** Consecutive greener slots merged, in time order. */
  windows: GreenerWindow[];
  /** The site's annual electricity factor, gCO2e/kWh, for comparison (the figure of record, §3). */
  annual_factor_g_per_kwh: number;
  basis: string;
  methodology: 'METHODOLOGY.md §3';
}

/** Slots from `now` to `now + horizon`, picked and merged into greener windows (§3). */
export function greenerHours(site: SiteFile, slots: readonly ForecastSlot[], now: number, horizonMs = GREENER_HORIZON_MS): GreenerHours {
  const coming = slots.filter((s) => s.to > now && s.from < now + horizonMs).sort((a, b) => a.from - b.from);
  const sorted = coming.map((s) => s.g_per_kwh).sort((a, b) => a - b);
  // The k-th lowest, k = ceil(n / 3): at least a third of the slots are greener.
  const threshold = sorted.length > 0 ? sorted[Math.max(0, Math.ceil(sorted.length * GREENER_QUANTILE) - 1)]! : null;
  const windows: GreenerWindow[] = [];
  const clock = clockOf(site);
  const opening = openingHoursOf(site);
  const isOpen = (from: number, to: number) => {
    for (let t = from; t < to; t += 15 * 60_000) {
      const day = clock.day(t);
      const o = opening[new Date(day.start + 12 * HOUR_MS).getUTCDay()];
      const minute = (t - day.start) / 60_000;
      if (o && minute >= o[0] && minute < o[1]) return true;
    }
    return false;
  };
  let run: ForecastSlot[] = [];
  const flush = () => {
    if (run.length === 0) return;
    const from = run[0]!.from;
    const to = run.at(-1)!.to;
    const weighted = run.reduce((a, s) => a + s.g_per_kwh * (s.to - s.from), 0);
    windows.push({ from, to, mean_g_per_kwh: weighted / (to - from), open: isOpen(from, to) });
    run = [];
  };
  for (const s of coming) {
    if (threshold !== null && s.g_per_kwh <= threshold && (run.length === 0 || run.at(-1)!.to === s.from)) run.push(s);
    else {
      flush();
      if (threshold !== null && s.g_per_kwh <= threshold) run.push(s);
    }
  }
  flush();
  const year = clock.day(now).year;
  return {
    site: site.id,
    now,
    slots: coming,
    threshold_g_per_kwh: threshold,
    windows,
    annual_factor_g_per_kwh: factorSetFor(site.factors, year).electricity * 1000,
    basis: `the lowest third of the ${coming.length} forecast half-hours in the next ${horizonMs / HOUR_MS} h (at or below ${threshold ?? 'n/a'} gCO2/kWh), consecutive ones merged; advice only, the footprint keeps the annual factor`,
    methodology: 'METHODOLOGY.md §3',
  };
}

/** The stored forecast of `site` from `now` over the horizon (the latest value of each slot). */
export async function readForecast(store: TimeSeriesStore, site: string, now: number, horizonMs = GREENER_HORIZON_MS): Promise<ForecastSlot[]> {
  const points = await store.queryRaw({ measurement: M_GRID_FORECAST, where: { site }, from: now - HOUR_MS, to: now + horizonMs, limit: 10_000 });
  return points.map((p) => ({ from: p.ts, to: p.fields.to ?? p.ts + HOUR_MS / 2, g_per_kwh: p.fields.g_per_kwh ?? 0 }));
}
