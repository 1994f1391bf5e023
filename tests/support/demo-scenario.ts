/**
 * The demo building's scenario for tests that write history before they look at it: as
 * shipped, or coarse (a 15-minute step and half-hourly readings), which simulates days of the
 * building in a fraction of the readings. Coarse history suits tests that compare the figures
 * with each other (views against the API), not with the scenario's truth.
 */
import path from 'node:path';
import { ROOT } from '../../cli/start.ts';
import { DEVICE_KIND_KEYS } from '../../devices/kinds.ts';
import { loadScenario, type Scenario } from '../../simulators/scenario.ts';

export function demoScenario(coarse: boolean): Scenario {
  const scenario = loadScenario(path.join(ROOT, 'sites', 'scenarios', 'demo.yaml'));
  if (!coarse) return scenario;
  scenario.step_s = 900;
  for (const k of DEVICE_KIND_KEYS) scenario.devices.cadence_s[k] = Math.max(scenario.devices.cadence_s[k], 1800);
  return scenario;
}
