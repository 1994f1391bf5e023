/**
 * The embedded MQTT broker: aedes, extended only through its hooks (STYLE §8).
 * Listeners: TCP, TLS (mqtts) when certificates are configured, and MQTT over WebSocket at
 * `/mqtt` on the HTTP(S) server. Device authentication and the ACL are in `auth.ts`.
 */
import { Aedes, type AedesOptions, type AuthenticateHandler, type AuthorizePublishHandler, type AuthorizeSubscribeHandler } from 'aedes';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { limitPacketSize } from './frame-limit.ts';
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { DERIVED_PREFIX } from '../devices/topics.ts';
import { topicMatches } from './auth.ts';

export interface BrokerHooks {
  authenticate?: AuthenticateHandler;
  authorizePublish?: AuthorizePublishHandler;
  authorizeSubscribe?: AuthorizeSubscribeHandler;
  /** Connections announcing a larger MQTT packet are dropped before it is buffered. */
  maxPacketBytes?: number;
}

/** A client's publish handed to ingest; the answer is its durability (see `EmbeddedBroker.ingress`). */
export type IngressHandler = (packet: { topic: string; payload: Buffer; qos: number }) => Promise<void> | void;

export interface EmbeddedBroker {
  readonly aedes: Aedes;
  /**
   * Hands every authorized client publish whose topic matches one of `filters` to `handler`
   * before aedes acknowledges it: aedes sends a QoS 1 PUBACK (and forwards the message) only
   * once `authorizePublish` has called back, and the broker calls back once the handler's
   * promise settles, so a PUBACK means stored. One handler (ingest).
   */
  ingress(filters: readonly string[], handler: IngressHandler | null): void;
  /** True when ingress already took this payload (aedes forwards it to subscribers as well). */
  tookByIngress(payload: Buffer): boolean;
  /** Starts the TCP listener; resolves with the bound port (0 picks a free one). */
  listenTcp(port: number, host?: string): Promise<number>;
  /** Starts the TLS (mqtts) listener; resolves with the bound port. */
  listenTls(port: number, host: string, credentials: { cert: Buffer | string; key: Buffer | string }): Promise<number>;
  /** Serves MQTT over WebSocket on an HTTP server at `path`. */
  attachWebSocket(server: HttpServer, path?: string): void;
  clients(): number;
  /** Stops accepting connections (TCP, TLS and WebSocket); connected clients stay. */
  stopListening(): void;
  close(): Promise<void>;
}

/**
 * Safe default publish rule: clients never publish to `$SYS/` or to deskprint's derived
 * topics; only the in-process ingest (client null) writes there.
 */
export const denyReservedTopics: AuthorizePublishHandler = (_client, packet, callback) => {
  if (packet.topic.startsWith('$SYS/') || packet.topic === DERIVED_PREFIX || packet.topic.startsWith(`${DERIVED_PREFIX}/`)) {
    callback(new Error(`publishing to "${packet.topic}" is reserved`));
    return;
  }
  callback(null);
};

export async function createEmbeddedBroker(hooks: BrokerHooks = {}): Promise<EmbeddedBroker> {
  const authorize = hooks.authorizePublish ?? denyReservedTopics;
  let ingress: { filters: readonly string[]; handler: IngressHandler } | undefined;
  const taken = new WeakSet<Buffer>();
  // aedes writes a QoS 1 PUBACK before it publishes (lib/handlers/publish.js), so its hook
  // that comes before the acknowledgement is authorizePublish: ingest takes the message there,
  // once the ACL and rate limit let it through, and the hook calls back when it is durable.
  // aedes reads a client's next packets only once the current read's are done, so what
  // waits is bounded by the publishers and stays in their sockets.
  const authorizePublish: AuthorizePublishHandler = (client, packet, callback) => {
    authorize(client, packet, (err) => {
      const take = ingress;
      if (err || !client || !take || !take.filters.some((f) => topicMatches(packet.topic, f))) return callback(err ?? null);
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      taken.add(payload);
      const durable = take.handler({ topic: packet.topic, payload, qos: packet.qos });
      if (durable) void durable.then(() => callback(null), () => callback(null));
      else callback(null);
    });
  };
  const options: AedesOptions = {
    authorizePublish,
    ...(hooks.authenticate ? { authenticate: hooks.authenticate } : {}),
    ...(hooks.authorizeSubscribe ? { authorizeSubscribe: hooks.authorizeSubscribe } : {}),
  };
  const aedes = await Aedes.createBroker(options);
  const tcpServers: net.Server[] = [];
  let accepting = true;
  const wsServers: WebSocketServer[] = [];
  const handle = (conn: Duplex, req?: IncomingMessage) => {
    aedes.handle(conn as never, req as never);
    if (hooks.maxPacketBytes) limitPacketSize(conn, hooks.maxPacketBytes);
  };
  const listen = (server: net.Server, port: number, host: string) => {
    tcpServers.push(server);
    return new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  };

  return {
    aedes,
    ingress(filters, handler) {
      ingress = handler ? { filters, handler } : undefined;
    },
    tookByIngress: (payload) => taken.has(payload),
    listenTcp(port, host = '0.0.0.0') {
      return listen(net.createServer((socket) => handle(socket)), port, host);
    },
    listenTls(port, host, credentials) {
      return listen(tls.createServer({ cert: credentials.cert, key: credentials.key, minVersion: 'TLSv1.2' }, (socket) => handle(socket)), port, host);
    },
    attachWebSocket(server, path = '/mqtt') {
      // ws refuses frames over maxPayload itself (close code 1009).
      const wss = new WebSocketServer({ noServer: true, ...(hooks.maxPacketBytes ? { maxPayload: hooks.maxPacketBytes + 5 } : {}) });
      wsServers.push(wss);
      server.on('upgrade', (req: IncomingMessage, socket, head) => {
        const url = new URL(req.url ?? '/', 'http://localhost');
        if (url.pathname !== path) return; // socket.io and others handle their own upgrades
        if (!accepting) return void socket.destroy();
        wss.handleUpgrade(req, socket, head, (ws) => {
          handle(createWebSocketStream(ws), req);
        });
      });
    },
    clients: () => aedes.connectedClients,
    stopListening() {
      accepting = false;
      for (const s of tcpServers) s.close();
    },
    async close() {
      for (const wss of wsServers) {
        for (const c of wss.clients) c.terminate();
        wss.close();
      }
      // Close aedes first: it disconnects its clients, which lets the listeners finish closing.
      const listenersClosed = Promise.all(tcpServers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await listenersClosed;
    },
  };
}
