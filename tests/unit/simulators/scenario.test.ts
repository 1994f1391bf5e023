import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseScenarioYaml, ScenarioError, loadScenario } from '../../../simulators/scenario.ts';
import { repoPath } from './support.ts';

function problems(text: string): string[] {
  try {
    parseScenarioYaml(text, { source: 'test.yaml', baseDir: repoPath('sites/scenarios') });
  } catch (err) {
    if (err instanceof ScenarioError) return err.problems;
    throw err;
  }
  return [];
}

describe('scenario files', () => {
  it('loads every scenario shipped in sites/scenarios with its site', () => {
    const files = readdirSync(repoPath('sites/scenarios')).filter((f) => f.endsWith('.yaml'));
    expect(files).toEqual(expect.arrayContaining(['demo.yaml', 'faulty.yaml', 'private-offices.yaml']));
    for (const f of files) {
      const sc = loadScenario(repoPath(`sites/scenarios/${f}`));
      expect(sc.site.devices.length, f).toBeGreaterThan(0);
      expect(sc.period, f).toBeDefined();
    }
    expect(loadScenario(repoPath('sites/scenarios/demo.yaml')).site.id).toBe('demo');
  });

  it('fills every setting from defaults when only the site is given', () => {
    const sc = parseScenarioYaml('site: ../demo.yaml', { baseDir: repoPath('sites/scenarios') });
    expect(sc.equipment.in_use_w).toEqual({ min: 30, max: 70 });
    expect(sc.equipment.standby_w).toEqual({ min: 0.5, max: 3 });
    expect(sc.members.arrival.mean).toBe(9 * 60);
    expect(sc.devices.cadence_s.desk_plug).toBe(30);
    expect(sc.faults.duplicate).toBe(0);
  });

  it('takes a site inline and reports its problems under site.', () => {
    const site = readFileSync(repoPath('sites/demo.yaml'), 'utf8');
    const inline = `site:\n${site.split('\n').map((l) => `  ${l}`).join('\n')}`;
    expect(parseScenarioYaml(inline).site.desks).toHaveLength(24);
    expect(problems('site: { id: Bad Id }')).toEqual(expect.arrayContaining([expect.stringMatching(/^site\.id: /), expect.stringMatching(/^site\.zones: /)]));
  });

  it('lists every problem as path: message', () => {
    const found = problems(
      [
        'site: ../no-such-site.yaml',
        'members: { forget_checkout: 2, arrival: { mean: "9am" } }',
        'equipment: { in_use_w: { min: 80, max: 40 } }',
        'devices: { cadence_s: { desk_plug: -1 } }',
        'faults: { duplicate: 1.5 }',
        'period: { from: "2026-02-01T00:00:00Z", to: "2026-01-01T00:00:00Z" }',
      ].join('\n'),
    );
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^members\.forget_checkout: /),
        'members.arrival.mean: expected a local time "HH:MM"',
        'equipment.in_use_w: min must not exceed max',
        expect.stringMatching(/^devices\.cadence_s\.desk_plug: /),
        expect.stringMatching(/^faults\.duplicate: /),
        expect.stringMatching(/^site: cannot read ".*no-such-site\.yaml"/),
      ]),
    );
    expect(problems('site: ../demo.yaml\nperiod: { from: "2026-02-01T00:00:00Z", to: "2026-01-01T00:00:00Z" }')).toEqual(['period.to: must be after period.from']);
    expect(problems('site: [')).toEqual([expect.stringMatching(/^\(root\): invalid YAML/)]);
  });
});
