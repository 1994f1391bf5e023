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

export interface BrokerHooks {
  authenticate?: AuthenticateHandler;
  authorizePublish?: AuthorizePublishHandler;
  authorizeSubscribe?: AuthorizeSubscribeHandler;
  /** Connections announcing a larger MQTT packet are dropped before it is buffered. */
  maxPacketBytes?: number;
}

export interface EmbeddedBroker {
  readonly aedes: Aedes;
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
  const options: AedesOptions = {
    // Ingest calls back (letting aedes PUBACK) only once a message is durable, so many
    // deliveries are unfinished at once. aedes's emitter queues those beyond `concurrency`
    // (default 100) in an array it shifts one by one; 0 lifts the cap. What is unfinished
    // stays bounded by the publishers: aedes reads a client's next packets only after the
    // current read's are acknowledged.
    concurrency: 0,
    authorizePublish: hooks.authorizePublish ?? denyReservedTopics,
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
