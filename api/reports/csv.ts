/**
 * CSV renderers of the impact report (docs/reports.md "CSV"): one row per local day, and an
 * anonymised row per member. Numbers are plain decimals (up to 6 places, a tenth of a Wh),
 * so the columns sum to the JSON report's totals.
 */
import { SCENARIOS } from '../../footprint/emissions.ts';
import { FIELD } from '../../footprint/schema.ts';
import type { ImpactReport } from './model.ts';

export const CSV_TABLES = ['daily', 'members'] as const;
export type CsvTable = (typeof CSV_TABLES)[number];

export function renderCsv(report: ImpactReport, table: CsvTable = 'daily'): string {
  return table === 'members' ? membersCsv(report) : dailyCsv(report);
}

export function dailyCsv(report: ImpactReport): string {
  const carriers = report.boundary.carriers;
  const header = [
    'date',
    ...carriers.flatMap((c) => [FIELD.kwh(c), `kgco2e_${c}`, `direct_kwh_${c}`, `shared_kwh_${c}`, `pooled_kwh_${c}`]),
    'kwh_total', 'kgco2e_total', 'members_present', 'member_hours', 'desk_hours', 'members_kgco2e',
    ...SCENARIOS.map(FIELD.baseline), ...SCENARIOS.map(FIELD.avoided), 'final',
    // METHODOLOGY §8: the day's bill in the site's currency; empty without tariffs.
    'cost', 'currency',
    // METHODOLOGY §9: the day's Scope 2, location- and market-based.
    'scope2_location_kgco2e', 'scope2_market_kgco2e',
  ];
  const currency = report.cost?.currency ?? '';
  const rows = report.daily.map((d) => [
    d.date,
    ...carriers.flatMap((c) => [d.kwh[c] ?? 0, d.kgco2e_by_carrier[c] ?? 0, d.use[c]?.direct ?? 0, d.use[c]?.shared ?? 0, d.use[c]?.pooled ?? 0]),
    d.kwh_total, d.kgco2e, d.members_present, d.member_hours, d.desk_hours, d.members_kgco2e,
    ...SCENARIOS.map((s) => d.baseline_kgco2e[s]), ...SCENARIOS.map((s) => d.avoided_kgco2e[s]), d.final ? 1 : 0,
    d.cost ?? '', currency,
    d.scope2_location_kgco2e, d.scope2_market_kgco2e,
  ]);
  return toCsv(header, rows);
}

export function membersCsv(report: ImpactReport): string {
  const carriers = report.boundary.carriers;
  const header = [
    'member', 'days_present', 'hours', ...carriers.map(FIELD.kwh), 'kwh_total', 'kwh_direct', 'kwh_shared', 'kwh_pool', 'kgco2e',
    ...SCENARIOS.map(FIELD.baseline), ...SCENARIOS.map(FIELD.avoided),
    // METHODOLOGY §8: the member's cost share in the site's currency; empty without tariffs.
    'cost', 'currency',
  ];
  const currency = report.cost?.currency ?? '';
  const rows = report.members.map((m) => [
    m.id, m.days_present, m.hours, ...carriers.map((c) => m.kwh[c] ?? 0), m.kwh_total, m.kwh_direct, m.kwh_shared, m.kwh_pool, m.kgco2e,
    ...SCENARIOS.map((s) => m.baseline_kgco2e[s]), ...SCENARIOS.map((s) => m.avoided_kgco2e[s]),
    m.cost ?? '', currency,
  ]);
  return toCsv(header, rows);
}

function toCsv(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

function cell(v: string | number): string {
  if (typeof v === 'number') return number(v);
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** Up to 6 decimals, no exponent, no trailing zeros, and never "-0". */
export function number(v: number): string {
  if (!Number.isFinite(v)) return '';
  const s = v.toFixed(6).replace(/\.?0+$/, '');
  return s === '-0' ? '0' : s;
}
