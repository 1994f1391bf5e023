/**
 * A tiny hash router: `#/sites/demo/live`. Hash routing needs nothing from the server
 * beyond serving index.html, and views for issue 7 (manager, member, funder) are added as
 * rows of the route table in src/routes/index.ts.
 */

export type RouteParams = Readonly<Record<string, string>>;

/** Matches `/sites/:site/live` against `/sites/demo/live` → `{ site: 'demo' }`; null when it does not match. */
export function matchPath(pattern: string, path: string): RouteParams | null {
  const want = segments(pattern);
  const have = segments(path);
  if (want.length !== have.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const h = have[i]!;
    if (w.startsWith(':')) params[w.slice(1)] = decodeURIComponent(h);
    else if (w !== h) return null;
  }
  return params;
}

/** The path part of a location hash: `#/sites/demo/live?x` → `/sites/demo/live`. */
export function pathOfHash(hash: string): string {
  const path = hash.replace(/^#/, '').split('?')[0] ?? '';
  return path.startsWith('/') ? path : `/${path}`;
}

export function sitePath(siteId: string, view = 'live'): string {
  return `/sites/${encodeURIComponent(siteId)}/${view}`;
}

function segments(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}
