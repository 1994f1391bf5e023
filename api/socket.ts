/** socket.io live stream: clients subscribe to a site's room and receive `live` at 1 Hz. */
import type { Server as HttpServer } from 'node:http';
import type { EventEmitter } from 'node:events';
import { Server } from 'socket.io';
import type { ClientToServerEvents, LiveSnapshot, ServerToClientEvents } from '../devices/api-types.ts';
import type { Registry } from '../store/registry.ts';

export interface LiveSocketOptions {
  registry: Registry;
  /** Emits `live` with a LiveSnapshot per site. */
  live: EventEmitter & { latest(site: string): LiveSnapshot | undefined };
  /** May this socket see a site? Defaults to yes (the accounts issue narrows it). */
  canSee?: (socketData: unknown, site: string) => boolean;
  /**
   * Authenticates the handshake; the result becomes `socket.data`. Throwing refuses the
   * connection (`connect_error` with the error's code as message, e.g. ERR_UNAUTHENTICATED).
   */
  authenticate?: (handshake: { headers: Record<string, string | string[] | undefined>; auth?: Record<string, unknown> }) => unknown;
}

export interface LiveSocket {
  io: Server<ClientToServerEvents, ServerToClientEvents>;
  /** Stops forwarding live snapshots and closes socket.io. */
  close(): Promise<void>;
}

export function attachLiveSocket(server: HttpServer, opts: LiveSocketOptions): LiveSocket {
  const io = new Server<ClientToServerEvents, ServerToClientEvents>(server, { serveClient: false, cors: { origin: false } });
  const authenticate = opts.authenticate;
  if (authenticate) {
    io.use((socket, next) => {
      try {
        socket.data = authenticate(socket.handshake);
        next();
      } catch (err) {
        const code = (err as { code?: string }).code ?? 'ERR_UNAUTHENTICATED';
        next(Object.assign(new Error(code), { data: { code, message: (err as Error).message } }));
      }
    });
  }
  io.on('connection', (socket) => {
    socket.on('subscribe', (site, ack) => {
      if (typeof site !== 'string' || !opts.registry.site(site)) {
        ack?.({ ok: false, error: `No site "${String(site)}"` });
        return;
      }
      if (opts.canSee && !opts.canSee(socket.data, site)) {
        ack?.({ ok: false, error: 'Not allowed' });
        return;
      }
      void socket.join(`site:${site}`);
      ack?.({ ok: true });
      const snap = opts.live.latest(site);
      if (snap) socket.emit('live', snap);
    });
    socket.on('unsubscribe', (site) => {
      if (typeof site === 'string') void socket.leave(`site:${site}`);
    });
  });
  const onLive = (snap: LiveSnapshot) => io.to(`site:${snap.site}`).emit('live', snap);
  opts.live.on('live', onLive);
  return {
    io,
    close: async () => {
      opts.live.off('live', onLive);
      await io.close();
    },
  };
}
