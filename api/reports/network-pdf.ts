/**
 * The network impact report as a PDF (METHODOLOGY.md §11): the network total, the sites side
 * by side on the §10 indicators, and the monthly trend. Same page furniture as the site
 * report (pdf.ts); no member is named.
 */
import { num, pct } from './format.ts';
import type { NetworkReport } from './network.ts';
import { CONTENT_W, MUTED, footers, heading, indicatorRows, openDocument, para, table, tiles, type Column, F, MARGIN } from './pdf.ts';

export async function renderNetworkPdf(r: NetworkReport): Promise<Buffer> {
  const first = r.sites.map((s) => s.first_day).sort()[0] ?? r.period.from.slice(0, 10);
  const last = r.sites.map((s) => s.last_day).sort().at(-1) ?? r.period.to.slice(0, 10);
  const { doc, finish } = openDocument(r.generated_at, {
    Title: `Network impact report: ${r.sites.length} sites, ${first} to ${last}`,
    Subject: 'Energy and carbon of a network of shared workspaces, side by side on normalised indicators',
    Keywords: `deskprint; network report; ${r.sites.map((s) => s.id).join(', ')}`,
    Creator: 'deskprint-reports/1.0.0',
  });
  const t = r.total;
  doc.font(F.bold).fontSize(9).fillColor('#1d4e89').text('NETWORK IMPACT REPORT', MARGIN, MARGIN, { characterSpacing: 1 });
  doc.font(F.bold).fontSize(20).fillColor('#1b1f24').text(`${t.sites} sites, ${num(t.area_m2, 0)} m²`, MARGIN, doc.y + 4, { width: CONTENT_W });
  doc.font(F.regular).fontSize(11).text(`${first} to ${last} (each site's local days)`, MARGIN, doc.y + 2);
  doc.font(F.regular).fontSize(8).fillColor(MUTED).text(`Generated ${r.generated_at.replace('T', ' ').slice(0, 16)} UTC. Sites: ${r.sites.map((s) => s.name).join(', ')}.`, MARGIN, doc.y + 3, { width: CONTENT_W });
  doc.y += 8;

  heading(doc, 'Network total');
  const pair = (v: { kwh: number; kgco2e: number } | null, unit: string, d: number) => (v ? `${num(v.kwh, d)} kWh${unit}` : 'n/a');
  tiles(doc, [
    { label: 'Energy used', value: `${num(t.kwh, 0)} kWh`, sub: `${num(t.kgco2e, 1)} kgCO2e (location-based)` },
    { label: 'Per m² per year', value: pair(t.per_m2_yr, '/m²', 1), sub: `${t.per_m2_yr ? num(t.per_m2_yr.kgco2e, 2) : 'n/a'} kgCO2e/m²; area-weighted over the sites` },
    { label: 'Weather-normalised, per m² per year', value: pair(t.weather_normalised_per_m2_yr, '/m²', 1), sub: `${t.weather_normalised_sites} of ${t.sites} sites` },
    { label: 'Per occupied desk-hour', value: pair(t.per_desk_hour, '', 3), sub: `${num(t.desk_hours, 0)} desk-hours at ${t.desks} desks` },
    { label: 'Per member-day', value: pair(t.per_member_day, '', 2), sub: `${num(t.member_days, 0)} member-days` },
    { label: 'Members served', value: num(t.members_served, 0), sub: 'summed over sites; nobody is named' },
  ]);
  para(doc, `Totals: ${t.basis}.`, { color: MUTED, size: 7.5 });

  heading(doc, 'Sites side by side');
  const w = (CONTENT_W - 205) / Math.max(1, r.sites.length);
  const cols: Column[] = [{ header: 'Indicator', width: 205 }, ...r.sites.map((s) => ({ header: s.name, width: w, align: 'right' as const }))];
  const perSite = r.sites.map((s) => indicatorRows(s.indicators, false));
  const rows: string[][] = [
    ['Area', ...r.sites.map((s) => `${num(s.area_m2, 0)} m²`)],
    ['Covered days', ...r.sites.map((s) => `${num(s.indicators.covered_days, 1)} of ${s.indicators.days} (${pct(s.indicators.coverage, 0)})`)],
    ['Energy', ...r.sites.map((s) => `${num(s.indicators.kwh, 1)} kWh`)],
    ['Emissions', ...r.sites.map((s) => `${num(s.indicators.kgco2e, 1)} kgCO2e`)],
    ['Members served', ...r.sites.map((s) => num(s.members_served, 0))],
    ['Occupied desk-hours', ...r.sites.map((s) => num(s.indicators.desk_hours, 0))],
    ['Member-days', ...r.sites.map((s) => num(s.indicators.member_days, 0))],
  ];
  // indicatorRows gives [label, energy, emissions] per indicator: one row each for energy and emissions.
  perSite[0]?.forEach((row, k) => {
    rows.push([`${row[0]}, energy`, ...perSite.map((p) => p[k]![1]!)]);
    rows.push([`${row[0]}, emissions`, ...perSite.map((p) => p[k]![2]!)]);
  });
  table(doc, cols, rows, { size: 7.5 });
  para(doc, 'Per m² per year on each site\'s covered time (days without data are left out, never counted as zero). Weather-normalised: heating energy per heating degree day scaled to the reference year; a site without a heating carrier needs no normalising; n/a where degree days are missing.', { color: MUTED, size: 7.5 });

  heading(doc, 'Trend by month: weather-normalised kWh per m² per year');
  table(doc, [{ header: 'Month', width: 80 }, ...r.sites.map((s) => ({ header: s.name, width: (CONTENT_W - 160) / Math.max(1, r.sites.length), align: 'right' as const })), { header: 'Network', width: 80, align: 'right' }],
    r.trend.map((m) => [
      m.month,
      ...r.sites.map((s) => {
        const x = s.trend.find((e) => e.month === m.month)?.indicators.weather_normalised_per_m2_yr;
        return x ? num(x.kwh, 1) : 'n/a';
      }),
      m.total.weather_normalised_per_m2_yr ? num(m.total.weather_normalised_per_m2_yr.kwh, 1) : 'n/a',
    ]), { size: 7.5 });
  para(doc, 'Methodology: docs/METHODOLOGY.md §10 (normalised indicators) and §11 (a network of spaces). Each site\'s own impact report carries its full method, data quality and ranges.', { color: MUTED, size: 7.5 });

  footers(doc, `Network impact report · ${t.sites} sites · ${first} to ${last}`);
  return finish();
}
