/**
 * A member's own check-ins (issue 7, member view): `GET /members/:member/checkins?from&to`,
 * newest first, from the raw `checkins` measurement, and paired into sessions (desk, from–to). Who may ask is decided by the path
 * rule the auth layer puts on `/members/:member` (the member themself, or their manager).
 */
import { Router } from 'express';
import type { MemberCheckinsResponse } from '../../devices/api-types.ts';
import { MEASUREMENT_CHECKINS } from '../../footprint/events.ts';
import type { Registry } from '../../store/registry.ts';
import type { TimeSeriesStore } from '../../store/types.ts';
import { LocalClock } from '../../footprint/clock.ts';
import { pairCheckins } from '../checkin-sessions.ts';
import { ApiError } from '../errors.ts';
import { parseRange } from '../params.ts';

const DAY_MS = 86_400_000;
/** A page of check-ins covers at most this much; a member's list is read a month at a time. */
const MAX_RANGE_MS = 92 * DAY_MS;
const MAX_EVENTS = 5_000;

export interface CheckinRouteDeps {
  registry: Registry;
  store: TimeSeriesStore;
  clock?: () => number;
}

export function checkinRoutes(deps: CheckinRouteDeps): Router {
  const r = Router();
  r.get('/members/:member/checkins', async (req, res) => {
    const member = req.params.member;
    // Member ids are per site: a signed-in user sees the member only at their own sites.
    const sites = deps.registry.sites().filter((s) => deps.registry.isMember(s.id, member) && (!req.auth || req.auth.user.sites.includes(s.id)));
    if (sites.length === 0) throw new ApiError('ERR_MEMBER_NOT_FOUND', `No member "${member}" at any site`);
    const now = (deps.clock ?? Date.now)();
    const { from, to } = parseRange(req.query as Record<string, unknown>, now, 30 * DAY_MS);
    if (to - from > MAX_RANGE_MS) throw new ApiError('ERR_RANGE_INVALID', `the range may cover at most ${MAX_RANGE_MS / DAY_MS} days`);
    const events: MemberCheckinsResponse['events'] = [];
    const sessions: MemberCheckinsResponse['sessions'] = [];
    for (const site of sites) {
      const siteEvents: MemberCheckinsResponse['events'] = [];
      const points = await deps.store.queryRaw({ measurement: MEASUREMENT_CHECKINS, from, to, where: { site: site.id, member }, limit: MAX_EVENTS });
      for (const p of points) {
        siteEvents.push({
          site: site.id,
          ts: p.ts,
          action: p.fields.check_in === 1 ? 'check_in' : 'check_out',
          desk: p.tags.desk ?? null,
          zone: p.tags.zone ?? null,
          device: p.tags.device ?? '',
        });
      }
      events.push(...siteEvents);
      sessions.push(...pairCheckins(siteEvents, new LocalClock(site.timezone, site.accounting_interval_min), Math.min(now, to)));
    }
    events.sort((a, b) => b.ts - a.ts);
    sessions.sort((a, b) => b.from - a.from);
    const body: MemberCheckinsResponse = { member, from, to, events: events.slice(0, MAX_EVENTS), sessions };
    res.json(body);
  });
  return r;
}
