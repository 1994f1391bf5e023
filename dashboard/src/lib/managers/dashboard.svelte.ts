/// <reference types="svelte" />
/**
 * The dashboard's root state: which sites exist, the live connection, and the site being
 * watched. Views added later (manager, member, funder; issue 7) hang their managers here.
 */
import { ApiError, errorMessage, type DashboardApi } from '../api/client.ts';
import { LiveConnection, type LiveChannel } from './live-connection.svelte.ts';
import { LiveSite } from './live-site.svelte.ts';
import { SiteDirectory } from './site-directory.svelte.ts';

/** History windows for the seed: 60 points over ten minutes, fine next to 1 s live samples. */
export const HISTORY_EVERY_MS = 10_000;

export class Dashboard {
  readonly directory: SiteDirectory;
  readonly connection: LiveConnection;
  /** The site on screen, or null before one is chosen. */
  live = $state.raw<LiveSite | null>(null);

  readonly #api: DashboardApi;
  readonly #now: () => number;
  #unfollow: (() => void) | null = null;

  constructor(deps: { api: DashboardApi; channel: LiveChannel; now?: () => number }) {
    this.#api = deps.api;
    this.#now = deps.now ?? Date.now;
    this.directory = new SiteDirectory(deps.api);
    this.connection = new LiveConnection(deps.channel, {
      now: this.#now,
      onReconnect: () => {
        if (this.live) void this.#loadHistory(this.live);
      },
    });
  }

  /** Loads the site list and watches the feed for stalls, until the returned function is called. */
  start(): () => void {
    void this.directory.refresh();
    const timer = setInterval(() => this.connection.tick(), 1_000);
    return () => {
      clearInterval(timer);
      this.close();
    };
  }

  /** Shows `siteId`: follows its live events and loads its snapshot and recent history. */
  open(siteId: string): LiveSite {
    if (this.live?.siteId === siteId) return this.live;
    this.close();
    const site = new LiveSite(siteId);
    this.live = site;
    this.#unfollow = this.connection.follow(site);
    void this.#load(site);
    return site;
  }

  close(): void {
    this.#unfollow?.();
    this.#unfollow = null;
    this.live = null;
  }

  /** Loads the site again after an error (the Retry button). */
  retry(): void {
    const siteId = this.live?.siteId;
    if (!siteId) return;
    this.close();
    this.open(siteId);
  }

  async #load(site: LiveSite): Promise<void> {
    const [snapshot] = await Promise.allSettled([this.#api.live(site.siteId), this.#loadHistory(site)]);
    if (snapshot.status === 'fulfilled') {
      if (snapshot.value) site.receive(snapshot.value);
    } else {
      const error = snapshot.reason;
      site.fail(errorMessage(error), { notFound: error instanceof ApiError && error.status === 404 });
    }
  }

  /** The window's history; also after a reconnect, to fill the stretch the socket missed. */
  async #loadHistory(site: LiveSite): Promise<void> {
    const to = this.#now();
    const range = { from: to - site.windowMs, to, everyMs: HISTORY_EVERY_MS };
    const [subMeters, mains] = await Promise.allSettled([
      this.#api.powerSeries(site.siteId, range),
      // Mains separately: with them the history also shows the unmetered remainder.
      this.#api.powerSeries(site.siteId, { ...range, category: 'main' }),
    ]);
    if (subMeters.status === 'fulfilled') {
      const mainSeries = mains.status === 'fulfilled' ? mains.value.series : [];
      site.seed({ ...subMeters.value, series: [...subMeters.value.series, ...mainSeries] });
    } else site.failHistory(errorMessage(subMeters.reason));
  }
}
