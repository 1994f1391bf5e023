/** Core read routes: health, sites, live view, windowed series. */
import { Router } from 'express';
import { z } from 'zod';
import { SERIES_METRIC_KEYS, METRICS, type SeriesMetricKey } from '../../devices/catalogue.ts';
import type { Health, LiveSnapshot, SeriesResponse, SiteSummary } from '../../devices/api-types.ts';
import { AGGREGATES, type Aggregate, type SeriesResult, type TimeSeriesStore } from '../../store/types.ts';
import { DEVICE_KINDS } from '../../devices/kinds.ts';
import type { Registry } from '../../store/registry.ts';
import { MEASUREMENT_READINGS } from '../../footprint/events.ts';
import { HOUR_MS, ceilHour, querySeries } from '../../store/rollup.ts';
import { ApiError } from '../errors.ts';
import { filterValue, parseDuration, parseRange } from '../params.ts';

export interface CoreRouteDeps {
  registry: Registry;
  store: TimeSeriesStore;
  live: { latest(site: string): LiveSnapshot | undefined };
  health: () => Health;
  clock?: () => number;
}

/** Tags a series may be grouped by. */
const GROUP_TAGS = ['device', 'kind', 'zone', 'desk', 'category', 'carrier'] as const;
/** A chart never needs more windows than this. */
const MAX_WINDOWS = 20_000;

const seriesQuery = z.object({
  metric: z.enum(SERIES_METRIC_KEYS as [SeriesMetricKey, ...SeriesMetricKey[]], { message: `metric must be one of ${SERIES_METRIC_KEYS.join(', ')}` }),
  every: z.string().optional(),
  fn: z.enum(AGGREGATES).optional(),
  by: z.string().optional(),
  zone: filterValue.optional(),
  device: filterValue.optional(),
  category: filterValue.optional(),
  carrier: filterValue.optional(),
  from: z.string().optional(),
  to: z.string().optional(),
});

export function coreRoutes(deps: CoreRouteDeps): Router {
  const r = Router();
  const now = () => (deps.clock ?? Date.now)();

  r.get('/health', (_req, res) => {
    const h = deps.health();
    res.status(h.status === 'down' ? 503 : 200).json(h);
  });

  r.get('/sites', (_req, res) => {
    const sites: SiteSummary[] = deps.registry.sites().map((s) => ({
      id: s.id,
      name: s.name,
      timezone: s.timezone,
      area_m2: s.area_m2,
      zones: s.zones.map((z) => ({ id: z.id, name: z.name, area_m2: z.area_m2 })),
      desks: s.desks.length,
      devices: s.devices.length,
    }));
    res.json(sites);
  });

  r.get('/sites/:site/live', (req, res) => {
    const site = requireSite(deps.registry, req.params.site);
    res.json(deps.live.latest(site));
  });

  r.get('/sites/:site/series', async (req, res) => {
    const site = requireSite(deps.registry, req.params.site);
    const parsed = seriesQuery.safeParse(req.query);
    if (!parsed.success) {
      const metricIssue = parsed.error.issues.find((i) => i.path[0] === 'metric');
      throw new ApiError(metricIssue ? 'ERR_METRIC_UNKNOWN' : 'ERR_QUERY_INVALID', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    }
    const q = parsed.data;
    const { from, to } = parseRange(q, now(), 3_600_000);
    // About 300 windows by default; from an hour up, whole hours, so a long chart reads the hourly rollup.
    const auto = Math.max(1_000, Math.ceil((to - from) / 300));
    const every = q.every === undefined ? (auto > HOUR_MS ? ceilHour(auto) : auto) : parseDuration(q.every);
    if (every === null || every <= 0) throw new ApiError('ERR_QUERY_INVALID', `every: "${q.every}" is not a duration (e.g. 30s, 1m, 1h, 1d or milliseconds)`);
    if ((to - from) / every > MAX_WINDOWS) throw new ApiError('ERR_TOO_MANY_POINTS', `${Math.ceil((to - from) / every)} windows requested; at most ${MAX_WINDOWS}`);
    const by = q.by ? q.by.split(',').filter(Boolean) : [];
    const badTag = by.find((t) => !(GROUP_TAGS as readonly string[]).includes(t));
    if (badTag) throw new ApiError('ERR_QUERY_INVALID', `by: "${badTag}" is not one of ${GROUP_TAGS.join(', ')}`);
    const fn: Aggregate = q.fn ?? 'mean';
    const where: Record<string, string> = { site };
    for (const t of ['zone', 'device', 'category', 'carrier'] as const) if (q[t]) where[t] = q[t];
    const series = await querySiteSeries(deps, site, { metric: q.metric, fn, from, to, every, by, where });
    const body: SeriesResponse = { metric: q.metric, unit: METRICS[q.metric].unit, fn, from, to, every_ms: every, series };
    res.json(body);
  });

  return r;
}

export interface SiteSeriesQuery {
  metric: SeriesMetricKey;
  fn: Aggregate;
  from: number;
  to: number;
  every: number;
  by: string[];
  /** Tag filter, `site` included. */
  where: Record<string, string>;
}

/**
 * The series behind `GET /sites/:site/series` (the bench times this). Long ranges come from
 * the hourly rollup where it covers the hours, the rest from raw readings (store/rollup.ts
 * `querySeries`): the same answer as raw readings alone.
 */
export async function querySiteSeries(deps: Pick<CoreRouteDeps, 'registry' | 'store'>, site: string, q: SiteSeriesQuery): Promise<SeriesResponse['series']> {
  const { fn, from, to, every, by, where } = q;
  // Power is additive across devices: a category's power is the sum of its devices' means,
  // not the mean of all their samples. Query per device, then combine.
  const additive = q.metric === 'power_w' && (fn === 'mean' || fn === 'last' || fn === 'first');
  const perDevice = additive && !by.includes('device');
  const results = await querySeries(deps.store, {
    measurement: MEASUREMENT_READINGS,
    field: q.metric,
    from,
    to,
    every,
    fn,
    where,
    by: perDevice ? [...by, 'device'] : by,
  });
  if (perDevice) return sumDevicePower(deps.registry, site, results, by, from, to, every, where.category === 'main');
  return results.map((s) => ({ tags: s.tags, points: s.points.map((p) => [p.ts, p.value] as [number, number]) }));
}

/**
 * Sums device power into the requested groups. Devices report at their own cadence, so a
 * window without a sample from a device carries its last value forward (a step, as the
 * meter would show) for up to three cadences; a silent device then counts as unknown.
 * Main meters measure the same energy as the sub-meters, so they are left out of sums
 * unless the caller filters on `category=main`.
 */
function sumDevicePower(
  registry: Registry,
  site: string,
  results: SeriesResult[],
  by: string[],
  from: number,
  to: number,
  every: number,
  wantMains: boolean,
): SeriesResponse['series'] {
  const firstWindow = from - (((from % every) + every) % every);
  const windows = Math.max(0, Math.ceil((to - firstWindow) / every));
  // Sums by window index: a chart has at most MAX_WINDOWS windows, and arrays cost a fraction of a map keyed by time.
  const groups = new Map<string, { tags: Record<string, string>; sums: Float64Array; has: Uint8Array }>();
  for (const s of results) {
    const device = registry.device(site, s.tags.device ?? '');
    if (!device) continue;
    if ((device.category === 'main') !== wantMains) continue;
    const tags = Object.fromEntries(by.map((k) => [k, s.tags[k] ?? '']));
    const key = JSON.stringify(tags);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { tags, sums: new Float64Array(windows), has: new Uint8Array(windows) }));
    const holdMs = Math.max(every, 3 * DEVICE_KINDS[device.kind].cadenceS * 1000);
    let i = 0;
    let last: { ts: number; value: number } | undefined;
    for (let k = 0, w = firstWindow; w < to; k++, w += every) {
      while (i < s.points.length && s.points[i]!.ts <= w) last = s.points[i++];
      if (!last || w - last.ts > holdMs) continue;
      g.sums[k] = g.sums[k]! + last.value;
      g.has[k] = 1;
    }
  }
  return [...groups.values()].map((g) => {
    const points: [number, number][] = [];
    for (let k = 0, w = firstWindow; k < windows; k++, w += every) if (g.has[k]) points.push([w, g.sums[k]!]);
    return { tags: g.tags, points };
  });
}

export function requireSite(registry: Registry, id: string | undefined): string {
  if (!id || !registry.site(id)) throw new ApiError('ERR_SITE_NOT_FOUND', `No site "${id}"`);
  return id;
}
