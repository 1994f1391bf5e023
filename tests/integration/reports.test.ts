/**
 * Impact reports of a simulated week of the demo hub (24 desks, 28 members): the simulator
 * in accelerated mode, decoded and stored in a real SQLite file, the footprint recomputed by
 * the engine, then the report in every format. What a funder would notice: the PDF says what
 * the JSON says, page 1 is not blank, the CSV adds up, and no member is named anywhere.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { renderCsv } from '../../api/reports/csv.ts';
import { buildImpactReport, type ImpactReport } from '../../api/reports/model.ts';
import { renderPdf } from '../../api/reports/pdf.ts';
import { runReport } from '../../cli/commands/report.ts';
import { demoSite, repoPath, simulateIntoStore, type SimulatedStore } from '../unit/reports/fixture.ts';

const site = demoSite();
const FROM = '2026-01-26T00:00:00Z';
const TO = '2026-02-02T00:00:00Z';
const tmp = mkdtempSync(path.join(tmpdir(), 'deskprint-reports-it-'));

let sim: SimulatedStore;
let report: ImpactReport;
let pdfFile: string;
let pdfText: string;

beforeAll(async () => {
  sim = await simulateIntoStore({ site, from: FROM, to: TO, now: '2026-03-05T00:00:00Z' });
  report = await buildImpactReport({ store: sim.store, site, from: Date.parse(FROM), to: Date.parse(TO), generatedAt: Date.parse('2026-03-05T06:00:00Z') });
  pdfFile = path.join(tmp, 'week.pdf');
  writeFileSync(pdfFile, await renderPdf(report));
  pdfText = execFileSync('pdftotext', ['-layout', pdfFile, '-'], { encoding: 'utf8' });
  // A simulated week (over 100,000 readings) through the engine: 41 s alone, and over 120 s
  // in a full suite beside the multi-process tests on 2 cores. Preparation, not a speed claim.
}, 300_000);

afterAll(async () => {
  await sim?.store.close();
});

/** Formatting written out here, independent of the renderer's: en-GB, fixed decimals. */
const f = (v: number, digits: number) => {
  const s = v.toLocaleString('en-GB', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
};
const p = (share: number) => `${f(share * 100, 1)}%`;
const row = (...cells: string[]) => new RegExp(cells.map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\\s+'));

describe('a simulated week of the demo hub', () => {
  it('has a footprint to report: both carriers, members, conservation', () => {
    expect(sim.readings).toBeGreaterThan(100_000);
    expect(report.boundary.carriers).toEqual(['electricity', 'gas']);
    expect(report.period).toMatchObject({ first_day: '2026-01-26', last_day: '2026-02-01', days: 7, final: true });
    expect(report.people.members_served).toBeGreaterThan(10);
    expect(report.people.member_days).toBeGreaterThan(report.people.members_served);
    for (const c of report.data_quality.conservation) expect(c.relative_residual).toBeLessThan(1e-9);
    // Conservation across accounts holds over the two closed months the week touches.
    for (const c of report.data_quality.conservation) for (const m of c.months) expect(Math.abs(m.residual_kwh)).toBeLessThanOrEqual(1e-9 * Math.max(1, m.metered_kwh));
  });

  it('prints in the PDF the figures of the JSON report', () => {
    const r = report;
    expect(pdfText).toContain(`${f(r.energy.kwh, 1)} kWh`);
    expect(pdfText).toContain(`${f(r.energy.kgco2e, 1)} kgCO2e`);
    expect(pdfText).toContain(`${f(r.intensity.kwh_per_m2_yr!, 1)} kWh/m²`);
    expect(pdfText).toContain(`${f(r.intensity.kgco2e_per_m2_yr!, 2)} kgCO2e/m²`);
    for (const c of r.energy.by_carrier) {
      const label = c.carrier === 'gas' ? 'Natural gas' : 'Electricity';
      expect(pdfText).toMatch(row(label, f(c.kwh, 1), f(c.kg_per_kwh, 4), f(c.kgco2e, 1), f(r.intensity.by_carrier[c.carrier]!, 1), p(r.data_quality.measured_share[c.carrier]!)));
    }
    expect(pdfText).toMatch(row('Total', f(r.energy.kwh, 1), f(r.energy.kgco2e, 1)));
    expect(pdfText).toContain(`${f(r.people.member_days, 0)} member-days`);
    expect(pdfText).toMatch(row('Members served (came at least once)', f(r.people.members_served, 0)));
    expect(pdfText).toMatch(row('Desk occupancy', p(r.people.desk_occupancy!)));
    const s = r.per_member_day;
    expect(pdfText).toMatch(row('Energy (kWh)', f(s.kwh.median, 2), `${f(s.kwh.q1, 2)} – ${f(s.kwh.q3, 2)}`));
    expect(pdfText).toMatch(row('Emissions (kgCO2e)', f(s.kgco2e.median, 3), `${f(s.kgco2e.q1, 3)} – ${f(s.kgco2e.q3, 3)}`));
    expect(pdfText).toContain('Estimated avoided emissions, outside the inventory');
    for (const [name, sc] of Object.entries(r.avoided.scenarios)) {
      expect(pdfText).toMatch(row(name[0]!.toUpperCase() + name.slice(1), f(sc.a_po_m2, 0), p(sc.s_sp).replace('.0%', '%'), f(sc.baseline_kgco2e, 1), f(sc.members_kgco2e, 1), f(sc.avoided_kgco2e, 1), p(sc.reduction)));
    }
    expect(pdfText).toContain(`range ${f(r.avoided.scenarios.low.avoided_kgco2e, 1)} to ${f(r.avoided.scenarios.high.avoided_kgco2e, 1)}`);
    for (const c of r.data_quality.conservation) expect(pdfText).toMatch(row(f(c.metered_kwh, 3), f(c.direct_kwh + c.shared_kwh, 3), f(c.pooled_kwh, 3), f(c.residual_kwh, 6)));
    expect(pdfText).toContain('UK DESNZ 2026');
    expect(pdfText).toContain(r.data_quality.engine_version.split(' ')[0]!);
    // The daily appendix, one line per day.
    for (const d of r.daily) expect(pdfText).toMatch(row(d.date, f(d.kwh.electricity!, 1), f(d.kwh.gas!, 1), f(d.kgco2e, 2), String(d.members_present)));
  });

  it('renders a page 1 that is not blank', () => {
    const out = path.join(tmp, 'page');
    execFileSync('pdftoppm', ['-gray', '-r', '40', '-f', '1', '-l', '1', '-singlefile', pdfFile, out]);
    const pgm = readFileSync(`${out}.pgm`);
    // Binary PGM: "P5", width, height, maxval, then one byte per pixel.
    const header = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(pgm.subarray(0, 32).toString('latin1'))!;
    const [w, h] = [Number(header[1]), Number(header[2])];
    const pixels = pgm.subarray(header[0].length);
    expect(pixels.length).toBe(w * h);
    expect(w / h).toBeCloseTo(595.28 / 841.89, 2);
    let inked = 0;
    let dark = 0;
    for (const v of pixels) {
      if (v < 245) inked++;
      if (v < 110) dark++;
    }
    // Tiles, table and chart bars cover a good part of the page; text and bars are dark.
    expect(inked / pixels.length).toBeGreaterThan(0.08);
    expect(dark / pixels.length).toBeGreaterThan(0.01);
  });

  it('adds up in the daily CSV to the JSON totals', () => {
    const [header, ...rows] = renderCsv(report).trimEnd().split('\r\n').map((l) => l.split(','));
    const col = (name: string) => rows.reduce((a, r) => a + Number(r[header!.indexOf(name)]), 0);
    expect(rows).toHaveLength(7);
    expect(col('kwh_electricity')).toBeCloseTo(report.energy.by_carrier[0]!.kwh, 4);
    expect(col('kwh_gas')).toBeCloseTo(report.energy.by_carrier[1]!.kwh, 4);
    expect(col('kwh_total')).toBeCloseTo(report.energy.kwh, 4);
    expect(col('kgco2e_total')).toBeCloseTo(report.energy.kgco2e, 4);
    expect(col('members_present')).toBe(report.people.member_days);
    expect(col('members_kgco2e')).toBeCloseTo(report.allocation.members.kgco2e, 4);
    for (const s of ['low', 'central', 'high'] as const) expect(col(`avoided_kgco2e_${s}`)).toBeCloseTo(report.avoided.scenarios[s].avoided_kgco2e, 4);
    const [mh, ...members] = renderCsv(report, 'members').trimEnd().split('\r\n').map((l) => l.split(','));
    expect(members.map((m) => m[0])).toEqual(report.members.map((m) => m.id));
    expect(members.reduce((a, m) => a + Number(m[mh!.indexOf('kwh_total')]), 0)).toBeCloseTo(report.allocation.members.kwh, 4);
  });

  it('names no member in any format', () => {
    const outputs = { json: JSON.stringify(report), daily: renderCsv(report), members: renderCsv(report, 'members'), pdf: pdfText };
    const names = site.members.flatMap((m) => [m.name, ...m.name.split(' ').filter((w) => w.length > 3)]);
    for (const [format, text] of Object.entries(outputs)) {
      for (const n of names) expect(text.includes(n), `${format} contains "${n}"`).toBe(false);
      for (const m of site.members) expect(new RegExp(`\\b${m.id}\\b`).test(text), `${format} contains id ${m.id}`).toBe(false);
    }
    expect(report.members.map((m) => m.id)).toEqual(report.members.map((_, i) => `member-${String(i + 1).padStart(2, '0')}`));
  });

  it('writes the same report from the command line', async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const common = ['--site', 'demo', '--from', '2026-01-26', '--to', '2026-02-02', '--data-dir', sim.dataDir, '--site-file', repoPath('sites/demo.yaml')];
      const json = path.join(tmp, 'cli.json');
      expect(await runReport([...common, '--out', json])).toBe(0);
      const fromCli = JSON.parse(readFileSync(json, 'utf8')) as ImpactReport;
      expect({ ...fromCli, generated_at: '' }).toEqual({ ...JSON.parse(JSON.stringify(report)), generated_at: '' });
      const pdf = path.join(tmp, 'cli.pdf');
      expect(await runReport([...common, '--format', 'pdf', '--out', pdf, '--quiet'])).toBe(0);
      expect(readFileSync(pdf).subarray(0, 5).toString()).toBe('%PDF-');
      expect(await runReport([...common, '--format', 'docx', '--out', pdf])).toBe(2);
      expect(await runReport(['--site', 'demo', '--from', '2026-01-26', '--to', '2026-02-02', '--data-dir', sim.dataDir, '--site-file', repoPath('sites/demo.yaml')])).toBe(2);
      expect(err.mock.calls.flat().join('\n')).toMatch(/--format: expected one of json, csv, pdf, got "docx"[\s\S]*--out: required/);
    } finally {
      err.mockRestore();
    }
  });
});
