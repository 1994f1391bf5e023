/**
 * Emission factors (METHODOLOGY §3) and the private-office baseline (METHODOLOGY §4).
 * Pure functions of the site file; no state.
 */
import type { Carrier } from '../devices/kinds.ts';
import type { BaselineParams, FactorSet } from '../devices/site.ts';

export const SCENARIOS = ['low', 'central', 'high'] as const;
export type Scenario = (typeof SCENARIOS)[number];

/**
 * The factor set for data of calendar year `year`: "data of a year use that year's
 * factors" (§3). When the site file has no set for that year, the latest earlier set is
 * used (factors are published after the year starts), else the earliest later one; the
 * data-quality block names the set actually used, so the substitution is visible.
 */
export function factorSetFor(sets: readonly FactorSet[], year: number): FactorSet {
  let best: FactorSet | undefined;
  for (const s of sets) if (s.year === year) return s;
  for (const s of sets) if (s.year < year && (!best || s.year > best.year)) best = s;
  if (best) return best;
  for (const s of sets) if (!best || s.year < best.year) best = s;
  if (!best) throw new Error('a site needs at least one factor set');
  return best;
}

/** kgCO2e per kWh of a carrier in a factor set; 0 when the set has none (the site schema
 * requires a factor for every carrier its devices use, so this only affects the baseline's
 * fuel carrier on a site without that fuel). */
export function factorOf(set: FactorSet, carrier: Carrier): number {
  return set[carrier] ?? 0;
}

/**
 * The baseline's fixed part for one full standard day, per scenario (§4):
 *   E_el,fix   = EUI_el · (1 − s_sp) · A_po / D_work
 *   E_fuel,fix = EUI_fuel · A_po / D_work
 */
export function baselineDayEnergy(params: BaselineParams, scenario: Scenario): { el: number; fuel: number } {
  const s = params.scenarios[scenario];
  return {
    el: (params.eui_el_kwh_m2 * (1 - s.s_sp) * s.a_po_m2) / params.d_work,
    fuel: (params.eui_fuel_kwh_m2 * s.a_po_m2) / params.d_work,
  };
}

export interface BaselineDay {
  /** Baseline electricity, kWh: E_el = E_el,fix · f + E_dir. */
  el_kwh: number;
  /** Baseline fuel, kWh: E_fuel = E_fuel,fix · f. */
  fuel_kwh: number;
  /** C_base = E_el · EF_el + E_fuel · EF_fuel. */
  kgco2e: number;
}

/**
 * METHODOLOGY §4 for one member-day: `hours` present, `directKwh` their direct desk
 * electricity (M2). f = min(h, h_std)/h_std caps the credit at one office-day per day.
 */
export function baselineDay(params: BaselineParams, factors: FactorSet, scenario: Scenario, hours: number, directKwh: number): BaselineDay {
  const fix = baselineDayEnergy(params, scenario);
  const f = Math.min(hours, params.h_std_h) / params.h_std_h;
  const el = fix.el * f + directKwh;
  const fuel = fix.fuel * f;
  return { el_kwh: el, fuel_kwh: fuel, kgco2e: el * factorOf(factors, 'electricity') + fuel * factorOf(factors, params.fuel_carrier) };
}

/**
 * The baseline carbon that accrues in one interval (the live dashboard's hourly accrual,
 * research note M8.3): the fixed part grows with presence until h_std is reached, the
 * direct part with the interval's direct energy. Summed over a day it equals `baselineDay`.
 */
export function baselineAccrual(
  params: BaselineParams,
  factors: FactorSet,
  scenario: Scenario,
  hoursBefore: number,
  hoursInInterval: number,
  directKwh: number,
): number {
  const fix = baselineDayEnergy(params, scenario);
  const h = params.h_std_h;
  const df = (Math.min(hoursBefore + hoursInInterval, h) - Math.min(hoursBefore, h)) / h;
  return (fix.el * df + directKwh) * factorOf(factors, 'electricity') + fix.fuel * df * factorOf(factors, params.fuel_carrier);
}
