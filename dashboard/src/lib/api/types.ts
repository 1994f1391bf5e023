/**
 * Response shapes the dashboard reads. The footprint and impact-report shapes are the
 * server's own types, imported as types only (no server code reaches the bundle), so a
 * renamed field is a compile error here too (`npm run typecheck` runs svelte-check). The
 * auth and report-listing shapes are not declared server-side; only the fields the views
 * use are listed, and the e2e tests compare what the views show with what the server sends.
 */
export type { Scenario } from '../../../../footprint/emissions.ts';
export type {
  EnergyReading, FactorSetInfo, FootprintFigures, MemberFootprintResponse, MethodBlock, ScenarioValues, SiteFootprintResponse, TodayResponse,
} from '../../../../footprint/figures.ts';
export type { FigureBasis } from '../../../../footprint/schema.ts';
export type { ImpactReport } from '../../../../api/reports/model.ts';
export type { NetworkReport, NetworkSite, NetworkTotal } from '../../../../api/reports/network.ts';
export type { NormalisedIndicators, PerUnit } from '../../../../footprint/indicators.ts';
export type { GreenerHours, GreenerWindow } from '../../../../footprint/greener-hours.ts';

export type Role = 'manager' | 'member' | 'funder';

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

/** An entry of `GET /api/sites/:site/reports` (`{ site, schedule, reports: [...] }`): a scheduled report already generated and kept. */
export interface StoredReport {
  /** Period id: `2026-10` (monthly) or `2026-W44` (weekly). */
  id: string;
  period: { from: string; to: string; first_day: string; last_day: string; final: boolean };
  generated_at: string;
  /** Download links per file kind (`pdf`, `csv`, `json`, `members.csv`). */
  downloads: Record<string, { href: string; bytes: number }>;
}
