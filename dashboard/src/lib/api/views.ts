/**
 * REST calls of the role views (issue 7): sign-in, alerts and devices for managers, a
 * member's footprint and check-ins, and funders' impact reports.
 */
import type { AlertsResponse, DevicesResponse, MemberCheckinsResponse } from '../../../../devices/api-types.ts';
import type { HttpClient } from './client.ts';
import type { GreenerHours, ImpactReport, LoginResponse, MeResponse, MemberFootprintResponse, NetworkReport, SiteFootprintResponse, StoredReport, TodayResponse } from './types.ts';

export type ReportFormat = 'json' | 'csv' | 'pdf';

export interface ViewsApi {
  me(): Promise<MeResponse>;
  login(username: string, password: string): Promise<LoginResponse>;
  logout(): Promise<void>;
  alerts(site: string): Promise<AlertsResponse>;
  devices(site: string): Promise<DevicesResponse>;
  siteFootprint(site: string, range: { from: number; to: number }): Promise<SiteFootprintResponse>;
  /** Today's energy as every view shows it, with each figure's basis (footprint/today.ts). */
  today(site: string): Promise<TodayResponse>;
  memberFootprint(member: string, query: { from: number; to: number; every: 'day' | 'week' | 'month' }): Promise<MemberFootprintResponse>;
  memberCheckins(member: string, range: { from: number; to: number }): Promise<MemberCheckinsResponse>;
  impact(site: string, range: { from: number; to: number }): Promise<ImpactReport>;
  reports(site: string): Promise<StoredReport[]>;
  /** The reader's sites side by side (METHODOLOGY §11). */
  network(range: { from: number; to: number }): Promise<NetworkReport>;
  /** The coming low-carbon hours from the site's grid forecast (METHODOLOGY §3). */
  greenerHours(site: string): Promise<GreenerHours>;
}

const enc = encodeURIComponent;

/** Where a report file downloads from (a plain link: the browser sends the session cookie). */
export function reportUrl(site: string, range: { from: number; to: number }, format: ReportFormat): string {
  return `/api/sites/${enc(site)}/reports/impact?${new URLSearchParams({ from: String(range.from), to: String(range.to), format })}`;
}

/** Where the network impact report downloads from. */
export function networkReportUrl(range: { from: number; to: number }, format: ReportFormat): string {
  return `/api/network/report?${new URLSearchParams({ from: String(range.from), to: String(range.to), format })}`;
}

export function viewsApi(client: HttpClient): ViewsApi {
  const range = (r: { from: number; to: number }) => new URLSearchParams({ from: String(r.from), to: String(r.to) });
  return {
    me: () => client.get('/api/auth/me'),
    login: (username, password) => client.post('/api/auth/login', { username, password }),
    logout: async () => {
      await client.post('/api/auth/logout');
    },
    alerts: (site) => client.get(`/api/sites/${enc(site)}/alerts`),
    devices: (site) => client.get(`/api/sites/${enc(site)}/devices`),
    siteFootprint: (site, r) => client.get(`/api/sites/${enc(site)}/footprint?${range(r)}`),
    today: (site) => client.get(`/api/sites/${enc(site)}/today`),
    memberFootprint: (member, q) => client.get(`/api/members/${enc(member)}/footprint?${new URLSearchParams({ from: String(q.from), to: String(q.to), every: q.every })}`),
    memberCheckins: (member, r) => client.get(`/api/members/${enc(member)}/checkins?${range(r)}`),
    impact: (site, r) => client.get(`/api/sites/${enc(site)}/reports/impact?${range(r)}&format=json`),
    reports: async (site) => (await client.get<{ reports: StoredReport[] }>(`/api/sites/${enc(site)}/reports`)).reports,
    network: (r) => client.get(`/api/network?${range(r)}`),
    greenerHours: (site) => client.get(`/api/sites/${enc(site)}/greener-hours`),
  };
}
