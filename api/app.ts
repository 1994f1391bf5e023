/**
 * The API app factory: an express app with every route, and no `listen` inside, so tests
 * use it on an ephemeral port or with no port at all (STYLE §12).
 */
import express, { type Express, type Router } from 'express';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { ApiError, MAX_BODY_BYTES, errorHandler } from './errors.ts';
import { openApiDocument } from './openapi.ts';
import { coreRoutes, type CoreRouteDeps } from './routes/core.ts';
import { protectApi } from './auth/index.ts';
import { SESSION_COOKIE, parseCookies } from './auth/middleware.ts';
import { securityHeaders } from './auth/headers.ts';
import type { Accounts } from '../accounts/accounts.ts';
import type { InboundMessage } from '../ingest/sources.ts';
import { ADAPTERS } from '../devices/index.ts';
import { webhookRoutes } from './routes/webhooks.ts';

export interface AppDeps extends CoreRouteDeps {
  log: Logger;
  version: string;
  /** Built dashboard (dashboard/dist); served at `/` when present. */
  dashboardDir?: string;
  /** Further routers mounted under /api (footprint, reports, …). */
  routers?: Router[];
  /** With accounts, every /api route but health, openapi and auth needs sign-in (docs/security.md). */
  accounts?: Accounts;
  /** Session cookie lifetime, ms (default 12 h). */
  sessionTtlMs?: number;
  /** Served over HTTPS: Secure cookies and HSTS. */
  https?: boolean;
  /**
   * The building's aggregate live view (sites, live snapshot, power series) readable without
   * signing in, like a lobby display. On in --demo so `npm start` shows live data at once;
   * every per-member, manager and funder route still needs sign-in.
   */
  publicLive?: boolean;
  /**
   * express `trust proxy`: the reverse proxies whose `X-Forwarded-For` names the client
   * (addresses, subnets, `loopback`…, or a hop count). Default none: the connection's
   * address is the client's, whatever headers it sends.
   */
  trustProxy?: TrustProxy;
  /** Failed sign-ins per client address per 15 minutes (default 50). */
  loginFailuresPerAddress?: number;
  /**
   * Ingest's entry for webhook messages (`POST /api/webhooks/<ecosystem>/<site>`); the
   * webhook routes exist only in a process that runs ingest. Resolves once the message's
   * points are durable, and the route answers 2xx only then.
   */
  ingestMessage?: (msg: InboundMessage) => Promise<void> | void;
  /** Webhook bodies larger than this are refused, bytes. */
  maxPayloadBytes?: number;
}

/** What `trust proxy` takes here: never `true`, which would believe a client's own `X-Forwarded-For`. */
export type TrustProxy = false | number | readonly string[];

/** Aggregate, person-free reads a public live view may serve. */
const PUBLIC_LIVE_PATHS = [/^\/sites\/?$/, /^\/sites\/[^/]+\/live\/?$/, /^\/sites\/[^/]+\/series\/?$/];

function hasCredentials(req: express.Request): boolean {
  return Boolean(req.headers.authorization) || parseCookies(req.headers.cookie)[SESSION_COOKIE] !== undefined;
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', typeof deps.trustProxy === 'object' ? [...deps.trustProxy] : (deps.trustProxy ?? false));
  app.use(securityHeaders({ https: deps.https ?? false }));
  if (deps.ingestMessage) {
    // Before the JSON parser: a signature covers the raw bytes of the body.
    app.use('/api', webhookRoutes({ registry: deps.registry, adapters: ADAPTERS.filter((a) => a.webhook), ingestMessage: deps.ingestMessage, ...(deps.maxPayloadBytes ? { maxBytes: deps.maxPayloadBytes } : {}) }));
  }
  app.use(express.json({ limit: MAX_BODY_BYTES }));

  const api = express.Router();
  if (deps.accounts && deps.publicLive) {
    // Anonymous GETs of the aggregate live view skip sign-in; a signed-in caller takes the
    // normal path below and gets the view their role allows.
    const core = coreRoutes(deps);
    api.use((req, res, next) => {
      if (req.method !== 'GET' || hasCredentials(req) || !PUBLIC_LIVE_PATHS.some((re) => re.test(req.path))) return next();
      core(req, res, next);
    });
  }
  if (deps.accounts) {
    protectApi(api, {
      accounts: deps.accounts, registry: deps.registry, store: deps.store, sessionTtlMs: deps.sessionTtlMs ?? 12 * 3_600_000, https: deps.https ?? false,
      ...(deps.loginFailuresPerAddress !== undefined ? { loginFailuresPerAddress: deps.loginFailuresPerAddress } : {}),
    });
  }
  api.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument(deps.version));
  });
  api.use(coreRoutes(deps));
  for (const r of deps.routers ?? []) api.use(r);
  api.use((req, _res, next) => next(new ApiError('ERR_NOT_FOUND', `No endpoint ${req.method} ${req.baseUrl}${req.path}`)));
  app.use('/api', api);

  const dir = deps.dashboardDir;
  if (dir && existsSync(path.join(dir, 'index.html'))) {
    app.use(express.static(dir, { index: 'index.html', maxAge: '1h', setHeaders: (res, file) => { if (file.endsWith('index.html')) res.setHeader('Cache-Control', 'no-cache'); } }));
    // Single-page app: unknown non-API paths get the app shell.
    app.get(/^(?!\/api\/|\/socket\.io\/|\/mqtt).*/, (_req, res) => {
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(path.join(dir, 'index.html'));
    });
  } else {
    app.get('/', (_req, res) => {
      res.type('text/plain').send('deskprint API is running. The dashboard is not built: run `npm run build`.\n');
    });
  }
  app.use(errorHandler(deps.log));
  return app;
}
