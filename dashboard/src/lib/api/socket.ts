/**
 * The one socket.io connection of the page, at the same origin (default path /socket.io).
 * It opens once the user is signed in: the handshake carries the session cookie, and a
 * refused handshake is not retried by socket.io, so connecting earlier would only fail.
 */
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../../../devices/api-types.ts';

export type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export function connectLiveSocket(): LiveSocket {
  // WebSocket first: the live stream is long-lived, so skipping the polling upgrade dance
  // saves a round trip; socket.io still falls back to polling where WebSocket is blocked.
  return io({ transports: ['websocket', 'polling'], autoConnect: false });
}
