/**
 * Managers' and members' privacy endpoints: the audit log, member data export (JSON) and
 * member erasure. Access rules are declared per route (docs/security.md).
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Accounts } from '../../accounts/accounts.ts';
import type { Registry } from '../../store/registry.ts';
import type { TimeSeriesStore } from '../../store/types.ts';
import { ApiError } from '../errors.ts';
import { clientIp, requireMemberSelf, requireRole, requireSiteAccess } from '../auth/middleware.ts';
import { ErasureUnsupportedError, eraseMember, exportMember } from '../auth/privacy.ts';
import { filterValue, parseQuery, parseTime } from '../params.ts';

export interface AdminRouteDeps {
  accounts: Accounts;
  registry: Registry;
  store: TimeSeriesStore;
}

const auditQuery = z.object({
  from: z.string().optional(),
  to: z.string().optional(),
  action: filterValue.optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(500),
});

const eraseBody = z.object({ confirm: z.string() });

export function adminRoutes(deps: AdminRouteDeps): Router {
  const r = Router();
  const { accounts, registry, store } = deps;

  r.get('/audit', requireRole('manager'), (req, res) => {
    const q = parseQuery(auditQuery, req.query);
    const now = accounts.now();
    const from = q.from === undefined ? 0 : parseTime(q.from, now);
    const to = q.to === undefined ? undefined : parseTime(q.to, now);
    if (from === null || to === null) throw new ApiError('ERR_RANGE_INVALID', 'from/to must be epoch ms, ISO 8601 or now-1h');
    const entries = accounts.auditLog({ from, ...(to !== undefined ? { to } : {}), ...(q.action ? { action: q.action } : {}), sites: req.auth!.user.sites, limit: q.limit });
    res.json(entries.map((e) => ({ ...e, at: new Date(e.at).toISOString() })));
  });

  const member = [requireSiteAccess('site', registry), requireMemberSelf(registry, 'member')];
  const knownMember = (site: string, m: string) => {
    if (!registry.site(site)) throw new ApiError('ERR_SITE_NOT_FOUND', `No site "${site}"`);
    if (!registry.isMember(site, m)) throw new ApiError('ERR_MEMBER_NOT_FOUND', `No member "${m}" at site "${site}"`);
  };

  r.get('/sites/:site/members/:member/export', ...member, async (req, res) => {
    const { site, member: m } = req.params as { site: string; member: string };
    knownMember(site, m);
    const doc = await exportMember({ store, registry, accounts }, site, m);
    accounts.audit({ actor: req.auth!.user.name, action: 'member.export', target: m, site, ip: clientIp(req) });
    res.setHeader('Content-Disposition', `attachment; filename="deskprint-${site}-${m}.json"`);
    res.json(doc);
  });

  r.post('/sites/:site/members/:member/erase', ...member, async (req, res) => {
    const { site, member: m } = req.params as { site: string; member: string };
    const body = eraseBody.safeParse(req.body ?? {});
    if (!body.success || body.data.confirm !== m) throw new ApiError('ERR_BODY_INVALID', `Send { "confirm": "${m}" } to erase this member's data`);
    // An erased member may already be gone from the site file; their data may not.
    if (!registry.site(site)) throw new ApiError('ERR_SITE_NOT_FOUND', `No site "${site}"`);
    try {
      const result = await eraseMember({ store, accounts }, site, m);
      accounts.audit({ actor: req.auth!.user.name, action: 'member.erase', target: m, site, ip: clientIp(req), details: { anonymous_id: result.anonymousId, moved: result.moved, users_deleted: result.usersDeleted } });
      res.json({ anonymous_id: result.anonymousId, moved: result.moved, users_deleted: result.usersDeleted });
    } catch (err) {
      if (err instanceof ErasureUnsupportedError) throw new ApiError('ERR_STORE_UNAVAILABLE', err.message);
      throw err;
    }
  });

  return r;
}
