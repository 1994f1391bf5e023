/**
 * Impact report routes (issue 8; docs/reports.md), mounted by the lead under /api:
 *  - GET /sites/:site/reports/impact?from&to&format=json|csv|pdf[&table=daily|members]
 *    a report for any period, built now;
 *  - GET /sites/:site/reports   the stored reports of the site's schedule;
 *  - GET /sites/:site/reports/:id?format=pdf|json|csv[&table=daily|members]   one of them.
 * Reports are aggregates: they name no member (members appear as counts, or as anonymous
 * ids in the per-member CSV), so any user with access to the site may read them.
 */
import path from 'node:path';
import { Router } from 'express';
import { z } from 'zod';
import type { SiteFile } from '../../devices/site.ts';
import { clockOf } from '../../footprint/clock.ts';
import type { LiveDays } from '../../footprint/read.ts';
import type { TimeSeriesStore } from '../../store/types.ts';
import { ApiError } from '../errors.ts';
import { parseRange, parseQuery } from '../params.ts';
import { ReportArchive, CONTENT_TYPES, type ArchiveFile } from '../reports/archive.ts';
import { CSV_TABLES } from '../reports/csv.ts';
import { buildImpactReport } from '../reports/model.ts';
import { PERIOD_ID, localMidnightOf, type Schedule } from '../reports/periods.ts';
import { REPORT_FORMATS, renderReport, reportFileName } from '../reports/render.ts';

export interface ReportRouteDeps {
  store: TimeSeriesStore;
  /** Sites by id (the registry, or any lookup). */
  registry: { site(id: string): SiteFile | undefined };
  /** Stored reports live under `<dataDir>/reports` (unless `archive` is given). */
  dataDir?: string;
  archive?: ReportArchive;
  /** Each site's schedule, for the listing (default monthly). */
  scheduleOf?: (site: string) => Schedule;
  /** The live engine: the open month's days are its provisional figures. */
  engine?: LiveDays;
  clock?: () => number;
}

const DAY_MS = 86_400_000;
/** Longest period one report may cover (a year and a bit, as the footprint routes allow). */
const MAX_RANGE_MS = 400 * DAY_MS;

const impactQuery = z.object({
  from: z.string().optional(),
  to: z.string().optional(),
  format: z.enum(REPORT_FORMATS).default('json'),
  table: z.enum(CSV_TABLES).default('daily'),
});
const downloadQuery = z.object({
  format: z.enum(REPORT_FORMATS).default('pdf'),
  table: z.enum(CSV_TABLES).default('daily'),
});

export function reportRoutes(deps: ReportRouteDeps): Router {
  const r = Router();
  const now = () => (deps.clock ?? Date.now)();
  const archive = deps.archive ?? (deps.dataDir !== undefined ? new ReportArchive(path.join(deps.dataDir, 'reports')) : undefined);

  r.get('/sites/:site/reports/impact', async (req, res) => {
    const site = requireSite(deps, req.params.site);
    const q = parseQuery(impactQuery, req.query);
    const { from, to } = q.from === undefined && q.to === undefined ? lastFullMonth(site, now()) : range(site, q, now());
    const report = await buildImpactReport({ store: deps.store, site, from, to, generatedAt: now(), ...(deps.engine ? { engine: deps.engine } : {}) });
    const out = await renderReport(report, q.format, q.table);
    res.status(200);
    res.setHeader('Content-Type', out.contentType);
    res.setHeader('Content-Disposition', `${q.format === 'json' ? 'inline' : 'attachment'}; filename="${reportFileName(report, out)}"`);
    res.setHeader('Cache-Control', 'no-store');
    res.end(out.body);
  });

  r.get('/sites/:site/reports', (req, res) => {
    const site = requireSite(deps, req.params.site);
    const base = `/api/sites/${site.id}/reports`;
    res.json({
      site: site.id,
      schedule: deps.scheduleOf?.(site.id) ?? 'monthly',
      reports: (archive?.list(site.id) ?? []).map((m) => ({
        id: m.id,
        period: m.period,
        generated_at: m.generated_at,
        emailed: m.emailed ? { recipients: m.emailed.to.length, at: m.emailed.at } : null,
        downloads: Object.fromEntries(m.files.map((f) => [f.kind, { href: `${base}/${m.id}?${downloadParams(f.kind)}`, bytes: f.bytes, sha256: f.sha256 }])),
      })),
    });
  });

  r.get('/sites/:site/reports/:id', (req, res) => {
    const site = requireSite(deps, req.params.site);
    const id = req.params.id;
    const q = parseQuery(downloadQuery, req.query);
    const kind: ArchiveFile = q.format === 'csv' && q.table === 'members' ? 'members.csv' : q.format;
    const body = PERIOD_ID.test(id) ? archive?.read(site.id, id, kind) : undefined;
    if (!body) throw new ApiError('ERR_NOT_FOUND', `No stored report "${id}" for site "${site.id}" (GET /api/sites/${site.id}/reports lists them)`);
    res.status(200);
    res.setHeader('Content-Type', CONTENT_TYPES[kind]);
    res.setHeader('Content-Disposition', `${kind === 'json' ? 'inline' : 'attachment'}; filename="deskprint-impact-${site.id}-${id}.${kind}"`);
    res.end(body);
  });

  return r;
}

function downloadParams(kind: ArchiveFile): string {
  return kind === 'members.csv' ? 'format=csv&table=members' : `format=${kind}`;
}

function requireSite(deps: ReportRouteDeps, id: string): SiteFile {
  const site = deps.registry.site(id);
  if (!site) throw new ApiError('ERR_SITE_NOT_FOUND', `No site "${id}"`);
  return site;
}

function range(site: SiteFile, query: { from?: string | undefined; to?: string | undefined }, now: number): { from: number; to: number } {
  // Plain dates are the site's local midnights; parseRange takes epoch ms as they are.
  const local = (v: string | undefined) => (v === undefined ? undefined : String(localMidnightOf(site, v) ?? v));
  const r = parseRange({ from: local(query.from), to: local(query.to) }, now, 30 * DAY_MS);
  if (r.to - r.from > MAX_RANGE_MS) throw new ApiError('ERR_RANGE_INVALID', `a report may cover at most ${MAX_RANGE_MS / DAY_MS} days`);
  return r;
}

/** Without from/to: the last whole local calendar month. */
function lastFullMonth(site: SiteFile, now: number): { from: number; to: number } {
  const clock = clockOf(site);
  const to = clock.monthStart(now);
  return { from: clock.monthStart(to - 1), to };
}
