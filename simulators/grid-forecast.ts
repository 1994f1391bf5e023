/**
 * A simulated grid carbon-intensity forecast in the GB Carbon Intensity API's shape
 * (`GET /intensity/fw24h`: half-hour slots with a forecast and an index), for the demo and
 * tests: deskprint never calls the internet, so the forecast is an input the simulator can
 * publish (METHODOLOGY §3 "Greener hours").
 */
/** The Carbon Intensity API's forecast body (footprint/greener-hours.ts parses it with zod). */
export interface CarbonIntensityForecast {
  data: { from: string; to: string; intensity: { forecast: number; actual: null; index: string } }[];
}

const HALF_HOUR_MS = 1_800_000;

/**
 * The demo grid's intensity at `t`, gCO2/kWh, before noise: 220 at the 18:00 UTC evening peak
 * on gas-fired generation, 120 at 06:00 (the grid_feed device reports this plus noise).
 */
export function gridIntensityCurve(t: number): number {
  const hour = ((t / 3_600_000) % 24 + 24) % 24;
  return 170 + 50 * Math.cos((2 * Math.PI * (hour - 18)) / 24);
}

/** The Carbon Intensity API's index bands for 2026 (its "index" field), gCO2/kWh upper bounds. */
const INDEX_BANDS: [number, string][] = [[40, 'very low'], [120, 'low'], [200, 'moderate'], [290, 'high'], [Infinity, 'very high']];

/** The forecast issued at `now`: `slots` half-hours from the current one (48 = the API's fw24h). */
export function simulatedForecast(now: number, slots = 48): CarbonIntensityForecast {
  const first = Math.floor(now / HALF_HOUR_MS) * HALF_HOUR_MS;
  return {
    data: Array.from({ length: slots }, (_, k) => {
      const from = first + k * HALF_HOUR_MS;
      const forecast = Math.round(gridIntensityCurve(from + HALF_HOUR_MS / 2));
      const iso = (t: number) => `${new Date(t).toISOString().slice(0, 16)}Z`;
      return { from: iso(from), to: iso(from + HALF_HOUR_MS), intensity: { forecast, actual: null, index: INDEX_BANDS.find(([max]) => forecast <= max)![1] } };
    }),
  };
}
