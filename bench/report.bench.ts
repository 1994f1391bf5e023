/**
 * Impact report speed (issue 8): a one-month report for a 100-desk site, from the footprint
 * stored in SQLite to JSON, both CSVs and the PDF.
 *
 *   node bin/run-ts.js bench/report.bench.ts [runs=3]
 *
 * Setup (not timed): a generated 100-desk, 5-zone site with 130 members; one month (March
 * 2025) of readings every 10 min and weekday check-ins fed through the footprint engine, its
 * points written to a SQLite file. Target: under 5 s per report.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { siteFileSchema, type SiteFile } from '../devices/site.ts';
import type { EnrichedCheckin, EnrichedReading } from '../ingest/types.ts';
import { SiteFootprintEngine, feed } from '../footprint/engine.ts';
import { compareEvents, type FootprintEvent } from '../footprint/events.ts';
import { buildImpactReport } from '../api/reports/model.ts';
import { localMidnightOf } from '../api/reports/periods.ts';
import { renderReport } from '../api/reports/render.ts';
import { SqliteStore } from '../store/sqlite.ts';

const runs = Number(process.argv[2] ?? 3);
const DESKS = 100;
const ZONES = 5;
const MEMBERS = 130;
const FROM = Date.parse('2025-03-01T00:00:00Z');
const TO = Date.parse('2025-04-01T00:00:00Z');
const STEP = 10 * 60_000;
const DAY = 86_400_000;
const HOUR = 3_600_000;

/** A small deterministic PRNG so runs compare. */
let seed = 7;
const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);

function bigSite(): SiteFile {
  const zones = Array.from({ length: ZONES }, (_, z) => ({ id: `z${z + 1}`, name: `Zone ${z + 1}`, area_m2: 300 }));
  const desks = Array.from({ length: DESKS }, (_, i) => ({ id: `d${String(i + 1).padStart(3, '0')}`, zone: zones[i % ZONES]!.id }));
  return siteFileSchema.parse({
    id: 'big', name: 'Hundred-desk Hub', timezone: 'Europe/London', area_m2: 1800,
    factors: [{ name: 'UK DESNZ 2025', year: 2025, basis: 'location-based', source: 'https://www.gov.uk/government/collections/government-conversion-factors-for-company-reporting', electricity: 0.177, gas: 0.183 }],
    zones, desks,
    devices: [
      ...desks.flatMap((d) => [{ id: `occ-${d.id}`, kind: 'desk_occupancy', desk: d.id }, { id: `plug-${d.id}`, kind: 'desk_plug', desk: d.id, carrier: 'electricity' }]),
      ...zones.flatMap((z) => [{ id: `heat-${z.id}`, kind: 'zone_heating', zone: z.id, carrier: 'gas' }, { id: `light-${z.id}`, kind: 'zone_lighting', zone: z.id, carrier: 'electricity' }]),
      { id: 'badge', kind: 'badge_reader' },
      { id: 'common', kind: 'meter', category: 'common', carrier: 'electricity' },
      { id: 'main-el', kind: 'meter', category: 'main', carrier: 'electricity' },
      { id: 'main-gas', kind: 'meter', category: 'main', carrier: 'gas' },
    ],
    members: Array.from({ length: MEMBERS }, (_, i) => ({ id: `m${String(i + 1).padStart(3, '0')}`, name: `Member ${i + 1}` })),
  });
}

/** One local day of events: check-ins and every device's power every 10 min. */
function dayEvents(site: SiteFile, d0: number): FootprintEvent[] {
  const ctx = new Map(site.devices.map((d) => {
    const zone = d.desk ? site.desks.find((x) => x.id === d.desk)!.zone : d.zone;
    return [d.id, { site: site.id, device: d.id, kind: d.kind, ...(zone ? { zone } : {}), ...(d.desk ? { desk: d.desk } : {}), ...(d.carrier ? { carrier: d.carrier } : {}), ...(d.category ? { category: d.category } : {}) }] as const;
  }));
  const events: FootprintEvent[] = [];
  const weekday = new Date(d0).getUTCDay() % 6 !== 0;
  const atDesk = new Map<string, [number, number]>();
  if (weekday) {
    site.members.forEach((m, i) => {
      if (rand() < 0.3) return;
      const desk = site.desks[i % DESKS]!.id;
      if (atDesk.has(desk)) return;
      const tIn = Math.round(d0 + (8 + rand() * 2) * HOUR);
      const tOut = Math.round(tIn + (4 + rand() * 5) * HOUR);
      atDesk.set(desk, [tIn, tOut]);
      const c = (action: 'check_in' | 'check_out', ts: number): EnrichedCheckin => ({ site: site.id, device: 'badge', member: m.id, action, ts, ...(action === 'check_in' ? { desk, zone: site.desks.find((x) => x.id === desk)!.zone } : {}) });
      events.push({ type: 'checkin', ts: tIn, checkin: c('check_in', tIn) }, { type: 'checkin', ts: tOut, checkin: c('check_out', tOut) });
    });
  }
  const reading = (device: string, metric: EnrichedReading['metric'], value: number, ts: number): FootprintEvent => ({ type: 'reading', ts, reading: { ...ctx.get(device)!, metric, value, ts } as EnrichedReading });
  for (let t = d0; t < d0 + DAY; t += STEP) {
    const hour = (t - d0) / HOUR;
    const open = weekday && hour >= 7 && hour < 19;
    let el = 1500;
    let gas = 0;
    for (const d of site.desks) {
      const s = atDesk.get(d.id);
      const occupied = s !== undefined && t >= s[0] && t < s[1];
      const w = occupied ? 40 + rand() * 30 : 2;
      el += w;
      events.push(reading(`occ-${d.id}`, 'occupied', occupied ? 1 : 0, t), reading(`plug-${d.id}`, 'power_w', w, t));
    }
    for (const z of site.zones) {
      const light = open ? 480 : 0;
      const heat = open ? 4000 : 600;
      el += light;
      gas += heat;
      events.push(reading(`light-${z.id}`, 'power_w', light, t), reading(`heat-${z.id}`, 'power_w', heat, t));
    }
    events.push(reading('common', 'power_w', 1500, t), reading('main-el', 'power_w', el * 1.08, t), reading('main-gas', 'power_w', gas * 1.05, t));
  }
  return events.sort(compareEvents);
}

const site = bigSite();
const dir = mkdtempSync(path.join(tmpdir(), 'deskprint-report-bench-'));
const store = new SqliteStore({ file: path.join(dir, 'timeseries.db') });
await store.init();

let t0 = performance.now();
const engine = new SiteFootprintEngine(site);
let fed = 0;
let written = 0;
for (let d0 = FROM; d0 < TO; d0 += DAY) {
  for (const e of dayEvents(site, d0)) feed(engine, e);
  const pts = engine.drainPoints();
  fed += 1;
  written += pts.length;
  if (pts.length) await store.write(pts);
}
engine.finish(TO);
const last = engine.drainPoints();
written += last.length;
await store.write(last);
console.log(`setup: ${site.desks.length} desks, ${site.members.length} members, ${fed} days through the engine, ${written} footprint points stored in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const times: Record<string, number[]> = { model: [], json: [], csv: [], 'members.csv': [], pdf: [], total: [] };
let pages = 0;
let pdfBytes = 0;
for (let i = 0; i < runs; i++) {
  t0 = performance.now();
  // March in local days (London changes to BST on 30 March, so it ends at 23:00 UTC).
  const report = await buildImpactReport({ store, site, from: localMidnightOf(site, '2025-03-01')!, to: localMidnightOf(site, '2025-04-01')!, generatedAt: Date.now() });
  let t = performance.now();
  times.model!.push(t - t0);
  for (const [key, format, table] of [['json', 'json'], ['csv', 'csv', 'daily'], ['members.csv', 'csv', 'members'], ['pdf', 'pdf']] as const) {
    const s = performance.now();
    const out = await renderReport(report, format, table);
    t = performance.now();
    times[key]!.push(t - s);
    if (format === 'pdf') {
      pdfBytes = out.body.length;
      pages = (out.body.toString('latin1').match(/\/Type \/Page\b/g) ?? []).length;
    }
  }
  times.total!.push(performance.now() - t0);
  if (i === 0) console.log(`report: ${report.period.days} days, ${report.people.members_served} members served, ${report.people.member_days} member-days, ${report.energy.kwh.toFixed(0)} kWh, PDF ${pages} pages, ${pdfBytes} bytes`);
}
const ms = (xs: number[]) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)} ms`;
for (const [k, v] of Object.entries(times)) console.log(`${k.padEnd(12)} ${ms(v)}`);
const worst = Math.max(...times.total!);
console.log(`one-month report, 100-desk site: ${(worst / 1000).toFixed(2)} s worst of ${runs} (target < 5 s): ${worst < 5000 ? 'OK' : 'TOO SLOW'}`);
await store.close();
rmSync(dir, { recursive: true, force: true });
