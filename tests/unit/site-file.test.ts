import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openingHoursOf, parseSiteYaml, SiteFileError } from '../../devices/site.ts';

const demoText = readFileSync(new URL('../../sites/demo.yaml', import.meta.url), 'utf8');

function problems(text: string): string[] {
  try {
    parseSiteYaml(text, 'test.yaml');
  } catch (err) {
    if (err instanceof SiteFileError) return err.problems;
    throw err;
  }
  return [];
}

describe('site files', () => {
  it('loads the demo site: 3 zones, 24 desks each with an occupancy sensor and a plug, mains per carrier', () => {
    const site = parseSiteYaml(demoText);
    expect(site.zones).toHaveLength(3);
    expect(site.desks).toHaveLength(24);
    for (const d of site.desks) {
      expect(site.devices.filter((v) => v.desk === d.id).map((v) => v.kind).sort()).toEqual(['desk_occupancy', 'desk_plug']);
    }
    for (const z of site.zones) {
      expect(site.devices.filter((v) => v.zone === z.id).map((v) => v.kind)).toEqual(expect.arrayContaining(['zone_heating', 'zone_lighting']));
    }
    const mains = site.devices.filter((d) => d.category === 'main').map((d) => d.carrier).sort();
    expect(mains).toEqual(['electricity', 'gas']);
    expect(site.devices.some((d) => d.category === 'common')).toBe(true);
    expect(site.devices.some((d) => d.kind === 'badge_reader')).toBe(true);
    expect(site.baseline.scenarios.central).toEqual({ a_po_m2: 15, s_sp: 0.3 });
    expect(site.factors[0]).toMatchObject({ electricity: 0.177, gas: 0.183 });
  });

  it('lists every problem of a bad file as path: message', () => {
    const bad = demoText
      .replace('timezone: Europe/London', 'timezone: Mars/Olympus')
      .replace('{ id: n01, zone: north', '{ id: n01, zone: nowhere')
      .replace('{ id: plug-n02, kind: desk_plug, desk: n02, carrier: electricity }', '{ id: plug-n02, kind: desk_plug, desk: n02 }')
      .replace('{ id: meter-main-gas, kind: meter, category: main, carrier: gas', '{ id: meter-main-gas, kind: meter, category: main, carrier: gas, zone: north');
    const p = problems(bad);
    expect(p).toEqual(
      expect.arrayContaining([
        'timezone: not an IANA time zone',
        'desks.0.zone: unknown zone "nowhere"',
        expect.stringMatching(/^devices\.\d+\.carrier: an energy device needs a carrier/),
        expect.stringMatching(/^devices\.\d+\.category: a main meter measures the whole site/),
      ]),
    );
    expect(p.length).toBeGreaterThanOrEqual(4);
  });

  it('reads opening hours per weekday, defaults to a weekday 07:00-20:00, and refuses what is not a time range', () => {
    const hours = (block: string) => openingHoursOf(parseSiteYaml(demoText.replace(/opening_hours:.*\n(?:  \w+: .*\n)*/, block)));
    expect(hours('opening_hours:\n  mon: 08:30-18:00\n  sat: 10:00-24:00\n')).toEqual([null, [510, 1080], null, null, null, null, [600, 1440]]);
    expect(hours('')).toEqual([null, ...Array(5).fill([420, 1200]), null]);
    const bad = (block: string) => problems(demoText.replace(/opening_hours:.*\n(?:  \w+: .*\n)*/, block));
    expect(bad('opening_hours:\n  mon: 8-18\n')).toEqual(['opening_hours.mon: opening hours as HH:MM-HH:MM, e.g. 07:00-20:00']);
    expect(bad('opening_hours:\n  mon: 18:00-08:00\n')).toEqual(['opening_hours.mon: closing time must be after opening time']);
    expect(bad('opening_hours:\n  monday: 08:00-18:00\n')).toEqual([expect.stringMatching(/^opening_hours: .*monday/)]);
  });

  it('refuses duplicate ids, devices on unknown desks and invalid YAML', () => {
    expect(problems(demoText.replace('{ id: occ-n02,', '{ id: occ-n01,'))).toContainEqual(expect.stringMatching(/duplicate device "occ-n01"/));
    expect(problems(demoText.replace('{ id: occ-n03, kind: desk_occupancy, desk: n03 }', '{ id: occ-n03, kind: desk_occupancy, desk: zz99 }'))).toContainEqual(
      expect.stringMatching(/desk: unknown desk "zz99"/),
    );
    expect(problems('id: [unclosed')).toEqual([expect.stringMatching(/^\(root\): invalid YAML/)]);
  });

  it('requires a factor for every carrier the devices use', () => {
    const noGas = demoText.replace(/\n {4}gas: 0\.183/g, '');
    expect(problems(noGas)).toContainEqual(expect.stringMatching(/^factors\.0\.gas: factor set "UK DESNZ 2025" has no gas factor/));
  });
});
