/**
 * /api/openapi.json: every route the API serves, with its parameters, who may call it (roles)
 * and the error codes it answers with, from one table (ROUTES). Response bodies use the same
 * zod schemas the code uses where the shape has one (devices/api-types.ts).
 * tests/integration/openapi.test.ts walks the running app's router and fails when a route is
 * missing here, or listed here without existing.
 */
import { z } from 'zod';
import {
  alertsResponseSchema,
  devicesResponseSchema,
  errorEnvelopeSchema,
  healthSchema,
  liveSnapshotSchema,
  memberCheckinsResponseSchema,
  seriesResponseSchema,
  siteSummarySchema,
} from '../devices/api-types.ts';
import { SESSION_COOKIE } from './auth/middleware.ts';
import { ERROR_CODES, type ErrorCode } from './errors.ts';

type Method = 'get' | 'post' | 'delete';

/**
 * Who may call a route when deskprint has accounts (always, but in bare test apps):
 * `public` needs no sign-in; `signed-in` any role; otherwise the roles listed, each limited
 * to the sites on their account (and a member to their own member id where the path names one).
 */
type Access = 'public' | 'signed-in' | ReadonlyArray<'manager' | 'member' | 'funder'>;

interface Param {
  name: string;
  in: 'path' | 'query';
  description: string;
  required?: boolean;
  enum?: readonly string[];
}

interface RouteDoc {
  method: Method;
  /** OpenAPI path template under /api, e.g. /sites/{site}/live. */
  path: string;
  summary: string;
  access: Access;
  /** What the access rule means for this route, when more than the roles. */
  accessNote?: string;
  params?: Param[];
  body?: { description: string; schema: z.ZodType };
  /** The success response. */
  ok: { status: 200 | 201 | 204; description: string; schema?: z.ZodType; contentTypes?: string[] };
  /** Error codes the route itself answers with; sign-in, CSRF and ERR_INTERNAL are added from `access`. */
  errors: ErrorCode[];
}

const site: Param = { name: 'site', in: 'path', required: true, description: 'Site id (GET /api/sites)' };
const member: Param = { name: 'member', in: 'path', required: true, description: 'Member id at the site' };
const from: Param = { name: 'from', in: 'query', description: 'Start: epoch ms, ISO 8601 or relative (now-1h)' };
const to: Param = { name: 'to', in: 'query', description: 'End: epoch ms, ISO 8601 or now (default: now)' };
const filter = (name: string): Param => ({ name, in: 'query', description: `Only series with this ${name}` });
const RANGE_ERRORS: ErrorCode[] = ['ERR_RANGE_INVALID', 'ERR_QUERY_INVALID'];
const MANAGER = ['manager'] as const;
const ANY_ROLE = ['manager', 'member', 'funder'] as const;
const MEMBER_SELF = ['manager', 'member'] as const;
const MEMBER_SELF_NOTE = 'a member reads only their own member id; a manager any member of their sites';
const LOGIN_BODY = z.object({ username: z.string(), password: z.string() });

export const ROUTES: readonly RouteDoc[] = [
  { method: 'get', path: '/health', summary: 'Ingest counters and store state', access: 'public', ok: { status: 200, description: 'Healthy or degraded (503 when down, same body)', schema: healthSchema }, errors: [] },
  { method: 'get', path: '/openapi.json', summary: 'This document', access: 'public', ok: { status: 200, description: 'OpenAPI 3.1 document' }, errors: [] },
  {
    method: 'post', path: '/webhooks/{ecosystem}/{site}', summary: 'A vendor cloud’s events (Disruptive Technologies, Butlr) into ingest; 200 once they are stored (docs/devices.md)', access: 'public',
    accessNote: 'no sign-in: each request is signed (Disruptive Technologies, X-Dt-Signature) or carries a bearer token (Butlr) with the site’s shared secret; served only by processes that run ingest',
    params: [{ name: 'ecosystem', in: 'path', required: true, description: 'Webhook adapter', enum: ['disruptive', 'butlr'] }, site],
    ok: { status: 200, description: 'Stored (or counted as rejected, with the reason in /api/health)' }, errors: ['ERR_NOT_FOUND', 'ERR_UNAUTHENTICATED', 'ERR_BODY_TOO_LARGE'],
  },
  {
    method: 'get', path: '/sites', summary: 'Sites the caller may see', access: 'signed-in',
    accessNote: 'readable without sign-in when the live view is public (--demo); lists only the sites on the account',
    ok: { status: 200, description: 'Sites', schema: z.array(siteSummarySchema) }, errors: [],
  },
  {
    method: 'get', path: '/sites/{site}/live', summary: 'Live snapshot of a site (updated every second)', access: ANY_ROLE,
    accessNote: 'readable without sign-in when the live view is public (--demo)', params: [site],
    ok: { status: 200, description: 'Snapshot', schema: liveSnapshotSchema }, errors: ['ERR_SITE_NOT_FOUND'],
  },
  {
    method: 'get', path: '/sites/{site}/series', summary: 'Windowed aggregates of a metric', access: ANY_ROLE,
    accessNote: 'readable without sign-in when the live view is public (--demo)',
    params: [
      site,
      { name: 'metric', in: 'query', required: true, description: 'Metric key from the catalogue, e.g. power_w' },
      { ...from, description: `${from.description} (default: to − 1 h)` }, to,
      { name: 'every', in: 'query', description: 'Window: 30s, 1m, 1h, 1d or ms' },
      { name: 'fn', in: 'query', description: 'Aggregate', enum: ['mean', 'sum', 'min', 'max', 'last', 'first', 'count'] },
      { name: 'by', in: 'query', description: 'Comma-separated tags: device, kind, zone, desk, category, carrier' },
      filter('zone'), filter('device'), filter('category'), filter('carrier'),
    ],
    ok: { status: 200, description: 'Series', schema: seriesResponseSchema },
    errors: ['ERR_SITE_NOT_FOUND', ...RANGE_ERRORS, 'ERR_METRIC_UNKNOWN', 'ERR_TOO_MANY_POINTS', 'ERR_STORE_UNAVAILABLE'],
  },
  {
    method: 'get', path: '/sites/{site}/footprint', summary: 'Site footprint over a period: totals, allocation, operator, conservation, data quality', access: ANY_ROLE,
    accessNote: 'members and funders get the aggregates without the per-member allocation', params: [site, { ...from, description: `${from.description} (default: to − 30 days)` }, to],
    ok: { status: 200, description: 'Site footprint' }, errors: ['ERR_SITE_NOT_FOUND', ...RANGE_ERRORS, 'ERR_STORE_UNAVAILABLE'],
  },
  {
    method: 'get', path: '/sites/{site}/today', summary: 'Today’s energy as every view shows it: metered so far (the live card) and attributed (closed intervals), each with its basis, and last week like for like', access: ANY_ROLE,
    params: [site],
    ok: { status: 200, description: 'Today’s readings and the comparison with last week' }, errors: ['ERR_SITE_NOT_FOUND', 'ERR_STORE_UNAVAILABLE'],
  },
  {
    method: 'get', path: '/sites/{site}/export', summary: 'Footprint inputs of a period (intervals, presence sessions) for audit', access: MANAGER,
    params: [site, from, to, { name: 'format', in: 'query', description: 'Export format (default ndjson)', enum: ['ndjson', 'csv'] }],
    ok: { status: 200, description: 'Export file', contentTypes: ['application/x-ndjson', 'text/csv'] }, errors: ['ERR_SITE_NOT_FOUND', ...RANGE_ERRORS, 'ERR_STORE_UNAVAILABLE'],
  },
  {
    method: 'get', path: '/members/{member}/footprint', summary: 'A member’s footprint with the private-office baseline range', access: MEMBER_SELF, accessNote: MEMBER_SELF_NOTE,
    params: [member, from, to, { name: 'every', in: 'query', description: 'Bucket size (default day)', enum: ['day', 'week', 'month'] }],
    ok: { status: 200, description: 'Member footprint: totals and buckets' }, errors: ['ERR_MEMBER_NOT_FOUND', ...RANGE_ERRORS, 'ERR_STORE_UNAVAILABLE'],
  },
  {
    method: 'get', path: '/members/{member}/checkins', summary: 'A member’s check-ins, newest first, and the same paired into sessions (desk, from–to)', access: MEMBER_SELF, accessNote: MEMBER_SELF_NOTE,
    params: [member, { ...from, description: `${from.description} (default: to − 30 days; at most 92 days)` }, to],
    ok: { status: 200, description: 'Check-ins and sessions', schema: memberCheckinsResponseSchema }, errors: ['ERR_MEMBER_NOT_FOUND', ...RANGE_ERRORS, 'ERR_STORE_UNAVAILABLE'],
  },
  { method: 'get', path: '/sites/{site}/alerts', summary: 'Active and recently resolved waste and maintenance alerts', access: MANAGER, params: [site], ok: { status: 200, description: 'Alerts', schema: alertsResponseSchema }, errors: ['ERR_SITE_NOT_FOUND'] },
  { method: 'get', path: '/sites/{site}/devices', summary: 'Every registered device with its status, battery and rejections, and discovered foreign devices', access: MANAGER, params: [site], ok: { status: 200, description: 'Devices', schema: devicesResponseSchema }, errors: ['ERR_SITE_NOT_FOUND'] },
  {
    method: 'get', path: '/sites/{site}/reports/impact', summary: 'The impact report of a period (default: the last full month)', access: ANY_ROLE,
    params: [site, { ...from, description: 'Start: a local date (YYYY-MM-DD), epoch ms or ISO 8601' }, { ...to, description: 'End (exclusive), as from' }, { name: 'format', in: 'query', description: 'Default json', enum: ['json', 'csv', 'pdf'] }, { name: 'table', in: 'query', description: 'CSV table (default daily)', enum: ['daily', 'members'] }],
    ok: { status: 200, description: 'Report', contentTypes: ['application/json', 'text/csv', 'application/pdf'] }, errors: ['ERR_SITE_NOT_FOUND', ...RANGE_ERRORS, 'ERR_STORE_UNAVAILABLE'],
  },
  {
    method: 'post', path: '/sites/{site}/grid-forecast', summary: 'A grid carbon-intensity forecast in the GB Carbon Intensity API’s shape ({ data: [{ from, to, intensity: { forecast } }] }), stored per slot (METHODOLOGY §3)', access: MANAGER,
    params: [site], body: { description: 'The body of the Carbon Intensity API’s /intensity/fw24h, or the same shape', schema: z.object({ data: z.array(z.object({ from: z.string(), to: z.string(), intensity: z.object({ forecast: z.number(), index: z.string().optional() }) })) }) },
    ok: { status: 200, description: 'Stored slots' }, errors: ['ERR_SITE_NOT_FOUND', 'ERR_BODY_INVALID', 'ERR_STORE_UNAVAILABLE'],
  },
  { method: 'get', path: '/sites/{site}/greener-hours', summary: 'The coming low-carbon hours from the site’s grid forecast, beside the annual factor (METHODOLOGY §3)', access: ANY_ROLE, params: [site], ok: { status: 200, description: 'Greener hours' }, errors: ['ERR_SITE_NOT_FOUND', 'ERR_STORE_UNAVAILABLE'] },
  {
    method: 'get', path: '/network', summary: 'The caller’s sites side by side on the normalised indicators (METHODOLOGY §10–11), their monthly trend and the network total', access: ['manager', 'funder'],
    accessNote: 'only the caller’s own sites; asking for another is refused; no member is named',
    params: [from, to, { name: 'sites', in: 'query', description: 'Comma-separated site ids (default: all of the caller’s sites)' }],
    ok: { status: 200, description: 'Network figures' }, errors: ['ERR_FORBIDDEN', ...RANGE_ERRORS, 'ERR_STORE_UNAVAILABLE'],
  },
  {
    method: 'get', path: '/network/report', summary: 'The network impact report (sites aggregated, no member named)', access: ['manager', 'funder'],
    accessNote: 'only the caller’s own sites',
    params: [from, to, { name: 'sites', in: 'query', description: 'Comma-separated site ids' }, { name: 'format', in: 'query', description: 'Default json', enum: ['json', 'csv', 'pdf'] }, { name: 'table', in: 'query', description: 'CSV table (default sites)', enum: ['sites', 'trend'] }],
    ok: { status: 200, description: 'Report', contentTypes: ['application/json', 'text/csv', 'application/pdf'] }, errors: ['ERR_FORBIDDEN', ...RANGE_ERRORS, 'ERR_STORE_UNAVAILABLE'],
  },
  { method: 'get', path: '/sites/{site}/reports', summary: 'Stored reports of closed periods, with download links', access: ANY_ROLE, params: [site], ok: { status: 200, description: 'Report list' }, errors: ['ERR_SITE_NOT_FOUND'] },
  {
    method: 'get', path: '/sites/{site}/reports/{id}', summary: 'A stored report file', access: ANY_ROLE,
    params: [site, { name: 'id', in: 'path', required: true, description: 'Period id from the report list, e.g. 2026-11' }, { name: 'format', in: 'query', description: 'Default pdf', enum: ['json', 'csv', 'pdf'] }, { name: 'table', in: 'query', description: 'CSV table (default daily)', enum: ['daily', 'members'] }],
    ok: { status: 200, description: 'Report file', contentTypes: ['application/pdf', 'text/csv', 'application/json'] }, errors: ['ERR_SITE_NOT_FOUND', 'ERR_NOT_FOUND', 'ERR_QUERY_INVALID'],
  },
  {
    method: 'get', path: '/sites/{site}/members/{member}/export', summary: 'Everything stored about a member (data subject access, docs/security.md)', access: MEMBER_SELF, accessNote: MEMBER_SELF_NOTE,
    params: [site, member], ok: { status: 200, description: 'JSON download' }, errors: ['ERR_SITE_NOT_FOUND', 'ERR_MEMBER_NOT_FOUND', 'ERR_STORE_UNAVAILABLE'],
  },
  {
    method: 'post', path: '/sites/{site}/members/{member}/erase', summary: 'Erase a member’s personal data (body { "confirm": "<member>" })', access: MEMBER_SELF, accessNote: MEMBER_SELF_NOTE,
    params: [site, member], body: { description: 'Confirmation', schema: z.object({ confirm: z.string() }) },
    ok: { status: 200, description: 'The anonymous id the member’s records now carry, and what was moved or deleted' }, errors: ['ERR_SITE_NOT_FOUND', 'ERR_MEMBER_NOT_FOUND', 'ERR_BODY_INVALID', 'ERR_STORE_UNAVAILABLE'],
  },
  {
    method: 'get', path: '/audit', summary: 'Audit log of sign-ins, exports and erasures at the caller’s sites', access: MANAGER,
    params: [from, to, { name: 'action', in: 'query', description: 'Only this action, e.g. login' }, { name: 'limit', in: 'query', description: '1–10000 (default 500)' }],
    ok: { status: 200, description: 'Audit entries, newest first' }, errors: RANGE_ERRORS,
  },
  {
    method: 'post', path: '/auth/login', summary: 'Sign in: sets the session cookie and returns the CSRF token', access: 'public',
    body: { description: 'Credentials', schema: LOGIN_BODY }, ok: { status: 200, description: 'The user, CSRF token and expiry' },
    errors: ['ERR_BODY_INVALID', 'ERR_LOGIN_FAILED', 'ERR_RATE_LIMITED', 'ERR_LOCKED_OUT', 'ERR_CSRF'],
  },
  { method: 'post', path: '/auth/logout', summary: 'Sign out: ends the session, clears the cookie', access: 'public', ok: { status: 204, description: 'Signed out' }, errors: ['ERR_CSRF'] },
  { method: 'get', path: '/auth/me', summary: 'The signed-in user and how they signed in', access: 'signed-in', ok: { status: 200, description: 'User' }, errors: [] },
  {
    method: 'post', path: '/auth/password', summary: 'Change one’s own password', access: 'signed-in',
    body: { description: 'Current and new password', schema: z.object({ current: z.string(), next: z.string() }) }, ok: { status: 204, description: 'Changed' }, errors: ['ERR_BODY_INVALID', 'ERR_LOGIN_FAILED'],
  },
  { method: 'get', path: '/auth/tokens', summary: 'One’s own API tokens', access: 'signed-in', ok: { status: 200, description: 'Tokens (without secrets)' }, errors: [] },
  {
    method: 'post', path: '/auth/tokens', summary: 'Create an API token (the secret is shown once)', access: 'signed-in',
    body: { description: 'Label', schema: z.object({ label: z.string() }) }, ok: { status: 201, description: 'The token id and its secret' }, errors: ['ERR_BODY_INVALID'],
  },
  { method: 'delete', path: '/auth/tokens/{id}', summary: 'Revoke one of one’s own API tokens', access: 'signed-in', params: [{ name: 'id', in: 'path', required: true, description: 'Token id' }], ok: { status: 204, description: 'Revoked' }, errors: ['ERR_NOT_FOUND'] },
];

const json = (schema: z.ZodType) => ({ 'application/json': { schema: z.toJSONSchema(schema, { unrepresentable: 'any' }) } });

/** Every code a route may answer with: its own, plus those its access rule and method bring. */
export function routeErrors(route: RouteDoc): ErrorCode[] {
  const codes = new Set<ErrorCode>(route.errors);
  if (route.access !== 'public') {
    codes.add('ERR_UNAUTHENTICATED');
    codes.add('ERR_SESSION_EXPIRED');
  }
  if (Array.isArray(route.access)) codes.add('ERR_FORBIDDEN');
  // Cookie-authenticated writes need the CSRF token and a same-origin Origin.
  if (route.method !== 'get' && route.access !== 'public') codes.add('ERR_CSRF');
  codes.add('ERR_INTERNAL');
  return [...codes];
}

function roleText(route: RouteDoc): string {
  const who = route.access === 'public' ? 'anyone, without signing in' : route.access === 'signed-in' ? 'any signed-in user' : `${route.access.join(', ')} (at the sites on their account)`;
  return `Roles: ${who}${route.accessNote ? `; ${route.accessNote}` : ''}.`;
}

function operation(route: RouteDoc): object {
  const errors = routeErrors(route);
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of errors) byStatus.set(ERROR_CODES[code].status, [...(byStatus.get(ERROR_CODES[code].status) ?? []), code]);
  const responses: Record<string, object> = {
    [route.ok.status]: {
      description: route.ok.description,
      ...(route.ok.schema ? { content: json(route.ok.schema) } : route.ok.contentTypes ? { content: Object.fromEntries(route.ok.contentTypes.map((t) => [t, {}])) } : {}),
    },
  };
  for (const [status, codes] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    responses[status] = { description: codes.map((c) => `${c}: ${ERROR_CODES[c].message}`).join('; '), content: json(errorEnvelopeSchema) };
  }
  return {
    summary: route.summary,
    description: roleText(route),
    'x-roles': route.access,
    'x-error-codes': errors,
    ...(route.access === 'public' ? { security: [] } : {}),
    ...(route.params?.length
      ? { parameters: route.params.map((p) => ({ name: p.name, in: p.in, required: p.required ?? false, description: p.description, schema: { type: 'string', ...(p.enum ? { enum: p.enum } : {}) } })) }
      : {}),
    ...(route.body ? { requestBody: { required: true, description: route.body.description, content: json(route.body.schema) } } : {}),
    responses,
  };
}

export function openApiDocument(version: string): object {
  const paths: Record<string, Record<string, object>> = {};
  for (const route of ROUTES) (paths[`/api${route.path}`] ??= {})[route.method] = operation(route);
  return {
    openapi: '3.1.0',
    info: {
      title: 'deskprint API',
      version,
      description:
        'Live energy and carbon footprint of shared workspaces. Errors use one envelope, { error: { code, message, details? } }, with the stable codes of docs/errors.md. ' +
        'Sign in with POST /api/auth/login (session cookie + CSRF token for writes) or send an API token as Authorization: Bearer; each operation says which roles may call it (x-roles).',
    },
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
        token: { type: 'http', scheme: 'bearer' },
      },
    },
    security: [{ session: [] }, { token: [] }],
    paths,
  };
}
