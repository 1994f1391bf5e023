/**
 * The route table. A view is one row: its hash pattern, its component, and what the
 * dashboard must load when it is entered. Issue 7 adds the manager, member and funder views here.
 */
import type { Component } from 'svelte';
import type { Dashboard } from '../lib/managers/dashboard.svelte.ts';
import { matchPath, type RouteParams } from '../lib/routing.ts';
import LiveView from './LiveView.svelte';

export interface RouteDefinition {
  readonly pattern: string;
  readonly component: Component<{ params: RouteParams }>;
  /** Per-site views appear in the header navigation under this label, at `/sites/<site>/<view>`. */
  readonly nav?: { readonly view: string; readonly label: string };
  /** Loads what the view shows; runs when the route or its params change. */
  readonly enter?: (dashboard: Dashboard, params: RouteParams) => void;
}

export const ROUTES: readonly RouteDefinition[] = [
  {
    pattern: '/sites/:site/live',
    component: LiveView,
    nav: { view: 'live', label: 'Live building' },
    enter: (dashboard, params) => {
      if (params.site) dashboard.open(params.site);
    },
  },
];

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
