/**
 * The network impact report (METHODOLOGY.md §11): several sites side by side on the
 * normalised indicators of §10, their monthly trend, and the network total, for the people
 * who manage or fund them. The network view (`GET /api/network`) and the report files
 * (`GET /api/network/report?format=json|csv|pdf`) read this one object.
 *
 * No member is named: sites appear with counts (members served, member-days) and indicators.
 */
import type { SiteFile } from '../../devices/site.ts';
import { readDegreeDays } from '../../footprint/degree-days.ts';
import { normalisedIndicators, type NormalisedIndicators, type PerUnit } from '../../footprint/indicators.ts';
import { readFootprintSeries, type LiveDays } from '../../footprint/read.ts';
import { M_DAY, fieldsOf } from '../../footprint/schema.ts';
import type { TimeSeriesStore } from '../../store/types.ts';
import { number } from './csv.ts';
import { reportPeriod } from './model.ts';

export const NETWORK_REPORT_FORMAT = 'deskprint-network-report/1';

export interface NetworkSite {
  id: string;
  name: string;
  timezone: string;
  area_m2: number;
  desks: number;
  first_day: string;
  last_day: string;
  /** Members present at least once in the period (a count; nobody is named). */
  members_served: number;
  indicators: NormalisedIndicators;
  /** One entry per local calendar month the period touches. */
  trend: { month: string; indicators: NormalisedIndicators }[];
}

/** §11: the network as one space. */
export interface NetworkTotal {
  sites: number;
  area_m2: number;
  desks: number;
  kwh: number;
  kgco2e: number;
  desk_hours: number;
  member_days: number;
  /** Σ over sites; a person who uses two sites counts at each. */
  members_served: number;
  /** Σ_s (per-m²-year figure_s × A_s) ÷ Σ A_s, over sites with covered time. */
  per_m2_yr: PerUnit | null;
  /** The same over sites with a weather-normalised figure; `weather_normalised_sites` says how many. */
  weather_normalised_per_m2_yr: PerUnit | null;
  weather_normalised_sites: number;
  /** Σ E ÷ Σ H_desk, Σ E ÷ Σ N_md. */
  per_desk_hour: PerUnit | null;
  per_member_day: PerUnit | null;
  basis: string;
}

export interface NetworkReport {
  format: typeof NETWORK_REPORT_FORMAT;
  generated_at: string;
  period: { from: string; to: string };
  sites: NetworkSite[];
  total: NetworkTotal;
  /** The network total month by month. */
  trend: { month: string; total: NetworkTotal }[];
  methodology: 'METHODOLOGY.md §10, §11';
}

export interface BuildNetworkOptions {
  store: TimeSeriesStore;
  /** The sites the reader may see, in the order to show them. */
  sites: readonly SiteFile[];
  from: number;
  to: number;
  generatedAt: number;
  engine?: LiveDays;
}

export async function buildNetworkReport(o: BuildNetworkOptions): Promise<NetworkReport> {
  const sites: NetworkSite[] = [];
  for (const site of o.sites) {
    const period = reportPeriod(site, o.from, o.to);
    const series = await readFootprintSeries({ store: o.store, site, from: period.from, to: period.to, monthsFrom: period.to, ...(o.engine ? { engine: o.engine } : {}) });
    const hdd = await readDegreeDays(o.store, site, period.days);
    const months = new Map<string, typeof period.days>();
    for (const d of period.days) months.set(d.month, [...(months.get(d.month) ?? []), d]);
    const members = new Set<string>();
    for (const p of series.days) {
      const account = p.tags.account ?? '';
      if (account !== site.operator && !account.startsWith('_') && (fieldsOf(p, M_DAY).hours ?? 0) > 0) members.add(account);
    }
    sites.push({
      id: site.id, name: site.name, timezone: site.timezone, area_m2: site.area_m2, desks: site.desks.length,
      first_day: period.days[0]!.key, last_day: period.days.at(-1)!.key,
      members_served: members.size,
      indicators: normalisedIndicators(site, period.days, series, hdd),
      trend: [...months].map(([month, days]) => ({ month, indicators: normalisedIndicators(site, days, series, hdd) })),
    });
  }
  const monthKeys = [...new Set(sites.flatMap((s) => s.trend.map((t) => t.month)))].sort();
  return {
    format: NETWORK_REPORT_FORMAT,
    generated_at: new Date(o.generatedAt).toISOString(),
    period: { from: new Date(o.from).toISOString(), to: new Date(o.to).toISOString() },
    sites,
    total: networkTotal(sites.map((s) => ({ indicators: s.indicators, desks: s.desks, members_served: s.members_served }))),
    trend: monthKeys.map((month) => ({
      month,
      total: networkTotal(sites.flatMap((s) => s.trend.filter((t) => t.month === month).map((t) => ({ indicators: t.indicators, desks: s.desks, members_served: 0 })))),
    })),
    methodology: 'METHODOLOGY.md §10, §11',
  };
}

/** §11: sites added up as one space, each annualised on its own covered time, weighted by area. */
export function networkTotal(sites: readonly { indicators: NormalisedIndicators; desks: number; members_served: number }[]): NetworkTotal {
  const areaWeighted = (pick: (x: NormalisedIndicators) => PerUnit | null): { value: PerUnit | null; n: number } => {
    let area = 0, kwh = 0, kg = 0, n = 0;
    for (const { indicators: x } of sites) {
      const v = pick(x);
      if (!v) continue;
      area += x.area_m2;
      kwh += v.kwh * x.area_m2;
      kg += v.kgco2e * x.area_m2;
      n++;
    }
    return { value: area > 0 ? { kwh: kwh / area, kgco2e: kg / area } : null, n };
  };
  const sum = (pick: (x: NormalisedIndicators) => number) => sites.reduce((a, s) => a + pick(s.indicators), 0);
  const kwh = sum((x) => x.kwh);
  const kgco2e = sum((x) => x.kgco2e);
  const deskHours = sum((x) => x.desk_hours);
  const memberDays = sum((x) => x.member_days);
  const weather = areaWeighted((x) => x.weather_normalised_per_m2_yr);
  return {
    sites: sites.length,
    area_m2: sum((x) => x.area_m2),
    desks: sites.reduce((a, s) => a + s.desks, 0),
    kwh, kgco2e,
    desk_hours: deskHours,
    member_days: memberDays,
    members_served: sites.reduce((a, s) => a + s.members_served, 0),
    per_m2_yr: areaWeighted((x) => x.per_m2_yr).value,
    weather_normalised_per_m2_yr: weather.value,
    weather_normalised_sites: weather.n,
    per_desk_hour: deskHours > 0 ? { kwh: kwh / deskHours, kgco2e: kgco2e / deskHours } : null,
    per_member_day: memberDays > 0 ? { kwh: kwh / memberDays, kgco2e: kgco2e / memberDays } : null,
    basis: 'per m² per year: each site annualised on its own covered time, weighted by its area; per desk-hour and per member-day: network energy ÷ network desk-hours or member-days (METHODOLOGY §11)',
  };
}

// ------------------------------------------------------------------ CSV

export const NETWORK_CSV_TABLES = ['sites', 'trend'] as const;
export type NetworkCsvTable = (typeof NETWORK_CSV_TABLES)[number];

const CSV_COLUMNS = [
  'days', 'covered_days', 'area_m2', 'kwh', 'kgco2e', 'kwh_per_m2_yr', 'kgco2e_per_m2_yr', 'kwh_per_m2_yr_weather_normalised', 'kgco2e_per_m2_yr_weather_normalised',
  'desk_hours', 'kwh_per_desk_hour', 'kgco2e_per_desk_hour', 'member_days', 'kwh_per_member_day', 'kgco2e_per_member_day', 'hdd', 'kwh_per_hdd',
] as const;

function indicatorCells(x: NormalisedIndicators): (number | null)[] {
  return [
    x.days, x.covered_days, x.area_m2, x.kwh, x.kgco2e, x.per_m2_yr?.kwh ?? null, x.per_m2_yr?.kgco2e ?? null,
    x.weather_normalised_per_m2_yr?.kwh ?? null, x.weather_normalised_per_m2_yr?.kgco2e ?? null,
    x.desk_hours, x.per_desk_hour?.kwh ?? null, x.per_desk_hour?.kgco2e ?? null, x.member_days, x.per_member_day?.kwh ?? null, x.per_member_day?.kgco2e ?? null,
    x.heating?.hdd ?? null, x.heating?.kwh_per_hdd ?? null,
  ];
}

function totalCells(t: NetworkTotal): (number | null)[] {
  return [
    null, null, t.area_m2, t.kwh, t.kgco2e, t.per_m2_yr?.kwh ?? null, t.per_m2_yr?.kgco2e ?? null,
    t.weather_normalised_per_m2_yr?.kwh ?? null, t.weather_normalised_per_m2_yr?.kgco2e ?? null,
    t.desk_hours, t.per_desk_hour?.kwh ?? null, t.per_desk_hour?.kgco2e ?? null, t.member_days, t.per_member_day?.kwh ?? null, t.per_member_day?.kgco2e ?? null, null, null,
  ];
}

/** `sites`: one row per site and a `network` row; `trend`: one row per site and month, and the network's. Empty cell: no figure. */
export function renderNetworkCsv(r: NetworkReport, table: NetworkCsvTable = 'sites'): string {
  const rows: (string | number | null)[][] = [];
  if (table === 'sites') {
    rows.push(['site', 'name', 'members_served', ...CSV_COLUMNS]);
    for (const s of r.sites) rows.push([s.id, s.name, s.members_served, ...indicatorCells(s.indicators)]);
    rows.push(['network', `${r.total.sites} sites`, r.total.members_served, ...totalCells(r.total)]);
  } else {
    rows.push(['month', 'site', ...CSV_COLUMNS]);
    for (const t of r.trend) {
      for (const s of r.sites) for (const m of s.trend.filter((x) => x.month === t.month)) rows.push([t.month, s.id, ...indicatorCells(m.indicators)]);
      rows.push([t.month, 'network', ...totalCells(t.total)]);
    }
  }
  return rows.map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

function csvCell(v: string | number | null): string {
  if (v === null) return '';
  if (typeof v === 'number') return number(v);
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}
