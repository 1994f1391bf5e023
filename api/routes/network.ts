/**
 * Network routes (METHODOLOGY.md §11), mounted under /api, for managers and funders (the auth
 * layer refuses members: api/auth/index.ts):
 *  - GET /network?from&to[&sites=a,b]   the reader's sites side by side on the normalised
 *    indicators (§10), their monthly trend and the network total: the network view's data;
 *  - GET /network/report?from&to[&sites]&format=json|csv|pdf[&table=sites|trend]   the same
 *    as a network impact report to download.
 * A reader sees only their own sites (`user.sites`); asking for another is refused. No member
 * is named anywhere in either.
 */
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { SiteFile } from '../../devices/site.ts';
import type { LiveDays } from '../../footprint/read.ts';
import type { TimeSeriesStore } from '../../store/types.ts';
import { ApiError } from '../errors.ts';
import { parseQuery, parseRange } from '../params.ts';
import { NETWORK_CSV_TABLES, buildNetworkReport, renderNetworkCsv } from '../reports/network.ts';
import { renderNetworkPdf } from '../reports/network-pdf.ts';
import { REPORT_FORMATS } from '../reports/render.ts';

export interface NetworkRouteDeps {
  store: TimeSeriesStore;
  registry: { sites(): SiteFile[]; site(id: string): SiteFile | undefined };
  engine?: LiveDays;
  clock?: () => number;
}

const DAY_MS = 86_400_000;
const MAX_RANGE_MS = 400 * DAY_MS;

const networkQuery = z.object({
  from: z.string().optional(),
  to: z.string().optional(),
  /** Comma-separated site ids, to narrow the network to some of the reader's sites. */
  sites: z.string().optional(),
});
const reportQuery = networkQuery.extend({
  format: z.enum(REPORT_FORMATS).default('json'),
  table: z.enum(NETWORK_CSV_TABLES).default('sites'),
});

export function networkRoutes(deps: NetworkRouteDeps): Router {
  const r = Router();
  const now = () => (deps.clock ?? Date.now)();

  const build = async (req: Request, q: z.infer<typeof networkQuery>) => {
    const range = parseRange(q, now(), 30 * DAY_MS);
    if (range.to - range.from > MAX_RANGE_MS) throw new ApiError('ERR_RANGE_INVALID', `the range may cover at most ${MAX_RANGE_MS / DAY_MS} days`);
    return buildNetworkReport({ store: deps.store, sites: visibleSites(deps, req, q.sites), ...range, generatedAt: now(), ...(deps.engine ? { engine: deps.engine } : {}) });
  };

  r.get('/network', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(await build(req, parseQuery(networkQuery, req.query)));
  });

  r.get('/network/report', async (req, res) => {
    const q = parseQuery(reportQuery, req.query);
    const report = await build(req, q);
    const name = `deskprint-network-${report.sites.map((s) => s.id).join('-')}-${report.period.from.slice(0, 10)}_${report.period.to.slice(0, 10)}`;
    const out = q.format === 'pdf'
      ? { body: await renderNetworkPdf(report), type: 'application/pdf', ext: '.pdf' }
      : q.format === 'csv'
        ? { body: Buffer.from(renderNetworkCsv(report, q.table), 'utf8'), type: 'text/csv; charset=utf-8', ext: q.table === 'trend' ? '.trend.csv' : '.csv' }
        : { body: Buffer.from(`${JSON.stringify(report, null, 2)}\n`, 'utf8'), type: 'application/json; charset=utf-8', ext: '.json' };
    res.status(200);
    res.setHeader('Content-Type', out.type);
    res.setHeader('Content-Disposition', `${q.format === 'json' ? 'inline' : 'attachment'}; filename="${name}${out.ext}"`);
    res.setHeader('Cache-Control', 'no-store');
    res.end(out.body);
  });

  return r;
}

/** The reader's sites (all sites without sign-in, as in tests of the bare router), narrowed by `?sites=`. */
function visibleSites(deps: NetworkRouteDeps, req: Request, wanted: string | undefined): SiteFile[] {
  const mine = deps.registry.sites().filter((s) => !req.auth || req.auth.user.sites.includes(s.id));
  if (wanted === undefined || wanted === '') {
    if (mine.length === 0) throw new ApiError('ERR_FORBIDDEN', 'You have no sites');
    return mine;
  }
  return wanted.split(',').map((id) => {
    const site = mine.find((s) => s.id === id);
    // The same answer for a site that exists and one that does not: a funder learns nothing of others' sites.
    if (!site) throw new ApiError('ERR_FORBIDDEN', `Site "${id}" is not one of your sites`);
    return site;
  });
}
