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
    'hours_with_data',
  ];
  const currency = report.cost?.currency ?? '';
  const rows = report.daily.map((d) => {
    // A day without data has empty cells, never zeros (docs/reports.md "CSV"); its coverage says why.
    const v = (x: number): number | null => (d.hours_with_data > 0 ? x : null);
    return [
      d.date,
      ...carriers.flatMap((c) => [v(d.kwh[c] ?? 0), v(d.kgco2e_by_carrier[c] ?? 0), v(d.use[c]?.direct ?? 0), v(d.use[c]?.shared ?? 0), v(d.use[c]?.pooled ?? 0)]),
      v(d.kwh_total), v(d.kgco2e), v(d.members_present), v(d.member_hours), v(d.desk_hours), v(d.members_kgco2e),
      ...SCENARIOS.map((s) => v(d.baseline_kgco2e[s])), ...SCENARIOS.map((s) => v(d.avoided_kgco2e[s])), d.final ? 1 : 0,
      // The standing charge accrues on a day without readings too (§8), so its cost is filled.
      d.cost ?? '', currency,
      v(d.scope2_location_kgco2e), v(d.scope2_market_kgco2e),
      d.hours_with_data,
    ];
  });
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

function toCsv(header: readonly string[], rows: readonly (readonly (string | number | null)[])[]): string {
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

function cell(v: string | number | null): string {
  if (v === null) return '';
  if (typeof v === 'number') return number(v);
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** Up to 6 decimals, no exponent, no trailing zeros, and never "-0". */
export function number(v: number): string {
  if (!Number.isFinite(v)) return '';
  const s = v.toFixed(6).replace(/\.?0+$/, '');
  return s === '-0' ? '0' : s;
}
