import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSiteYaml } from '../../../devices/site.ts';
import { BuildingModel, type SimMessage } from '../../../simulators/building.ts';
import { defaultScenario } from '../../../simulators/scenario.ts';
import { decode, repoPath } from './support.ts';

const site = parseSiteYaml(readFileSync(repoPath('sites/demo.yaml'), 'utf8'));

/** Advances a demo-mode model in 250 ms ticks, as startSimulator does against the wall clock. */
function runDemo(start: number, seconds: number): SimMessage[] {
  const model = new BuildingModel({ scenario: defaultScenario(site), start, demo: true });
  const out: SimMessage[] = [];
  for (let t = start; t < start + seconds * 1000; t += 250) out.push(...model.advance(t));
  out.push(...model.advance(start + seconds * 1000));
  return out;
}

describe('demo mode', () => {
  // 03:00 on a Sunday in January: an empty building in real life.
  const sundayNight = Date.parse('2026-01-11T03:00:00Z');

  it('looks busy within two seconds of starting, at any hour', () => {
    const first = runDemo(sundayNight, 2.2);
    const devices = new Set(first.filter((m) => !m.device.startsWith('badge-')).map((m) => m.device));
    const nonBadge = site.devices.filter((d) => d.kind !== 'badge_reader');
    expect(devices.size).toBe(nonBadge.length);
    const checkins = first.filter((m) => m.payload.includes('"check_in"'));
    expect(checkins.length).toBeGreaterThanOrEqual(10);
    const main = first.filter((m) => m.device === 'meter-main-el').map((m) => JSON.parse(m.payload) as { power_w: number });
    expect(main.length).toBeGreaterThan(0);
    expect(main[0]!.power_w).toBeGreaterThan(1000);
    const occupied = first.filter((m) => m.device.startsWith('occ-') && m.payload.includes('"occupied":true'));
    expect(occupied.length).toBeGreaterThanOrEqual(10);
    for (const m of first) expect(decode(m).ok, m.payload).toBe(true);
  });

  it('has readings every few seconds while the members stay put (they stay for hours, issue 22)', () => {
    const minute = runDemo(sundayNight, 62).filter((m) => m.at > sundayNight + 2_000);
    const actions = minute.map((m) => JSON.parse(m.payload) as { action?: string }).filter((b) => b.action);
    expect(actions.filter((a) => a.action === 'check_out').length).toBe(0);
    const plug = minute.filter((m) => m.device === 'plug-n01').length;
    expect(plug).toBeGreaterThanOrEqual(10);
    const heat = minute.filter((m) => m.device === 'heat-loft').map((m) => JSON.parse(m.payload) as { setpoint_c: number; valve_pct: number });
    expect(heat.length).toBeGreaterThanOrEqual(8);
    expect(heat.every((h) => h.setpoint_c === 21)).toBe(true);
    expect(heat.some((h) => h.valve_pct > 0)).toBe(true);
  });
});
