/**
 * Bounds on the HTTP server's sockets, so idle or slow clients cannot hold it: a client must
 * finish its request headers within `headersTimeoutMs` (slowloris sends a header line now
 * and then and never ends them) and the whole request within `requestTimeoutMs`; an idle
 * keep-alive connection closes after `keepAliveTimeoutMs`; past `maxConnections` open
 * sockets (WebSockets, i.e. live dashboards and MQTT over WebSocket, included) a new one is
 * closed at once. Node's own defaults are 60 s, 300 s, 5 s and no cap.
 */
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';

export interface SocketLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
}

/** At most this long between checks of the header and request timeouts (Node checks every 30 s by default). */
const MAX_CHECK_INTERVAL_MS = 1_000;
/** Refused connections are logged at most once per this. */
const DROP_LOG_INTERVAL_MS = 60_000;

/** Applies `limits` to a server that is not listening yet (the timeout checks start on `listen`). */
export function limitSockets(server: HttpServer | HttpsServer, limits: SocketLimits, log?: { warn(o: object, m: string): void }): void {
  Object.assign(server, {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    maxConnections: limits.maxConnections,
    // The two request timeouts are enforced by a sweep (Node's lib/_http_server.js
    // `checkConnections`), every 30 s by default: a fraction of the header timeout instead,
    // so a slow client is cut off close to it. Read when the server starts listening.
    connectionsCheckingInterval: Math.max(10, Math.min(MAX_CHECK_INTERVAL_MS, Math.floor(limits.headersTimeoutMs / 4))),
  });
  let dropped = 0;
  let lastLog = -Infinity;
  server.on('drop', () => {
    dropped++;
    const now = Date.now();
    if (now - lastLog < DROP_LOG_INTERVAL_MS) return;
    lastLog = now;
    log?.warn({ dropped, maxConnections: limits.maxConnections }, 'HTTP connection refused: at the connection cap (DESKPRINT_HTTP_MAX_CONNECTIONS)');
  });
}
