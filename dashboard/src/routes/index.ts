/**
 * The route table. A view is one row: its hash pattern, how to load its component (a
 * dynamic import, so each view is its own chunk and the first page stays small), who may
 * open it, its place in the navigation, and what the dashboard must load when it is entered.
 */
import type { Component } from 'svelte';
import type { Role, SessionUser } from '../lib/api/types.ts';
import type { Dashboard } from '../lib/managers/dashboard.svelte.ts';
import { matchPath, sitePath, type RouteParams } from '../lib/routing.ts';

export type ViewComponent = Component<{ params: RouteParams }>;

/** Who is looking: a signed-in role, or a visitor of a public live view. */
export type Viewer = Role | 'anonymous';

export interface EnterContext {
  readonly role: Viewer;
  /** The site's time zone, once the site list has loaded. */
  readonly timeZone: string | undefined;
}

export interface RouteDefinition {
  readonly pattern: string;
  readonly load: () => Promise<{ default: ViewComponent }>;
  /** Who may open it; `public` for the sign-in page; `anonymous` where the server has a public live view. */
  readonly roles: readonly Viewer[] | 'public';
  /** A further check on the parameters: a member sees only their own page. */
  readonly allows?: (user: SessionUser, params: RouteParams) => boolean;
  /** Per-site views appear in the header navigation under this label. */
  readonly nav?: { readonly label: string; readonly path: (siteId: string, user: SessionUser | null) => string | null };
  /** Loads what the view shows; runs when the route, its params or the site's time zone change. */
  readonly enter?: (dashboard: Dashboard, params: RouteParams, context: EnterContext) => void;
}

export const LOGIN_PATH = '/login';

export const ROUTES: readonly RouteDefinition[] = [
  {
    pattern: LOGIN_PATH,
    load: () => import('./LoginView.svelte'),
    roles: 'public',
  },
  {
    pattern: '/sites/:site/live',
    load: () => import('./LiveView.svelte'),
    roles: ['manager', 'member', 'anonymous'],
    nav: { label: 'Live building', path: (site) => sitePath(site, 'live') },
    enter: (dashboard, params, { role, timeZone }) => {
      dashboard.open(params.site!);
      if (role === 'manager' && timeZone) dashboard.openEnergy(params.site!, timeZone);
      else if (role !== 'manager') dashboard.closeView();
    },
  },
  {
    pattern: '/sites/:site/alerts',
    load: () => import('./AlertsView.svelte'),
    roles: ['manager'],
    nav: { label: 'Alerts', path: (site) => sitePath(site, 'alerts') },
    enter: (dashboard, params) => {
      dashboard.open(params.site!);
      dashboard.closeView();
    },
  },
  {
    pattern: '/sites/:site/devices',
    load: () => import('./DevicesView.svelte'),
    roles: ['manager'],
    nav: { label: 'Devices', path: (site) => sitePath(site, 'devices') },
    enter: (dashboard, params) => {
      dashboard.open(params.site!);
      dashboard.openDevices(params.site!);
    },
  },
  {
    pattern: '/sites/:site/members/:member',
    load: () => import('./MemberView.svelte'),
    roles: ['manager', 'member'],
    allows: (user, params) => user.role !== 'member' || user.member === params.member,
    nav: { label: 'My footprint', path: (site, user) => (user?.role === 'member' && user.member ? memberPath(site, user.member) : null) },
    enter: (dashboard, params, { timeZone }) => {
      dashboard.open(params.site!);
      if (timeZone) dashboard.openMember(params.site!, params.member!, timeZone);
    },
  },
  {
    pattern: '/sites/:site/impact',
    load: () => import('./ImpactView.svelte'),
    roles: ['manager', 'funder'],
    nav: { label: 'Impact', path: (site) => sitePath(site, 'impact') },
    enter: (dashboard, params, { timeZone }) => {
      dashboard.open(params.site!);
      if (timeZone) dashboard.openImpact(params.site!, timeZone);
    },
  },
  {
    pattern: '/sites/:site/network',
    load: () => import('./NetworkView.svelte'),
    roles: ['manager', 'funder'],
    // For people who manage or fund several spaces (METHODOLOGY §11).
    nav: { label: 'Network', path: (site, user) => ((user?.sites.length ?? 0) > 1 ? sitePath(site, 'network') : null) },
    enter: (dashboard, params, { timeZone }) => {
      dashboard.open(params.site!);
      if (timeZone) dashboard.openNetwork(params.site!, timeZone);
    },
  },
];

export function memberPath(siteId: string, member: string): string {
  return `/sites/${encodeURIComponent(siteId)}/members/${encodeURIComponent(member)}`;
}

/** Where a role lands on a site: managers on the live building, members on their footprint, funders on impact. */
export function homePath(user: SessionUser | null, siteId: string): string {
  if (!user) return sitePath(siteId, 'live');
  if (user.role === 'member') return user.member ? memberPath(siteId, user.member) : sitePath(siteId, 'live');
  if (user.role === 'funder') return sitePath(siteId, 'impact');
  return sitePath(siteId, 'live');
}

/** May `user` (null: an anonymous visitor) open `route` with `params`? */
export function mayOpen(route: RouteDefinition, user: SessionUser | null, params: RouteParams): boolean {
  if (route.roles === 'public') return true;
  if (!route.roles.includes(user?.role ?? 'anonymous')) return false;
  return route.allows && user ? route.allows(user, params) : true;
}

/** The navigation of a site for a user (null: an anonymous visitor): only the views they may open. */
export function navFor(user: SessionUser | null, siteId: string): { label: string; path: string; route: RouteDefinition }[] {
  const out: { label: string; path: string; route: RouteDefinition }[] = [];
  for (const route of ROUTES) {
    if (!route.nav || route.roles === 'public' || !route.roles.includes(user?.role ?? 'anonymous')) continue;
    const path = route.nav.path(siteId, user);
    if (path) out.push({ label: route.nav.label, path, route });
  }
  return out;
}

export interface MatchedRoute {
  readonly route: RouteDefinition;
  readonly params: RouteParams;
}

export function resolveRoute(path: string): MatchedRoute | null {
  for (const route of ROUTES) {
    const params = matchPath(route.pattern, path);
    if (params) return { route, params };
  }
  return null;
}

const loaded = new Map<RouteDefinition, Promise<ViewComponent>>();

/** The route's component, imported once; a failed import is retried on the next visit. */
export function loadView(route: RouteDefinition): Promise<ViewComponent> {
  let p = loaded.get(route);
  if (!p) {
    p = route.load().then((m) => m.default);
    p.catch(() => loaded.delete(route));
    loaded.set(route, p);
  }
  return p;
}
