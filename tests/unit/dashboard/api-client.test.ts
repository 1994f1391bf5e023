import { describe, expect, it } from 'vitest';
import { ApiError, httpApi } from '../../../dashboard/src/lib/api/client.ts';
import { matchPath, pathOfHash } from '../../../dashboard/src/lib/routing.ts';

let requested: string[] = [];

/** A fetch stand-in that records the URL and answers with `status` and `body`. */
function respond(status: number, body: unknown) {
  return async (url: string) => {
    requested.push(url);
    return { ok: status < 400, status, statusText: status === 404 ? 'Not Found' : 'OK', json: async () => body };
  };
}

describe('dashboard API client', () => {
  it('asks the series endpoint for mean power by category over the window', async () => {
    requested = [];
    const api = httpApi({ fetch: respond(200, { series: [] }) });
    await api.powerSeries('demo', { from: 1_000, to: 601_000, everyMs: 10_000, category: 'main' });
    const url = new URL(requested[0]!, 'http://x');
    expect(url.pathname).toBe('/api/sites/demo/series');
    expect(Object.fromEntries(url.searchParams)).toEqual({ metric: 'power_w', from: '1000', to: '601000', every: '10000', by: 'category', fn: 'mean', category: 'main' });
  });

  it('turns the error envelope into a message the page can show', async () => {
    const api = httpApi({ fetch: respond(404, { error: { code: 'ERR_SITE_UNKNOWN', message: 'No site "ghost"' } }) });
    const error = await api.live('ghost').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 404, code: 'ERR_SITE_UNKNOWN', message: 'No site "ghost"' });
  });

  it('says the server is unreachable when the request itself fails', async () => {
    const api = httpApi({ fetch: async () => Promise.reject(new TypeError('fetch failed')) });
    await expect(api.sites()).rejects.toMatchObject({ status: 0, message: 'Cannot reach the deskprint server.' });
  });
});

describe('hash routes', () => {
  it('matches a site view and decodes its parameters', () => {
    expect(matchPath('/sites/:site/live', pathOfHash('#/sites/demo/live'))).toEqual({ site: 'demo' });
    expect(matchPath('/sites/:site/live', pathOfHash('#/sites/demo/members'))).toBeNull();
    expect(pathOfHash('')).toBe('/');
  });
});
