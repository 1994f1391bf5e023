/**
 * Footprint routes (issue 3, item 7), mounted by the lead under /api:
 *  - GET /members/:member/footprint?from&to&every=day|week|month  a member's footprint of
 *    record (daily points, pool share included) with the baseline range and avoided emissions;
 *  - GET /sites/:site/footprint?from&to   totals per carrier, allocation to members, the
 *    operator and unallocated, conservation (M6) and the data-quality block (§5);
 *  - GET /sites/:site/today   today's energy as every view shows it, each figure with its
 *    basis (metered so far, attributed), and the like-for-like comparison with last week;
 *  - GET /sites/:site/export?from&to&format=ndjson|csv   the raw readings and the presence
 *    sessions the figures were computed from, for audit.
 * Series and fields are described in docs/footprint.md.
 */
import { Router, type Response } from 'express';
import { z } from 'zod';
import type { Carrier } from '../../devices/kinds.ts';
import type { SiteFile } from '../../devices/site.ts';
import { clockOf } from '../../footprint/clock.ts';
import { coverageOf, localDays } from '../../footprint/coverage.ts';
import {
  UNITS, billReconciliation, carriersOf, currencyOf, figures, methodBlock, siteSums,
  type CarrierConservation, type FootprintFigures, type MemberFootprintResponse, type SiteFootprintResponse,
} from '../../footprint/figures.ts';
import { ACCOUNT_UNALLOCATED, FIELD, M_DAY, M_MONTH, M_PRESENCE, M_SESSION, M_SITE, addPresenceHours, fieldsOf, newPresenceHours } from '../../footprint/schema.ts';
import { readDays, readFootprintSeries, readPoints, windows, type LiveDays } from '../../footprint/read.ts';
import { attributedUpTo, readToday } from '../../footprint/today.ts';
import { MEASUREMENT_READINGS } from '../../footprint/events.ts';
import type { Point, TimeSeriesStore } from '../../store/types.ts';
import { ApiError } from '../errors.ts';
import { parseRange, parseQuery } from '../params.ts';

export interface FootprintRouteDeps {
  store: TimeSeriesStore;
  sites: ReadonlyMap<string, SiteFile>;
  /** The live engine: today's provisional figures are overlaid on the stored ones. */
  engine?: LiveDays;
  clock?: () => number;
}

const DAY_MS = 86_400_000;
/** Longest range one request may cover. */
const MAX_RANGE_MS = 400 * DAY_MS;

const memberQuery = z.object({
  from: z.string().optional(),
  to: z.string().optional(),
  every: z.enum(['day', 'week', 'month']).default('day'),
});
const exportQuery = z.object({
  from: z.string().optional(),
  to: z.string().optional(),
  format: z.enum(['ndjson', 'csv']).default('ndjson'),
});

export function footprintRoutes(deps: FootprintRouteDeps): Router {
  const r = Router();
  const now = () => (deps.clock ?? Date.now)();

  r.get('/members/:member/footprint', async (req, res) => {
    const member = req.params.member;
    const q = parseQuery(memberQuery, req.query);
    const { from, to } = range(q, now());
    // Member ids are per site: a signed-in user sees the member only at their own sites.
    const sites = [...deps.sites.values()].filter((s) => s.members.some((m) => m.id === member) && (!req.auth || req.auth.user.sites.includes(s.id)));
    if (sites.length === 0) throw new ApiError('ERR_MEMBER_NOT_FOUND', `No member "${member}" at any site`);

    const buckets = new Map<number, { days: Point[] }>();
    const all: Point[] = [];
    for (const site of sites) {
      const clock = clockOf(site);
      const days = await readDays(deps.store, site, from, to, { account: member, live: deps.engine });
      for (const p of days) {
        const start = q.every === 'day' ? p.ts : q.every === 'week' ? clock.weekStart(p.ts) : clock.monthStart(p.ts);
        let b = buckets.get(start);
        if (!b) buckets.set(start, (b = { days: [] }));
        b.days.push(p);
        all.push(p);
      }
    }
    const carriers = carriersOf(sites);
    // One read of the site series gives both the coverage and how far today is attributed.
    const sitePoints = await readPoints(deps.store, M_SITE, { site: sites[0]!.id }, from, to);
    const body: MemberFootprintResponse = {
      member,
      sites: sites.map((s) => s.id),
      from,
      to,
      every: q.every,
      units: UNITS,
      currency: currencyOf(sites),
      buckets: [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([start, b]) => ({ start, ...figures(b.days, carriers) })),
      totals: figures(all, carriers),
      attributed_up_to: attributedUpTo(sitePoints, sites[0]!, from, to, now()),
      coverage: coverageOf(sitePoints, localDays(clockOf(sites[0]!), from, to), clockOf(sites[0]!).intervalMs, now()),
      method: methodBlock(sites, from, to),
    };
    // Costs in different currencies are never added up (§8): without one currency, no cost.
    if (body.currency === null) for (const f of [body.totals, ...body.buckets]) Object.assign(f, { cost: null, cost_pool: null, cost_by_carrier: {} });
    res.json(body);
  });

  r.get('/sites/:site/footprint', async (req, res) => {
    const site = requireSite(deps, req.params.site);
    const { from, to } = range(req.query as Record<string, unknown>, now());
    const carriers = carriersOf([site]);
    const series = await readFootprintSeries({ store: deps.store, site, from, to, monthsFrom: from, ...(deps.engine ? { engine: deps.engine } : {}) });

    // Per interval: metered totals, residual, pool, data quality.
    const perCarrier = siteSums(series.site, carriers);
    // The footprint of record per account: days (pool share included).
    const days = series.days;
    const byAccount = new Map<string, Point[]>();
    for (const p of days) {
      const a = p.tags.account ?? '';
      byAccount.set(a, [...(byAccount.get(a) ?? []), p]);
    }
    const members: Record<string, FootprintFigures> = {};
    for (const [account, pts] of [...byAccount.entries()].sort()) {
      if (account !== site.operator && account !== ACCOUNT_UNALLOCATED) members[account] = figures(pts, carriers);
    }
    const operator = figures(byAccount.get(site.operator) ?? [], carriers);
    const unallocated = figures(byAccount.get(ACCOUNT_UNALLOCATED) ?? [], carriers);
    // Months wholly inside the range carry the monthly M6 check.
    const months = series.months.filter((p) => fieldsOf(p, M_MONTH).final === 1);
    const presence = newPresenceHours();
    for (const p of series.presence) addPresenceHours(presence, fieldsOf(p, M_PRESENCE));

    const totals: Record<string, { kwh: number; kgco2e: number; grid_kgco2e: number | null }> = {};
    const conservation: Record<string, CarrierConservation> = {};
    const measured: Record<string, number | null> = {};
    for (const c of carriers) {
      const s = perCarrier.get(c)!;
      const metered = s.metered_kwh;
      totals[c] = { kwh: metered, kgco2e: s.kgco2e, grid_kgco2e: c === 'electricity' && s.grid_kgco2e !== undefined ? s.grid_kgco2e : null };
      const pooled = s.pool_kwh ?? 0;
      const allocatedDirectShared = (s.direct_kwh ?? 0) + (s.shared_kwh ?? 0);
      const intervalResidual = metered - allocatedDirectShared - pooled;
      conservation[c] = {
        metered_kwh: metered,
        direct_and_shared_kwh: allocatedDirectShared,
        pooled_kwh: pooled,
        residual_kwh: intervalResidual,
        relative_residual: metered > 0 ? Math.abs(intervalResidual) / metered : 0,
        pool_shares_kwh: poolShares([...Object.values(members), operator], c),
        allocated_kwh: [...Object.values(members), operator].reduce((a, f) => a + (f.kwh[c] ?? 0), 0),
        unallocated_kwh: unallocated.kwh[c] ?? 0,
        clamped_kwh: s.clamped_kwh ?? 0,
        closed_months: months.map((m) => {
          const x = fieldsOf(m, M_MONTH);
          return { month_start: m.ts, metered_kwh: x[FIELD.meteredKwh(c)] ?? 0, residual_kwh: x[FIELD.residualKwh(c)] ?? 0, clamped_kwh: x[FIELD.clampedKwh(c)] ?? 0 };
        }),
      };
      const m = s.measured_kwh ?? 0;
      const missing = s.missing_kwh ?? 0;
      measured[c] = m + missing > 0 ? m / (m + missing) : null;
    }

    const cost = billReconciliation(site, new Map(carriers.map((c) => [c, perCarrier.get(c) ?? {}])), { members: Object.values(members), operator, unallocated });

    const body: SiteFootprintResponse = {
      site: site.id,
      from,
      to,
      units: UNITS,
      totals: {
        by_carrier: totals,
        kwh: Object.values(totals).reduce((a, t) => a + t.kwh, 0),
        kgco2e: Object.values(totals).reduce((a, t) => a + t.kgco2e, 0),
      },
      allocation: { members, operator, unallocated },
      cost,
      conservation,
      coverage: coverageOf(series.site, localDays(clockOf(site), from, to), clockOf(site).intervalMs, now()),
      data_quality: {
        measured_share: measured,
        sensor_confirmed_share: presence.desk > 0 ? presence.sensor / presence.desk : null,
        /** Desk-hours with an occupancy sensor's state unknown after a missed heartbeat (METHODOLOGY §1, §5). */
        sensor_unknown_hours: presence.sensor_unknown,
        presence_hours: presence,
        provisional: days.some((p) => fieldsOf(p, M_DAY).final !== 1),
        ...methodBlock([site], from, to),
      },
    };
    res.json(body);
  });

  r.get('/sites/:site/today', async (req, res) => {
    const site = requireSite(deps, req.params.site);
    res.json(await readToday({ store: deps.store, site, now: now(), engine: deps.engine }));
  });

  r.get('/sites/:site/export', async (req, res) => {
    const site = requireSite(deps, req.params.site);
    const q = parseQuery(exportQuery, req.query);
    const { from, to } = range(q, now());
    const csv = q.format === 'csv';
    res.status(200);
    res.setHeader('Content-Type', csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${site.id}-footprint-input.${csv ? 'csv' : 'ndjson'}"`);
    if (csv) res.write('type,ts,device,kind,zone,desk,category,carrier,metric,value,member,session_kind,end\n');
    // Day by day, so a long export never sits in memory.
    for (const [w, wEnd] of windows(from, to, DAY_MS)) {
      for (const p of await readPoints(deps.store, MEASUREMENT_READINGS, { site: site.id }, w, wEnd)) {
        for (const [metric, value] of Object.entries(p.fields)) {
          const row = { type: 'reading', ts: p.ts, device: p.tags.device, kind: p.tags.kind, zone: p.tags.zone, desk: p.tags.desk, category: p.tags.category, carrier: p.tags.carrier, metric, value };
          await write(res, csv ? csvRow([row.type, row.ts, row.device, row.kind, row.zone, row.desk, row.category, row.carrier, metric, value, '', '', '']) : `${JSON.stringify(row)}\n`);
        }
      }
      for (const p of await readPoints(deps.store, M_SESSION, { site: site.id }, w, wEnd)) {
        const row = { type: 'session', start: p.ts, end: fieldsOf(p, M_SESSION).end, member: p.tags.member, session_kind: p.tags.kind, device: p.tags.device, desk: p.tags.desk, zone: p.tags.zone };
        await write(res, csv ? csvRow(['session', p.ts, row.device, '', row.zone, row.desk, '', '', '', '', row.member, row.session_kind, row.end]) : `${JSON.stringify(row)}\n`);
      }
    }
    res.end();
  });

  return r;
}

// ------------------------------------------------------------------ helpers

function requireSite(deps: FootprintRouteDeps, id: string): SiteFile {
  const site = deps.sites.get(id);
  if (!site) throw new ApiError('ERR_SITE_NOT_FOUND', `No site "${id}"`);
  return site;
}

function range(query: Record<string, unknown>, now: number): { from: number; to: number } {
  const r = parseRange(query, now, 30 * DAY_MS);
  if (r.to - r.from > MAX_RANGE_MS) throw new ApiError('ERR_RANGE_INVALID', `the range may cover at most ${MAX_RANGE_MS / DAY_MS} days`);
  return r;
}

function poolShares(figs: readonly FootprintFigures[], c: Carrier): number {
  return figs.reduce((a, f) => a + (f.kwh_pool_by_carrier[c] ?? 0), 0);
}

function csvRow(values: readonly unknown[]): string {
  return `${values.map((v) => (v === undefined || v === null ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v))).join(',')}\n`;
}

/** Writes with back-pressure. */
function write(res: Response, chunk: string): Promise<void> | void {
  if (res.write(chunk)) return;
  return new Promise((resolve) => res.once('drain', () => resolve()));
}

