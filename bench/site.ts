/**
 * Bench sites, generated: N desks in zones of 20, each desk with a smart plug (the device the
 * load generator speaks for) and an occupancy sensor, a lighting circuit per zone, one main
 * electricity meter. Valid per devices/site.ts; written as YAML into a temp dir so that
 * `deskprint start` loads them like any site file.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { parseSiteYaml, type SiteFile } from '../devices/site.ts';

export const DESKS_PER_ZONE = 20;

/** The plug of desk i (0-based) at a bench site: the id the load generator publishes as. */
export const plugId = (i: number) => `plug-${String(i + 1).padStart(5, '0')}`;
export const deskId = (i: number) => `d${String(i + 1).padStart(5, '0')}`;
export const siteId = (i: number) => `bench-${String(i + 1).padStart(3, '0')}`;

export function benchSite(id: string, desks: number): SiteFile {
  const zones = Array.from({ length: Math.max(1, Math.ceil(desks / DESKS_PER_ZONE)) }, (_, z) => ({ id: `z${z + 1}`, name: `Zone ${z + 1}`, area_m2: 8 * DESKS_PER_ZONE }));
  const deskList = Array.from({ length: desks }, (_, i) => ({ id: deskId(i), zone: zones[Math.floor(i / DESKS_PER_ZONE)]!.id }));
  const raw = {
    id,
    name: `Bench site ${id} (${desks} desks)`,
    timezone: 'Europe/London',
    area_m2: zones.length * 8 * DESKS_PER_ZONE + 100,
    factors: [
      // UK DESNZ 2025 electricity, as in sites/demo.yaml; one set per year the bench may span.
      ...[2025, 2026, 2027].map((year) => ({ name: `UK DESNZ ${year}`, year, basis: 'location-based', source: 'sites/demo.yaml', electricity: 0.177 })),
    ],
    zones,
    desks: deskList,
    devices: [
      { id: 'meter-main', kind: 'meter', category: 'main', carrier: 'electricity' },
      ...zones.map((z) => ({ id: `light-${z.id}`, kind: 'zone_lighting', zone: z.id, carrier: 'electricity' })),
      ...deskList.flatMap((d, i) => [
        { id: plugId(i), kind: 'desk_plug', desk: d.id, carrier: 'electricity' },
        { id: `occ-${d.id}`, kind: 'desk_occupancy', desk: d.id },
      ]),
    ],
    members: Array.from({ length: Math.min(desks, 50) }, (_, i) => ({ id: `m${i + 1}`, name: `Member ${i + 1}` })),
  };
  return parseSiteYaml(stringify(raw), id);
}

/** Writes `count` bench sites of `desksPerSite` desks into `dir`; returns the file paths. */
export function writeBenchSites(dir: string, count: number, desksPerSite: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const site = benchSite(siteId(i), desksPerSite);
    const file = path.join(dir, `${site.id}.yaml`);
    writeFileSync(file, stringify(site));
    return file;
  });
}
