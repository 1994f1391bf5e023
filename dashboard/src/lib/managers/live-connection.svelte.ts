/// <reference types="svelte" />
/**
 * The socket.io live channel as the user sees it: connecting, live, waiting for data,
 * reconnecting, or refused. Routes `live` events to the site being followed and
 * re-subscribes after every reconnect (socket.io rooms do not survive a reconnect).
 */
import type { AlertsResponse, LiveSnapshot } from '../../../../devices/api-types.ts';
import type { LiveSite } from './live-site.svelte.ts';

/** The part of a socket.io client socket this manager uses; tests pass a fake. */
export interface LiveChannel {
  readonly connected: boolean;
  on(event: 'connect', listener: () => void): unknown;
  on(event: 'disconnect', listener: (reason: string) => void): unknown;
  on(event: 'connect_error', listener: (error: Error) => void): unknown;
  on(event: 'live', listener: (snapshot: LiveSnapshot) => void): unknown;
  on(event: 'alerts', listener: (update: AlertsResponse) => void): unknown;
  emit(event: 'subscribe', site: string, ack: (res: { ok: boolean; error?: string }) => void): unknown;
  emit(event: 'unsubscribe', site: string): unknown;
}

export type ConnectionState =
  /** First connection attempt in progress. */
  | 'connecting'
  /** Connected, no site followed yet. */
  | 'idle'
  /** Subscribed and snapshots arriving. */
  | 'live'
  /** Connected, but no snapshot for a while (ingest stalled or no devices). */
  | 'waiting'
  /** Lost the connection; socket.io is retrying. */
  | 'reconnecting'
  /** The server refused the subscription. */
  | 'refused';

/** The server emits about once a second; three missed beats means the feed has stalled. */
export const STALE_AFTER_MS = 3_000;

export class LiveConnection {
  state = $state<ConnectionState>('connecting');
  /** The server's reason when the state is `refused`. */
  refusal = $state<string | null>(null);
  /** Client-clock time of the last snapshot for the followed site. */
  lastEventAt = $state<number | null>(null);

  readonly #channel: LiveChannel;
  readonly #now: () => number;
  readonly #onReconnect: (() => void) | undefined;
  #site: LiveSite | null = null;
  #everConnected = false;

  /** `onReconnect` runs when the connection comes back after a drop (to refill the gap). */
  constructor(channel: LiveChannel, options: { now?: () => number; onReconnect?: () => void } = {}) {
    this.#channel = channel;
    this.#now = options.now ?? Date.now;
    this.#onReconnect = options.onReconnect;
    channel.on('connect', () => {
      const reconnected = this.#everConnected;
      this.#everConnected = true;
      this.state = this.#site ? 'waiting' : 'idle';
      this.#subscribe();
      if (reconnected) this.#onReconnect?.();
    });
    channel.on('disconnect', () => {
      this.state = 'reconnecting';
    });
    channel.on('connect_error', () => {
      this.state = this.#everConnected ? 'reconnecting' : 'connecting';
    });
    channel.on('live', (snapshot) => this.#receive(snapshot));
    if (channel.connected) {
      this.#everConnected = true;
      this.state = 'idle';
    }
  }

  /** Streams `site`'s snapshots into it until the returned function is called. */
  follow(site: LiveSite): () => void {
    this.#site = site;
    this.lastEventAt = null;
    this.refusal = null;
    if (this.#channel.connected) {
      this.state = 'waiting';
      this.#subscribe();
    }
    return () => {
      if (this.#site !== site) return;
      this.#site = null;
      if (this.#channel.connected) {
        this.#channel.emit('unsubscribe', site.siteId);
        this.state = 'idle';
      }
    };
  }

  /** Called once a second: marks the feed as waiting when snapshots stop arriving. */
  tick(): void {
    if (this.state !== 'live' || this.lastEventAt === null) return;
    if (this.#now() - this.lastEventAt > STALE_AFTER_MS) this.state = 'waiting';
  }

  #subscribe(): void {
    const site = this.#site;
    if (!site) return;
    this.#channel.emit('subscribe', site.siteId, (res) => {
      if (this.#site !== site || res.ok) return;
      this.state = 'refused';
      this.refusal = res.error ?? 'The server refused the live subscription.';
    });
  }

  #receive(snapshot: LiveSnapshot): void {
    const site = this.#site;
    if (!site || snapshot.site !== site.siteId) return;
    site.receive(snapshot);
    this.lastEventAt = this.#now();
    this.state = 'live';
  }
}
