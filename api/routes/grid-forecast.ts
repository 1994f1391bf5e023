/**
 * Grid carbon-intensity forecast and greener hours (METHODOLOGY §3 "Greener hours"), mounted
 * under /api:
 *  - POST /sites/:site/grid-forecast   a forecast in the GB Carbon Intensity API's shape
 *    (`{ data: [{ from, to, intensity: { forecast, index } }] }`, e.g. the body of its
 *    `/intensity/fw24h`), stored per half-hour slot; managers (an operator's script with an
 *    API token, or the demo's simulated feed) send it;
 *  - GET /sites/:site/greener-hours   the coming low-carbon hours, for the member view.
 */
import { Router } from 'express';
import type { SiteFile } from '../../devices/site.ts';
import { forecastPoints, greenerHours, gridForecastSchema, readForecast } from '../../footprint/greener-hours.ts';
import type { TimeSeriesStore } from '../../store/types.ts';
import { ApiError } from '../errors.ts';

export interface GridForecastRouteDeps {
  store: TimeSeriesStore;
  registry: { site(id: string): SiteFile | undefined };
  clock?: () => number;
}

export function gridForecastRoutes(deps: GridForecastRouteDeps): Router {
  const r = Router();
  const now = () => (deps.clock ?? Date.now)();
  const siteOf = (id: string) => {
    const site = deps.registry.site(id);
    if (!site) throw new ApiError('ERR_SITE_NOT_FOUND', `No site "${id}"`);
    return site;
  };

  r.post('/sites/:site/grid-forecast', async (req, res) => {
    const site = siteOf(req.params.site);
    const body = gridForecastSchema.safeParse(req.body);
    if (!body.success) throw new ApiError('ERR_BODY_INVALID', `not a Carbon Intensity API forecast: ${body.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const points = forecastPoints(site.id, body.data, now());
    await deps.store.write(points);
    res.json({ site: site.id, stored: points.length });
  });

  r.get('/sites/:site/greener-hours', async (req, res) => {
    const site = siteOf(req.params.site);
    const t = now();
    res.setHeader('Cache-Control', 'no-store');
    res.json(greenerHours(site, await readForecast(deps.store, site.id, t), t));
  });

  return r;
}
