/**
 * Alerts for facility managers (issue 7): `GET /sites/:site/alerts` lists the active and
 * recently resolved alerts ingest raised (ingest/alerts.ts), and `attachAlertsSocket` pushes
 * the same lists as socket.io `alerts` events to managers following the site.
 */
import { Router, type RequestHandler } from 'express';
import type { Server } from 'socket.io';
import type { AlertsResponse, ClientToServerEvents, ServerToClientEvents } from '../../devices/api-types.ts';
import type { Registry } from '../../store/registry.ts';
import { ApiError } from '../errors.ts';
import { requireSite } from './core.ts';

/** What the routes need of the alerts processor. */
export interface AlertSource {
  list(site: string): AlertsResponse;
  on(event: 'alerts', listener: (update: AlertsResponse) => void): unknown;
  off(event: 'alerts', listener: (update: AlertsResponse) => void): unknown;
}

export interface AlertRouteDeps {
  registry: Registry;
  alerts: AlertSource;
}

/**
 * Managers only (DESIGN "Who sees what"). With accounts, the auth layer mounted before this
 * router has already refused anonymous requests, so a request without `auth` means the app
 * runs without accounts (tests of the routes alone) and passes.
 */
export const managersOnly: RequestHandler = (req, _res, next) => {
  const role = (req as { auth?: { user: { role: string } } }).auth?.user.role;
  if (role !== undefined && role !== 'manager') return next(new ApiError('ERR_FORBIDDEN', 'Alerts and devices are for facility managers'));
  next();
};

export function alertRoutes(deps: AlertRouteDeps): Router {
  const r = Router();
  r.get('/sites/:site/alerts', managersOnly, (req, res) => {
    const site = requireSite(deps.registry, String(req.params.site));
    res.json(deps.alerts.list(site));
  });
  return r;
}

export interface AlertsSocketOptions {
  /** May the socket with this `socket.data` receive a site's alerts? Defaults to yes. */
  mayReceive?: (socketData: unknown, site: string) => boolean;
}

/**
 * Sends `alerts` to sockets subscribed to a site that may receive them: the current lists
 * right after `subscribe`, then every update. Runs beside the live room's own handlers
 * (api/socket.ts), in a room of its own so members following the live view get none.
 */
export function attachAlertsSocket(io: Server<ClientToServerEvents, ServerToClientEvents>, registry: Registry, alerts: AlertSource, opts: AlertsSocketOptions = {}): () => void {
  const room = (site: string) => `alerts:${site}`;
  io.on('connection', (socket) => {
    socket.on('subscribe', (site) => {
      if (typeof site !== 'string' || !registry.site(site)) return;
      if (opts.mayReceive && !opts.mayReceive(socket.data, site)) return;
      void socket.join(room(site));
      socket.emit('alerts', alerts.list(site));
    });
    socket.on('unsubscribe', (site) => {
      if (typeof site === 'string') void socket.leave(room(site));
    });
  });
  const onAlerts = (update: AlertsResponse) => {
    io.to(room(update.site)).emit('alerts', update);
  };
  alerts.on('alerts', onAlerts);
  return () => alerts.off('alerts', onAlerts);
}
