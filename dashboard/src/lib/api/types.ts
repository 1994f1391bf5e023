/**
 * Response shapes of the footprint, auth and report endpoints, as the dashboard reads them.
 * These endpoints are typed server-side in their own modules (api/routes/footprint.ts,
 * api/routes/auth.ts, api/reports/model.ts), which the dashboard may not import (DESIGN
 * "Layout"); only the fields the views use are listed, and the e2e tests compare what the
 * views show with what the server sends.
 */

export type Role = 'manager' | 'member' | 'funder';
export type Scenario = 'low' | 'central' | 'high';
export type ScenarioValues = Record<Scenario, number>;

export interface SessionUser {
  name: string;
  role: Role;
  sites: string[];
  member?: string;
}

/** `GET /api/auth/me`. */
export interface MeResponse {
  user: SessionUser;
  via: 'session' | 'token';
  csrf?: string;
  expiresAt?: number;
}

/** `POST /api/auth/login`. */
export interface LoginResponse {
  user: SessionUser;
  csrf: string;
  expiresAt: number;
}

/** One period's footprint figures (api/routes/footprint.ts `FootprintFigures`). */
export interface FootprintFigures {
  kwh: Record<string, number>;
  kwh_total: number;
  kwh_direct: number;
  kwh_shared: number;
  kwh_pool: number;
  kgco2e: number;
  grid_kgco2e: number;
  hours: number;
  baseline_kgco2e: ScenarioValues;
  avoided_kgco2e: ScenarioValues;
  reduction: ScenarioValues;
  final: boolean;
  days: number;
}

export interface FactorSetInfo {
  name: string;
  year: number;
  unit: string;
  basis: string;
  source: string;
  electricity: number;
  gas: number | null;
  heat: number | null;
}

export interface MethodBlock {
  engine_version: string;
  factor_sets: FactorSetInfo[];
  baseline: ({ site: string; h_std_h: number; d_work: number; eui_el_kwh_m2: number; eui_fuel_kwh_m2: number; fuel_carrier: string; scenarios: Record<Scenario, { a_po_m2: number; s_sp: number }> })[];
  avoided_note: string;
}

/** `GET /api/members/:member/footprint`. */
export interface MemberFootprintResponse {
  member: string;
  sites: string[];
  from: number;
  to: number;
  every: 'day' | 'week' | 'month';
  buckets: (FootprintFigures & { start: number })[];
  totals: FootprintFigures;
  method: MethodBlock;
}

/** `GET /api/sites/:site/footprint` (only what the views read). */
export interface SiteFootprintResponse {
  site: string;
  from: number;
  to: number;
  totals: { by_carrier: Record<string, { kwh: number; kgco2e: number; grid_kgco2e: number | null }>; kwh: number; kgco2e: number };
  data_quality: {
    measured_share: Record<string, number | null>;
    sensor_confirmed_share: number | null;
    provisional: boolean;
  } & Partial<MethodBlock>;
}

export interface Spread {
  n: number;
  median: number | null;
  p25: number | null;
  p75: number | null;
}

/** `GET /api/sites/:site/reports/impact?format=json` (api/reports/model.ts `ImpactReport`, the parts shown). */
export interface ImpactReport {
  generated_at: string;
  site: { id: string; name: string; timezone: string; area_m2: number; zones: number; desks: number };
  period: { from: string; to: string; first_day: string; last_day: string; days: number; final: boolean };
  energy: {
    by_carrier: { carrier: string; kwh: number; kgco2e: number; kg_per_kwh: number }[];
    kwh: number;
    kgco2e: number;
    grid_kgco2e: number | null;
  };
  intensity: { kwh_per_m2_yr: number; kgco2e_per_m2_yr: number; basis: string };
  people: { members_served: number; member_days: number; member_hours: number; desks: number; desk_occupancy: number; occupancy_basis: string; peak_headcount: number; open_days: number };
  per_member_day: { basis: string; kgco2e: Spread; kwh: Spread };
  avoided: {
    label: string;
    note: string;
    scenarios: Record<Scenario, { a_po_m2: number; s_sp: number; baseline_kgco2e: number; members_kgco2e: number; avoided_kgco2e: number; reduction: number }>;
  };
  data_quality: {
    measured_share: Record<string, number | null>;
    sensor_confirmed_share: number | null;
    factor_sets: FactorSetInfo[];
    engine_version: string;
    provisional_days: number;
  };
  daily: { date: string; start: number; kwh_total: number; kgco2e: number; members_present: number; members_kgco2e: number; baseline_kgco2e: ScenarioValues; avoided_kgco2e: ScenarioValues; final: boolean }[];
}

/** An entry of `GET /api/sites/:site/reports` (`{ site, schedule, reports: [...] }`): a scheduled report already generated and kept. */
export interface StoredReport {
  /** Period id: `2026-10` (monthly) or `2026-W44` (weekly). */
  id: string;
  period: { from: string; to: string; first_day: string; last_day: string; final: boolean };
  generated_at: string;
  /** Download links per file kind (`pdf`, `csv`, `json`, `members.csv`). */
  downloads: Record<string, { href: string; bytes: number }>;
}
