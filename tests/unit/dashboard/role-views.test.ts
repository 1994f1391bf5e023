/**
 * The role views' state, without a browser: who may open which page, what each manager asks
 * the API for (local days at the site, across a DST change), and how pushed alerts replace
 * what is shown.
 */
import { describe, expect, it } from 'vitest';
import type { AlertsResponse } from '../../../devices/api-types.ts';
import { ApiError } from '../../../dashboard/src/lib/api/client.ts';
import type { SessionUser } from '../../../dashboard/src/lib/api/types.ts';
import { Session } from '../../../dashboard/src/lib/managers/session.svelte.ts';
import { SiteAlerts } from '../../../dashboard/src/lib/managers/site-alerts.svelte.ts';
import { SiteImpact, presetRange } from '../../../dashboard/src/lib/managers/site-impact.svelte.ts';
import { addDays, dayStart, monthStart, parseIsoDate } from '../../../dashboard/src/lib/time.ts';
import { homePath, mayOpen, navFor, resolveRoute } from '../../../dashboard/src/routes/index.ts';

const TZ = 'Europe/London';
const manager: SessionUser = { name: 'fm', role: 'manager', sites: ['demo'] };
const member: SessionUser = { name: 'ada', role: 'member', sites: ['demo'], member: 'm01' };
const funder: SessionUser = { name: 'fund', role: 'funder', sites: ['demo'] };

function route(path: string) {
  const m = resolveRoute(path);
  if (!m) throw new Error(`no route for ${path}`);
  return m;
}

describe('who sees what', () => {
  it('shows each role only the views it may open', () => {
    const labels = (u: SessionUser | null) => navFor(u, 'demo').map((n) => n.label);
    expect(labels(manager)).toEqual(['Live building', 'Alerts', 'Devices', 'Impact']);
    expect(labels(member)).toEqual(['Live building', 'My footprint']);
    expect(labels(funder)).toEqual(['Impact']);
    expect(labels(null)).toEqual(['Live building']);
    expect(navFor(member, 'demo').find((n) => n.label === 'My footprint')!.path).toBe('/sites/demo/members/m01');
  });

  it("keeps a member off another member's page and off the managers' pages", () => {
    const own = route('/sites/demo/members/m01');
    const other = route('/sites/demo/members/m02');
    expect(mayOpen(own.route, member, own.params)).toBe(true);
    expect(mayOpen(other.route, member, other.params)).toBe(false);
    expect(mayOpen(other.route, manager, other.params)).toBe(true);
    expect(mayOpen(other.route, funder, other.params)).toBe(false);
    const alerts = route('/sites/demo/alerts');
    expect(mayOpen(alerts.route, member, alerts.params)).toBe(false);
    expect(mayOpen(alerts.route, null, alerts.params)).toBe(false);
    const login = route('/login');
    expect(mayOpen(login.route, null, login.params)).toBe(true);
  });

  it('lands each role on its own page', () => {
    expect(homePath(manager, 'demo')).toBe('/sites/demo/live');
    expect(homePath(member, 'demo')).toBe('/sites/demo/members/m01');
    expect(homePath(funder, 'demo')).toBe('/sites/demo/impact');
    expect(homePath(null, 'demo')).toBe('/sites/demo/live');
  });
});

describe('session', () => {
  const api = (me: () => Promise<never> | Promise<{ user: SessionUser; via: 'session'; csrf: string }>) => ({
    me,
    login: async (username: string, password: string) => {
      if (password !== 'right') throw new ApiError(401, 'ERR_LOGIN_FAILED', 'Wrong username or password');
      return { user: { ...manager, name: username }, csrf: 'csrf-1', expiresAt: 0 };
    },
    logout: async () => undefined,
  });

  it('signs in, keeps the CSRF token for writes, and says why a sign-in failed', async () => {
    const session = new Session(api(() => Promise.reject(new ApiError(401, 'ERR_UNAUTHENTICATED', 'Sign in first'))));
    await session.check();
    expect(session.state).toEqual({ kind: 'signed_out', notice: null });
    expect(await session.login('fm', 'wrong')).toBe(false);
    expect(session.error).toBe('Wrong username or password.');
    expect(await session.login('fm', 'right')).toBe(true);
    expect(session.role).toBe('manager');
    expect(session.csrf).toBe('csrf-1');
    session.expire('Your session has expired; sign in again.');
    expect(session.state).toEqual({ kind: 'signed_out', notice: 'Your session has expired; sign in again.' });
    expect(session.csrf).toBeNull();
  });

  it('lets visitors see a public live view, and treats a server without accounts as open', async () => {
    const visitor = new Session(api(() => Promise.reject(new ApiError(401, 'ERR_UNAUTHENTICATED', 'Sign in first'))), async () => true);
    await visitor.check();
    expect(visitor.state.kind).toBe('public');
    expect(visitor.browsing).toBe(true);
    const open = new Session(api(() => Promise.reject(new ApiError(404, 'ERR_NOT_FOUND', 'No endpoint'))));
    await open.check();
    expect(open.state).toMatchObject({ kind: 'signed_in', open: true });
  });
});

describe('alerts', () => {
  const update = (at: number, n: number): AlertsResponse => ({
    site: 'demo',
    at,
    active: Array.from({ length: n }, (_, i) => ({
      id: `a${i}`, site: 'demo', kind: 'lights_empty_zone' as const, device: 'light-north', zone: 'north', desk: null, message: 'Lights on',
      since: at - 1_000_000, raised_at: at, resolved_at: null, wasted_kwh: 0.1 * (i + 1), wasted_kgco2e: 0.0177 * (i + 1), value: 300,
    })),
    resolved: [],
  });

  it('shows the newest evaluation, ignores an older one, and totals the waste', () => {
    const alerts = new SiteAlerts('demo');
    alerts.receive(update(2_000, 2));
    alerts.receive(update(1_000, 0));
    expect(alerts.active).toHaveLength(2);
    expect(alerts.wasted.kwh).toBeCloseTo(0.3, 12);
    alerts.receive({ ...update(3_000, 1), site: 'other' });
    expect(alerts.at).toBe(2_000);
  });
});

describe('local days at the site', () => {
  // Sunday 29 March 2026: the UK moves to BST at 01:00 UTC; the day is 23 hours long.
  const DST_DAY_NOON = Date.UTC(2026, 2, 29, 11, 0);

  it('finds midnight, the month and last week in the site zone, across a DST change', () => {
    expect(dayStart(DST_DAY_NOON, TZ)).toBe(Date.UTC(2026, 2, 29, 0, 0));
    expect(addDays(DST_DAY_NOON, 1, TZ)).toBe(Date.UTC(2026, 2, 29, 23, 0));
    expect(addDays(DST_DAY_NOON, -7, TZ)).toBe(Date.UTC(2026, 2, 22, 0, 0));
    expect(monthStart(Date.UTC(2026, 6, 15, 12), TZ)).toBe(Date.UTC(2026, 5, 30, 23, 0));
    expect(parseIsoDate('2026-07-01', TZ)).toBe(Date.UTC(2026, 5, 30, 23, 0));
    expect(parseIsoDate('1 July', TZ)).toBeNull();
  });

  it("asks for the funder's period in whole local days and refuses a reversed custom range", async () => {
    const now = Date.UTC(2026, 10, 17, 14, 30);
    expect(presetRange('last_month', now, TZ)).toEqual({ from: Date.UTC(2026, 9, 1, -1), to: Date.UTC(2026, 10, 1) });
    // 19 October is still BST (UTC+1): local midnight is 23:00 UTC the day before.
    expect(presetRange('last_30_days', now, TZ)).toEqual({ from: Date.UTC(2026, 9, 18, 23), to: Date.UTC(2026, 10, 18) });
    const asked: { from: number; to: number }[] = [];
    const impact = new SiteImpact('demo', TZ, {
      impact: async (_s, r) => {
        asked.push(r);
        throw new ApiError(503, 'ERR_STORE_UNAVAILABLE', 'The time-series store is unavailable');
      },
      reports: async () => [],
    }, () => now);
    expect(impact.chooseDays(Date.UTC(2026, 10, 10), Date.UTC(2026, 10, 1))).toBe('The end date is before the start date.');
    await impact.chooseDays(Date.UTC(2026, 10, 1), Date.UTC(2026, 10, 10));
    expect(asked.at(-1)).toEqual({ from: Date.UTC(2026, 10, 1), to: Date.UTC(2026, 10, 11) });
    expect(impact.load).toEqual({ kind: 'error', message: 'The time-series store is unavailable', status: 503 });
  });
});
