/**
 * The PDF impact report (docs/reports.md "PDF"): A4, DejaVu fonts embedded (subset), page
 * numbers, vector charts, the methodology as an appendix. Byte-identical for the same report
 * object: the document's dates are the report's generated-at time and pdfkit derives the file
 * id from them.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import PDFDocument from 'pdfkit';
import { MIN_HOURS_TO_ANNUALISE } from '../../footprint/coverage.ts';
import { SCENARIOS } from '../../footprint/emissions.ts';
import { drawBaselineChart, drawDailyEnergyChart, type ChartFonts } from './charts.ts';
import { CARRIER_LABEL, NO_DATA, num, pct, periodLabel, utcStamp } from './format.ts';
import type { ImpactReport } from './model.ts';
import type { NormalisedIndicators } from '../../footprint/indicators.ts';

const FONT_FILES = { regular: 'DejaVuSans.ttf', bold: 'DejaVuSans-Bold.ttf', mono: 'DejaVuSansMono.ttf' } as const;
let fontData: Record<keyof typeof FONT_FILES, Buffer> | undefined;

/** The TTF files shipped by the `dejavu-fonts-ttf` npm package (Bitstream Vera licence). */
function fonts(): Record<keyof typeof FONT_FILES, Buffer> {
  if (!fontData) {
    const dir = path.join(path.dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')), 'ttf');
    fontData = {
      regular: readFileSync(path.join(dir, FONT_FILES.regular)),
      bold: readFileSync(path.join(dir, FONT_FILES.bold)),
      mono: readFileSync(path.join(dir, FONT_FILES.mono)),
    };
  }
  return fontData;
}

const A4 = { w: 595.28, h: 841.89 };
export const MARGIN = 50;
export const CONTENT_W = A4.w - 2 * MARGIN;
const BOTTOM = A4.h - 62;
const INK = '#1b1f24';
export const MUTED = '#5f6b7a';
const RULE = '#d9dee4';
const ACCENT = '#1d4e89';
export const F: ChartFonts & { mono: string } = { regular: 'Sans', bold: 'Sans-Bold', mono: 'Mono' };

export type Doc = PDFKit.PDFDocument;

export async function renderPdf(report: ImpactReport): Promise<Buffer> {
  const period = periodLabel(report.period.first_day, report.period.last_day);
  const { doc, finish } = openDocument(report.generated_at, {
    Title: `Impact report: ${report.site.name}, ${period}`,
    Subject: 'Energy and carbon footprint of a shared workspace, with estimated avoided emissions',
    Keywords: `deskprint; impact report; ${report.site.id}; ${report.period.first_day}/${report.period.last_day}`,
    Creator: report.generator,
  });
  coverPage(doc, report, period);
  peoplePage(doc, report);
  costSection(doc, report);
  indicatorsSection(doc, report);
  qualityPage(doc, report);
  dailyAppendix(doc, report);
  methodologyAppendix(doc, report);
  footers(doc, `${report.site.name} · impact report · ${period}`);
  return finish();
}

/**
 * An A4 document with the fonts registered, dated `generatedAt` (so the same report renders
 * to the same bytes); `finish` ends it and resolves to its bytes.
 */
export function openDocument(generatedAt: string, info: { Title: string; Subject: string; Keywords: string; Creator: string }): { doc: Doc; finish: () => Promise<Buffer> } {
  const when = new Date(generatedAt);
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: MARGIN, bottom: A4.h - BOTTOM, left: MARGIN, right: MARGIN },
    bufferPages: true,
    lang: 'en-GB',
    displayTitle: true,
    info: { ...info, Author: 'deskprint', Producer: 'deskprint (pdfkit)', CreationDate: when, ModDate: when },
  });
  const f = fonts();
  doc.registerFont(F.regular, f.regular);
  doc.registerFont(F.bold, f.bold);
  doc.registerFont(F.mono, f.mono);
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve, reject) => {
    doc.on('end', () => resolve());
    doc.on('error', reject);
  });
  return {
    doc,
    finish: async () => {
      doc.end();
      await done;
      return Buffer.concat(chunks);
    },
  };
}

// ------------------------------------------------------------------ pages

function coverPage(doc: Doc, r: ImpactReport, period: string): void {
  doc.font(F.bold).fontSize(9).fillColor(ACCENT).text('IMPACT REPORT', MARGIN, MARGIN, { characterSpacing: 1 });
  doc.font(F.bold).fontSize(22).fillColor(INK).text(r.site.name, MARGIN, doc.y + 4, { width: CONTENT_W });
  doc.font(F.regular).fontSize(12).fillColor(INK).text(`${period} (${r.period.days} days)`, MARGIN, doc.y + 2);
  doc.font(F.regular).fontSize(8).fillColor(MUTED).text(`Generated ${utcStamp(r.generated_at)}. Times are local to the site (${r.site.timezone}).`, MARGIN, doc.y + 3);
  doc.y += 8;
  if (!r.period.final) {
    callout(doc, `Provisional: ${r.data_quality.provisional_days} of the ${r.period.days} days belong to a month that has not closed yet. Members' shares of pooled energy, and the figures built on them, may still change.`);
  }

  heading(doc, 'At a glance');
  const byCarrier = r.energy.by_carrier.map((c) => `${CARRIER_LABEL[c.carrier]} ${num(c.kwh, 0)}`).join(' · ');
  const sc = r.avoided.scenarios;
  tiles(doc, [
    { label: 'Energy used', value: `${num(r.energy.kwh, 1)} kWh`, sub: byCarrier },
    { label: 'Emissions (inventory)', value: `${num(r.energy.kgco2e, 1)} kgCO2e`, sub: `location-based: ${r.data_quality.factor_sets.map((s) => s.name).join(', ')}` },
    r.intensity.kwh_per_m2_yr === null
      ? { label: 'Space intensity (per year)', value: 'not enough data', sub: `${r.coverage.text}: less than ${MIN_HOURS_TO_ANNUALISE} h to annualise` }
      : { label: 'Space intensity (per year)', value: `${num(r.intensity.kwh_per_m2_yr, 1)} kWh/m²`, sub: `${num(r.intensity.kgco2e_per_m2_yr, 2)} kgCO2e/m², annualised from ${num(r.coverage.hours_with_data, 0)} h with data (${r.coverage.text})` },
    { label: 'Members served', value: num(r.people.members_served, 0), sub: `${num(r.people.member_days, 0)} member-days, ${num(r.people.member_hours, 0)} hours present` },
    { label: 'Desk occupancy', value: r.people.desk_occupancy === null ? 'not enough data' : pct(r.people.desk_occupancy), sub: `of ${r.people.desks} desks over the hours with data (up to ${r.avoided.parameters.h_std_h} h) on ${r.people.open_days} open days` },
    { label: 'Estimated avoided emissions', value: `${num(sc.central.avoided_kgco2e, 1)} kgCO2e`, sub: `range ${num(sc.low.avoided_kgco2e, 1)} to ${num(sc.high.avoided_kgco2e, 1)}; outside the inventory` },
  ]);

  heading(doc, 'What this report covers');
  para(doc, r.boundary.included);
  para(doc, `Data: ${r.coverage.text}; averages, occupancy and intensities use only the hours with data (${num(r.coverage.hours_with_data, 1)} h).`);
  para(doc, `Not included: ${r.boundary.excluded.map((e) => `${e.item.toLowerCase()} (${e.why})`).join('; ')}. Estimated avoided emissions are reported beside this inventory, never subtracted from it.`);

  heading(doc, '1. Energy and emissions');
  const rows = r.energy.by_carrier.map((c) => [
    CARRIER_LABEL[c.carrier] ?? c.carrier, num(c.kwh, 1), num(c.kg_per_kwh, 4), num(c.kgco2e, 1), num(r.intensity.by_carrier[c.carrier] ?? null, 1), pct(r.data_quality.measured_share[c.carrier] ?? null),
  ]);
  rows.push(['Total', num(r.energy.kwh, 1), '', num(r.energy.kgco2e, 1), num(r.intensity.kwh_per_m2_yr, 1), '']);
  table(doc, [
    { header: 'Carrier', width: 95 },
    { header: 'Energy (kWh)', width: 80, align: 'right' },
    { header: 'Factor (kgCO2e/kWh)', width: 85, align: 'right' },
    { header: 'Emissions (kgCO2e)', width: 85, align: 'right' },
    { header: 'Intensity (kWh/m²/yr)', width: 90, align: 'right' },
    { header: 'Measured share', width: CONTENT_W - 435, align: 'right' },
  ], rows, { boldLast: true });
  if (r.energy.grid_kgco2e !== null) {
    para(doc, `Supplementary: electricity with the hour-by-hour grid intensity gives ${num(r.energy.grid_kgco2e, 1)} kgCO2e (shown beside the annual-factor figure, never instead of it).`, { color: MUTED, size: 8 });
  }
  scope2Table(doc, r);
  // The chart takes what is left of the page above its caption, within limits.
  ensure(doc, 170);
  subheading(doc, 'Daily energy by use');
  const chartY = doc.y + 2;
  const chartH = Math.max(130, Math.min(175, BOTTOM - chartY - 46));
  drawDailyEnergyChart(doc, { x: MARGIN, y: chartY, w: CONTENT_W, h: chartH }, r.daily, r.boundary.carriers, F);
  doc.y = chartY + chartH + 6;
  para(doc, 'Desks: desk sockets, given to the member at the desk. Shared meters: lighting, heating and common loads of a zone or the site, shared by those present. Standby and unmetered: energy with nobody to give it to at the time, and the incoming supply not covered by sub-meters; it is shared out by hours present each month.', { color: MUTED, size: 7.5 });
}

function peoplePage(doc: Doc, r: ImpactReport): void {
  doc.addPage();
  heading(doc, '2. People and use', true);
  const p = r.people;
  table(doc, [
    { header: 'Figure', width: 195 },
    { header: 'Value', width: 50, align: 'right' },
    { header: 'Figure', width: 180 },
    { header: 'Value', width: CONTENT_W - 425, align: 'right' },
  ], [
    ['Members served (came at least once)', num(p.members_served, 0), 'Desks', num(p.desks, 0)],
    ['Member-days (a member present on a day)', num(p.member_days, 0), 'Days with anybody present', num(p.open_days, 0)],
    ['Hours members were present', num(p.member_hours, 1), 'Desk-hours used', num(p.desk_hours, 1)],
    ['Peak headcount (half-hour average)', num(p.peak_headcount, 1), 'Desk occupancy', pct(p.desk_occupancy)],
    ['Unidentified occupants at desks (staff, guests), hours', num(p.unidentified_hours, 1), 'Entrance-only check-ins, hours', num(p.entrance_hours, 1)],
  ]);
  para(doc, `Desk occupancy = ${p.occupancy_basis}.`, { color: MUTED, size: 7.5 });

  subheading(doc, 'Per member-day');
  const s = r.per_member_day;
  const line = (label: string, v: typeof s.kwh, d: number) => [label, num(v.median, d), `${num(v.q1, d)} – ${num(v.q3, d)}`];
  table(doc, [
    { header: 'Figure', width: 245 },
    { header: 'Median', width: 100, align: 'right' },
    { header: 'Interquartile range', width: CONTENT_W - 345, align: 'right' },
  ], [
    line('Energy (kWh)', s.kwh, 2),
    line('Emissions (kgCO2e)', s.kgco2e, 3),
    line('Hours present', s.hours, 2),
    line('Private-office baseline, central (kgCO2e)', s.baseline_central_kgco2e, 3),
    line('Estimated avoided, central (kgCO2e)', s.avoided_central_kgco2e, 3),
  ]);
  para(doc, `Over ${num(s.kwh.n, 0)} member-days. A member-day's footprint is their desk energy, their share of shared meters while present, and that day's share of pooled energy. The interquartile range holds the middle half of member-days; quartiles by linear interpolation (as a spreadsheet's QUARTILE.INC).`, { color: MUTED, size: 7.5 });

  heading(doc, '3. Estimated avoided emissions, outside the inventory');
  para(doc, r.avoided.note);
  const sc = r.avoided.scenarios;
  table(doc, [
    { header: 'Scenario', width: 60 },
    { header: 'Office m² per person', width: 70, align: 'right' },
    { header: 'Small-power share', width: 65, align: 'right' },
    { header: 'Baseline (kgCO2e)', width: 75, align: 'right' },
    { header: "Members' footprint (kgCO2e)", width: 85, align: 'right' },
    { header: 'Estimated avoided (kgCO2e)', width: 80, align: 'right' },
    { header: 'Reduction', width: CONTENT_W - 435, align: 'right' },
  ], SCENARIOS.map((k) => [
    k[0]!.toUpperCase() + k.slice(1), num(sc[k].a_po_m2, 0), pct(sc[k].s_sp, 0), num(sc[k].baseline_kgco2e, 1), num(sc[k].members_kgco2e, 1), num(sc[k].avoided_kgco2e, 1), pct(sc[k].reduction),
  ]));
  const b = r.avoided.parameters;
  para(doc, `All scenarios: office energy use ${num(b.eui_el_kwh_m2, 0)} kWh/m²/yr electricity and ${num(b.eui_fuel_kwh_m2, 0)} kWh/m²/yr ${b.fuel_carrier === 'gas' ? 'gas' : 'heat'} (CIBSE TM46 general office), ${num(b.d_work, 0)} working days a year, a standard day of ${num(b.h_std_h, 0)} h; a member-day counts in proportion to the hours present, up to one standard day.`, { color: MUTED, size: 7.5 });
  ensure(doc, 195);
  subheading(doc, "Members' footprint against the private-office baseline, per day");
  const chartY = doc.y + 2;
  drawBaselineChart(doc, { x: MARGIN, y: chartY, w: CONTENT_W, h: 165 }, r.daily, F);
  doc.y = chartY + 170;
}

/** METHODOLOGY §9: Scope 1 and both Scope 2 figures, each saying which it is. */
function scope2Table(doc: Doc, r: ImpactReport): void {
  const s = r.scope2;
  ensure(doc, 150);
  subheading(doc, 'Scope 1 and 2 (GHG Protocol): location- and market-based');
  const rows: string[][] = [];
  if (s.by_carrier.some((l) => l.scope === 1)) rows.push(['Scope 1', 'fuel burnt on site (natural gas)', num(s.scope1_kgco2e, 1)]);
  rows.push(['Scope 2, location-based', 'grid-average factors, whatever the contract', num(s.scope2_location_kgco2e, 1)]);
  rows.push(['Scope 2, market-based', 'contracts and certificates, supplier rate, residual mix', num(s.scope2_market_kgco2e, 1)]);
  rows.push(['Scope 1 + 2, location-based', '', num(s.total_location_kgco2e, 1)]);
  rows.push(['Scope 1 + 2, market-based', '', num(s.total_market_kgco2e, 1)]);
  table(doc, [
    { header: 'Figure', width: 150 },
    { header: 'Basis', width: 240 },
    { header: 'Emissions (kgCO2e)', width: CONTENT_W - 390, align: 'right' },
  ], rows);
  const bases = s.by_carrier.flatMap((l) => l.bases.filter((b) => b.kwh > 0).map((b) => `${CARRIER_LABEL[l.carrier] ?? l.carrier}, ${b.label}: ${num(b.kwh, 1)} kWh, ${num(b.kgco2e, 1)} kgCO2e (${b.sources.join('; ')})${b.estimate ? ' [estimate]' : ''}`));
  para(doc, `Both Scope 2 figures are reported, as the GHG Protocol Scope 2 Guidance and ESRS E1-6 require; the inventory figures above are location-based. Market-based, per source: ${bases.join('. ')}.${s.market_estimate ? ' Estimate: part of the market-based figure uses an estimated or fallback factor.' : ''}`, { color: MUTED, size: 7.5 });
}

/** METHODOLOGY §8: the bill per carrier, itemised, and where it went (members, operator, unallocated). */
function costSection(doc: Doc, r: ImpactReport): void {
  const c = r.cost;
  ensure(doc, 260);
  heading(doc, '4. Energy cost');
  if (!c) {
    para(doc, 'The site file declares no tariffs, so no cost is computed (METHODOLOGY §8).', { color: MUTED });
    return;
  }
  const money = (v: number) => `${c.currency} ${num(v, 2)}`;
  para(doc, `The energy bill for the period in ${c.currency}, from the site's tariffs, shared out exactly as the energy is: desk energy to the member at the desk, shared meters by headcount, standby, unmetered energy and standing charges by hours present (METHODOLOGY §8). VAT included.`);
  const carriers = Object.entries(c.by_carrier);
  const rows = carriers.map(([carrier, b]) => [CARRIER_LABEL[carrier] ?? carrier, num(b!.energy, 2), num(b!.levies, 2), num(b!.standing, 2), num(b!.vat, 2), num(b!.total, 2)]);
  const sum = (k: 'energy' | 'levies' | 'standing' | 'vat') => carriers.reduce((a, [, b]) => a + b![k], 0);
  rows.push(['Total', num(sum('energy'), 2), num(sum('levies'), 2), num(sum('standing'), 2), num(sum('vat'), 2), num(c.bill, 2)]);
  table(doc, [
    { header: 'Carrier', width: 95 },
    { header: `Energy (${c.currency})`, width: 80, align: 'right' },
    { header: `Levies (${c.currency})`, width: 80, align: 'right' },
    { header: `Standing charge (${c.currency})`, width: 90, align: 'right' },
    { header: `VAT (${c.currency})`, width: 75, align: 'right' },
    { header: `Bill (${c.currency})`, width: CONTENT_W - 420, align: 'right' },
  ], rows, { boldLast: true });
  subheading(doc, 'Bill reconciliation');
  table(doc, [
    { header: 'Account', width: 280 },
    { header: `Cost (${c.currency})`, width: CONTENT_W - 280, align: 'right' },
  ], [
    ['Members (sum of every member\'s cost share)', num(c.members, 2)],
    ['Operator (staff and guests at desks, unidentified)', num(c.operator, 2)],
    ['Unallocated (billing periods with nobody present)', num(c.unallocated, 2)],
    ['Bill for the period', num(c.bill, 2)],
    ['Residual (bill − shares − unallocated)', num(c.residual, 9)],
  ]);
  const s = r.cost!.per_member_day;
  para(doc, `Per member-day: median ${money(s.median)}, interquartile range ${money(s.q1)} – ${money(s.q3)}, over ${num(s.n, 0)} member-days. Shares of pooled cost are settled per billing period, so the residual is zero (to 1e-9) over whole billing periods and may differ from zero for a period that cuts one.${c.final ? '' : ' Provisional: a billing period in this report is still open.'}`, { color: MUTED, size: 7.5 });
  for (const t of c.sources) {
    para(doc, `Tariff, ${CARRIER_LABEL[t.carrier]?.toLowerCase() ?? t.carrier}${t.supplier ? ` (${t.supplier})` : ''}: ${t.source}${t.estimate ? '. Estimate: not the site\'s own contract prices.' : ''}`, { size: 8 });
  }
}

/** §10: the normalised indicators, each with its basis, so two spaces or seasons compare fairly. */
function indicatorsSection(doc: Doc, r: ImpactReport): void {
  doc.addPage();
  heading(doc, '5. Normalised indicators', true);
  const x = r.indicators;
  para(doc, `For comparing this space with others, and one season with another (methodology §10). Annualised on the covered time: ${num(x.covered_days, 1)} of the period's ${x.days} days (${pct(x.coverage)}); days without footprint data are left out, never counted as zero.`);
  table(doc, INDICATOR_COLUMNS, indicatorRows(x));
  const h = x.heating;
  if (h) {
    para(doc, `Heating degree days: ${h.hdd === null ? 'none' : num(h.hdd, 1)} over ${h.hdd_days} covered days, base ${num(h.base_c, 1)} °C, from ${h.source === 'sensor' ? `the outdoor sensor ${h.source_name}` : 'an imported CSV of daily degree days'}; ${h.method}. Weather-normalised: ${h.basis}.`, { color: MUTED, size: 7.5 });
  } else {
    para(doc, 'No heating degree days for this site (no outdoor temperature sensor or degree-day file), so heating is not weather-normalised.', { color: MUTED, size: 7.5 });
  }
}

export const INDICATOR_COLUMNS: readonly Column[] = [
  { header: 'Indicator', width: 215 },
  { header: 'Energy', width: 100, align: 'right' },
  { header: 'Emissions', width: CONTENT_W - 315, align: 'right' },
];

/** The §10 indicators as table rows: energy and emissions per unit, n/a without a denominator. */
export function indicatorRows(x: NormalisedIndicators, counts = true): string[][] {
  const pair = (v: { kwh: number; kgco2e: number } | null | undefined, unit: string, dk: number, dc: number) =>
    v ? [`${num(v.kwh, dk)} kWh${unit}`, `${num(v.kgco2e, dc)} kgCO2e${unit}`] : ['n/a', 'n/a'];
  const h = x.heating;
  return [
    ['Per m² per year', ...pair(x.per_m2_yr, '/m²', 1, 2)],
    ['Per m² per year, heating weather-normalised', ...pair(x.weather_normalised_per_m2_yr, '/m²', 1, 2)],
    [`Per occupied desk-hour${counts ? ` (${num(x.desk_hours, 0)} desk-hours)` : ''}`, ...pair(x.per_desk_hour, '', 3, 4)],
    [`Per member-day${counts ? ` (${num(x.member_days, 0)} member-days)` : ''}`, ...pair(x.per_member_day, '', 2, 3)],
    ['Heating per heating degree day', h?.kwh_per_hdd != null ? `${num(h.kwh_per_hdd, 2)} kWh/HDD` : 'n/a', h?.kgco2e_per_hdd != null ? `${num(h.kgco2e_per_hdd, 3)} kgCO2e/HDD` : 'n/a'],
  ];
}

function qualityPage(doc: Doc, r: ImpactReport): void {
  doc.addPage();
  heading(doc, '6. Data quality', true);
  const q = r.data_quality;
  para(doc, `Sensor-confirmed share of desk-hours (sessions at desks with an occupancy sensor): ${pct(q.sensor_confirmed_share)}.`);
  if (q.sensor_unknown_hours > 0) para(doc, `Desk-hours with an occupancy sensor's state unknown (a missed heartbeat; counted neither occupied nor vacant): ${num(q.sensor_unknown_hours, 1)}.`);
  subheading(doc, 'Measured share and conservation, per carrier');
  table(doc, [
    { header: 'Carrier', width: 70 },
    { header: 'Measured share', width: 60, align: 'right' },
    { header: 'Metered (kWh)', width: 70, align: 'right' },
    { header: 'Direct + shared (kWh)', width: 80, align: 'right' },
    { header: 'Pooled (kWh)', width: 70, align: 'right' },
    { header: 'Residual (kWh)', width: 75, align: 'right' },
    { header: 'Clamped (kWh)', width: CONTENT_W - 425, align: 'right' },
  ], q.conservation.map((c) => [
    CARRIER_LABEL[c.carrier] ?? c.carrier, pct(q.measured_share[c.carrier] ?? null), num(c.metered_kwh, 3), num(c.direct_kwh + c.shared_kwh, 3), num(c.pooled_kwh, 3), num(c.residual_kwh, 6), num(c.clamped_kwh, 3),
  ]));
  para(doc, 'Measured share: energy from meter readings ÷ (that + the expected energy of stretches where a meter went silent). Residual: metered − (direct + shared + pooled), interval by interval; every metered kWh goes to somebody, so it is zero up to rounding. Clamped: sub-meters reading more than the main meter; the excess is flagged, not allocated twice.', { color: MUTED, size: 7.5 });
  const months = q.conservation.flatMap((c) => c.months.map((m) => ({ ...m, carrier: c.carrier })));
  if (months.length) {
    table(doc, [
      { header: 'Closed month', width: 90 },
      { header: 'Carrier', width: 100 },
      { header: 'Metered (kWh)', width: 100, align: 'right' },
      { header: 'Monthly residual (kWh)', width: 110, align: 'right' },
      { header: 'Whole month in period', width: CONTENT_W - 400, align: 'right' },
    ], months.map((m) => [m.month, CARRIER_LABEL[m.carrier] ?? m.carrier, num(m.metered_kwh, 3), num(m.residual_kwh, 6), m.inside_period ? 'yes' : 'no']));
  }

  subheading(doc, 'Emission factors');
  for (const s of q.factor_sets) {
    const values = [`electricity ${s.electricity}`, s.gas !== null ? `gas ${s.gas}` : '', s.heat !== null ? `heat ${s.heat}` : ''].filter(Boolean).join(', ');
    para(doc, `${s.name} (data of ${s.year}): ${values} ${s.unit}; ${s.basis}. Source: ${s.source}`, { size: 8 });
  }

  subheading(doc, 'Where the energy went');
  const a = r.allocation;
  table(doc, [
    { header: 'Account', width: 280 },
    { header: 'Energy (kWh)', width: 100, align: 'right' },
    { header: 'Emissions (kgCO2e)', width: CONTENT_W - 380, align: 'right' },
  ], [
    ['Members', num(a.members.kwh, 1), num(a.members.kgco2e, 1)],
    ['Operator (staff and guests at desks, unidentified)', num(a.operator.kwh, 1), num(a.operator.kgco2e, 1)],
    ['Unallocated (months with nobody present)', num(a.unallocated.kwh, 1), num(a.unallocated.kgco2e, 1)],
  ]);
  para(doc, "Footprints of record on the period's days. Pooled energy is shared out per billing period (calendar months unless the site sets a start day), so for a period that is not whole billing periods these add up to the metered total only approximately; over whole periods they add up exactly (the monthly residual above).", { color: MUTED, size: 7.5 });

  subheading(doc, 'Traceability');
  para(doc, `Footprint engine: ${q.engine_version}. Report: ${r.generator}. Methodology: ${r.methodology.document}, SHA-256 ${r.methodology.sha256.slice(0, 16)}…, printed in full in Appendix B.`, { size: 8 });
  para(doc, `Raw readings and presence sessions behind these figures: ${q.raw_data}. The same report as data: format=json or format=csv.`, { size: 8 });
}

function dailyAppendix(doc: Doc, r: ImpactReport): void {
  doc.addPage();
  heading(doc, 'Appendix A. Daily figures', true);
  const carriers = r.boundary.carriers;
  const fixed = 70 + 60 + 55 + 70 + 80;
  const cw = (CONTENT_W - fixed) / carriers.length;
  table(doc, [
    { header: 'Day', width: 70 },
    ...carriers.map((c) => ({ header: `${CARRIER_LABEL[c]} (kWh)`, width: cw, align: 'right' as const })),
    { header: 'Emissions (kgCO2e)', width: 60, align: 'right' },
    { header: 'Members present', width: 55, align: 'right' },
    { header: "Members' kgCO2e", width: 70, align: 'right' },
    { header: 'Baseline, central (kgCO2e)', width: 80, align: 'right' },
  ], r.daily.map((d) => [
    // A day without data is missing, not zero (issue 22).
    `${d.date}${d.final ? '' : ' *'}`, ...(d.hours_with_data > 0
      ? [...carriers.map((c) => num(d.kwh[c] ?? 0, 1)), num(d.kgco2e, 2), `${d.members_present}`, num(d.members_kgco2e, 2), num(d.baseline_kgco2e.central, 2)]
      : [...carriers.map(() => NO_DATA), NO_DATA, NO_DATA, NO_DATA, NO_DATA]),
  ]), { size: 7.5 });
  para(doc, `Coverage: ${r.coverage.text} (${num(r.coverage.hours_with_data, 1)} of ${num(r.coverage.hours, 1)} hours so far).`, { color: MUTED, size: 7.5 });
  if (!r.period.final) para(doc, '* provisional (month not closed yet).', { color: MUTED, size: 7.5 });
}

/** The methodology, rendered from its Markdown: headings, paragraphs, lists, tables, code. */
function methodologyAppendix(doc: Doc, r: ImpactReport): void {
  doc.addPage();
  heading(doc, 'Appendix B. Methodology', true);
  para(doc, `The method these figures follow, as shipped with this version (${r.methodology.document}).`, { color: MUTED, size: 8 });
  const lines = r.methodology.text.split('\n');
  let i = 0;
  const plain = (s: string) => s.replace(/\*\*(.+?)\*\*/g, '$1').replace(/`([^`]+)`/g, '$1');
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.startsWith('```')) {
      const code: string[] = [];
      for (i++; i < lines.length && !lines[i]!.startsWith('```'); i++) code.push(lines[i]!);
      i++;
      doc.font(F.mono).fontSize(7.5);
      ensure(doc, code.length * 10 + 8);
      doc.fillColor(INK).text(code.map((c) => c.replace(/ /g, '\u00a0')).join('\n'), MARGIN + 8, doc.y + 2, { width: CONTENT_W - 8, lineGap: 1 });
      doc.y += 6;
    } else if (line.startsWith('# ')) {
      i++; // The appendix heading stands for the document's title.
    } else if (line.startsWith('## ')) {
      subheading(doc, plain(line.slice(3)));
      i++;
    } else if (line.startsWith('|')) {
      const rows: string[][] = [];
      for (; i < lines.length && lines[i]!.startsWith('|'); i++) {
        const cells = lines[i]!.split('|').slice(1, -1).map((c) => plain(c.trim()));
        if (cells.every((c) => /^:?-+:?$/.test(c))) continue;
        rows.push(cells);
      }
      const n = rows[0]?.length ?? 1;
      const first = CONTENT_W * 0.34;
      const rest = (CONTENT_W - first) / Math.max(1, n - 1);
      table(doc, rows[0]!.map((h, k) => ({ header: h, width: k === 0 ? first : rest })), rows.slice(1), { size: 7.5 });
    } else if (/^\s*- /.test(line)) {
      const indent = line.indexOf('-');
      let text = line.slice(indent + 2);
      for (i++; i < lines.length && /^\s+\S/.test(lines[i]!) && !/^\s*- /.test(lines[i]!); i++) text += ` ${lines[i]!.trim()}`;
      const x = MARGIN + 8 + indent * 5;
      doc.font(F.regular).fontSize(8.5);
      ensure(doc, doc.heightOfString(plain(text), { width: CONTENT_W - (x - MARGIN) - 10 }) + 3);
      const y = doc.y;
      doc.fillColor(INK).text('•', x, y, { lineBreak: false });
      doc.text(plain(text), x + 10, y, { width: CONTENT_W - (x - MARGIN) - 10, lineGap: 1 });
      doc.y += 2;
    } else if (line.trim() === '') {
      i++;
    } else {
      let text = line;
      for (i++; i < lines.length && lines[i]!.trim() !== '' && !/^(#|\||```|\s*- )/.test(lines[i]!); i++) text += ` ${lines[i]!.trim()}`;
      para(doc, plain(text), { size: 8.5 });
    }
  }
}

/** Page footers: `label` and "Page n of N" on every page. */
export function footers(doc: Doc, label: string): void {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    // Writing below the bottom margin would start a new page; the footer sits there on purpose.
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    const y = A4.h - 40;
    doc.moveTo(MARGIN, y - 6).lineTo(A4.w - MARGIN, y - 6).lineWidth(0.5).strokeColor(RULE).stroke();
    doc.font(F.regular).fontSize(7.5).fillColor(MUTED);
    doc.text(label, MARGIN, y, { width: CONTENT_W - 80, lineBreak: false });
    doc.text(`Page ${i - range.start + 1} of ${range.count}`, A4.w - MARGIN - 80, y, { width: 80, align: 'right', lineBreak: false });
    doc.page.margins.bottom = bottom;
  }
}

// ------------------------------------------------------------------ building blocks

function ensure(doc: Doc, height: number): void {
  if (doc.y + height > BOTTOM) {
    doc.addPage();
    doc.y = MARGIN;
  }
}

export function heading(doc: Doc, text: string, top = false): void {
  doc.font(F.bold).fontSize(13);
  if (!top) ensure(doc, 60);
  const y = top ? MARGIN : doc.y + 10;
  doc.fillColor(INK).text(text, MARGIN, y, { width: CONTENT_W });
  doc.moveTo(MARGIN, doc.y + 1).lineTo(MARGIN + CONTENT_W, doc.y + 1).lineWidth(0.75).strokeColor(ACCENT).stroke();
  doc.y += 6;
}

export function subheading(doc: Doc, text: string): void {
  doc.font(F.bold).fontSize(10);
  ensure(doc, 40);
  doc.fillColor(INK).text(text, MARGIN, doc.y + 6, { width: CONTENT_W });
  doc.y += 3;
}

export function para(doc: Doc, text: string, o: { color?: string; size?: number } = {}): void {
  doc.font(F.regular).fontSize(o.size ?? 9);
  const h = doc.heightOfString(text, { width: CONTENT_W, lineGap: 1.5 });
  ensure(doc, Math.min(h, 60));
  doc.fillColor(o.color ?? INK).text(text, MARGIN, doc.y, { width: CONTENT_W, lineGap: 1.5 });
  doc.y += 5;
}

export function callout(doc: Doc, text: string): void {
  doc.font(F.regular).fontSize(8.5);
  const h = doc.heightOfString(text, { width: CONTENT_W - 16 }) + 12;
  const y = doc.y;
  doc.rect(MARGIN, y, CONTENT_W, h).fill('#fff4d6');
  doc.rect(MARGIN, y, 3, h).fill('#c98a00');
  doc.fillColor(INK).text(text, MARGIN + 10, y + 6, { width: CONTENT_W - 16 });
  doc.y = y + h + 6;
}

export function tiles(doc: Doc, items: { label: string; value: string; sub: string }[]): void {
  const cols = 3;
  const gap = 8;
  const w = (CONTENT_W - gap * (cols - 1)) / cols;
  const h = 58;
  const top = doc.y + 2;
  items.forEach((it, k) => {
    const x = MARGIN + (k % cols) * (w + gap);
    const y = top + Math.floor(k / cols) * (h + gap);
    doc.rect(x, y, w, h).fill('#f2f5f9');
    doc.rect(x, y, w, 2).fill(ACCENT);
    doc.font(F.regular).fontSize(7.5).fillColor(MUTED).text(it.label, x + 8, y + 8, { width: w - 16, lineBreak: false });
    doc.font(F.bold).fontSize(15).fillColor(INK).text(it.value, x + 8, y + 20, { width: w - 16, lineBreak: false });
    doc.font(F.regular).fontSize(6.8).fillColor(MUTED).text(it.sub, x + 8, y + 39, { width: w - 16, height: 18, ellipsis: true });
  });
  doc.y = top + Math.ceil(items.length / cols) * (h + gap);
}

export interface Column {
  header: string;
  width: number;
  align?: 'left' | 'right';
}

/** A table that breaks across pages, repeating its header. */
export function table(doc: Doc, columns: readonly Column[], rows: readonly (readonly string[])[], o: { size?: number; boldLast?: boolean } = {}): void {
  const size = o.size ?? 8.5;
  const pad = 3;
  const rowHeight = (cells: readonly string[], font: string) => {
    doc.font(font).fontSize(size);
    return Math.max(...columns.map((c, k) => doc.heightOfString(cells[k] ?? '', { width: c.width - 2 * pad }))) + 2 * pad;
  };
  const drawRow = (cells: readonly string[], font: string, fill: string | null, color: string) => {
    const h = rowHeight(cells, font);
    const y = doc.y;
    if (fill) doc.rect(MARGIN, y, CONTENT_W, h).fill(fill);
    let x = MARGIN;
    doc.font(font).fontSize(size).fillColor(color);
    columns.forEach((c, k) => {
      doc.text(cells[k] ?? '', x + pad, y + pad, { width: c.width - 2 * pad, align: c.align ?? 'left' });
      x += c.width;
    });
    doc.y = y + h;
  };
  const header = columns.map((c) => c.header);
  const headerH = rowHeight(header, F.bold);
  ensure(doc, headerH + rowHeight(rows[0] ?? [], F.regular) + 4);
  doc.y += 2;
  drawRow(header, F.bold, '#e6ebf1', INK);
  rows.forEach((cells, k) => {
    const h = rowHeight(cells, F.regular);
    if (doc.y + h > BOTTOM) {
      doc.addPage();
      doc.y = MARGIN;
      drawRow(header, F.bold, '#e6ebf1', INK);
    }
    const last = o.boldLast && k === rows.length - 1;
    drawRow(cells, last ? F.bold : F.regular, k % 2 === 1 ? '#f7f9fb' : null, INK);
  });
  doc.moveTo(MARGIN, doc.y).lineTo(MARGIN + CONTENT_W, doc.y).lineWidth(0.5).strokeColor(RULE).stroke();
  doc.y += 6;
}

