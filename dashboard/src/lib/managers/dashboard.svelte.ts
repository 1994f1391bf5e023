/// <reference types="svelte" />
/**
 * The dashboard's root state: which sites exist, the live connection, the site being
 * watched, and the managers of the role views (issue 7): a manager's alerts (kept for the
 * open site, so the navigation can count them), and the one view-specific manager on screen.
 */
import { ApiError, errorMessage, type DashboardApi } from '../api/client.ts';
import type { Role } from '../api/types.ts';
import type { ViewsApi } from '../api/views.ts';
import { LiveConnection, type LiveChannel } from './live-connection.svelte.ts';
import { LiveSite } from './live-site.svelte.ts';
import { MEMBER_REFRESH_MS, MemberFootprint } from './member-footprint.svelte.ts';
import { SiteAlerts } from './site-alerts.svelte.ts';
import { DEVICES_REFRESH_MS, SiteDevices } from './site-devices.svelte.ts';
import { SiteDirectory } from './site-directory.svelte.ts';
import { ENERGY_REFRESH_MS, SiteEnergy } from './site-energy.svelte.ts';
import { SiteImpact } from './site-impact.svelte.ts';
import { SiteNetwork } from './site-network.svelte.ts';

/** History windows for the seed: 60 points over ten minutes, fine next to 1 s live samples. */
export const HISTORY_EVERY_MS = 10_000;

export class Dashboard {
  readonly directory: SiteDirectory;
  readonly connection: LiveConnection;
  /** The site on screen, or null before one is chosen. */
  live = $state.raw<LiveSite | null>(null);
  /** The open site's alerts, for managers. */
  alerts = $state.raw<SiteAlerts | null>(null);
  devices = $state.raw<SiteDevices | null>(null);
  energy = $state.raw<SiteEnergy | null>(null);
  member = $state.raw<MemberFootprint | null>(null);
  impact = $state.raw<SiteImpact | null>(null);
  network = $state.raw<SiteNetwork | null>(null);

  readonly #api: DashboardApi;
  readonly #views: ViewsApi | undefined;
  readonly #role: () => Role | null;
  readonly #now: () => number;
  #unfollow: (() => void) | null = null;
  #stopView: (() => void) | null = null;

  /** `views` and `role` come with the role views; without them the dashboard is the live view alone. */
  constructor(deps: { api: DashboardApi; channel: LiveChannel; now?: () => number; views?: ViewsApi; role?: () => Role | null }) {
    this.#api = deps.api;
    this.#views = deps.views;
    this.#role = deps.role ?? (() => null);
    this.#now = deps.now ?? Date.now;
    this.directory = new SiteDirectory(deps.api);
    this.connection = new LiveConnection(deps.channel, {
      now: this.#now,
      onReconnect: () => {
        if (this.live) void this.#loadHistory(this.live);
        if (this.alerts) void this.#loadAlerts(this.alerts);
      },
    });
    deps.channel.on('alerts', (update) => this.alerts?.receive(update));
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
    if (this.#views && this.#role() === 'manager') {
      const alerts = new SiteAlerts(siteId);
      this.alerts = alerts;
      void this.#loadAlerts(alerts);
    }
    this.#unfollow = this.connection.follow(site);
    void this.#load(site);
    return site;
  }

  close(): void {
    this.closeView();
    this.#unfollow?.();
    this.#unfollow = null;
    this.live = null;
    this.alerts = null;
  }

  /** Managers' devices page: the list, refreshed every few seconds while shown. */
  openDevices(siteId: string): SiteDevices | null {
    if (this.devices?.siteId === siteId) return this.devices;
    const views = this.#beginView();
    if (!views) return null;
    const devices = new SiteDevices(siteId, views);
    this.devices = devices;
    this.#repeat(() => devices.refresh(), DEVICES_REFRESH_MS);
    return devices;
  }

  /** Today against the same weekday last week, on the live view. */
  openEnergy(siteId: string, timeZone: string): SiteEnergy | null {
    if (this.energy?.siteId === siteId) return this.energy;
    const views = this.#beginView();
    if (!views) return null;
    const energy = new SiteEnergy(siteId, timeZone, views);
    this.energy = energy;
    this.#repeat(() => energy.refresh(), ENERGY_REFRESH_MS);
    return energy;
  }

  openMember(siteId: string, member: string, timeZone: string): MemberFootprint | null {
    if (this.member?.siteId === siteId && this.member.member === member) return this.member;
    const views = this.#beginView();
    if (!views) return null;
    const footprint = new MemberFootprint(siteId, member, timeZone, views, this.#now);
    this.member = footprint;
    this.#repeat(() => footprint.refresh(), MEMBER_REFRESH_MS);
    return footprint;
  }

  openImpact(siteId: string, timeZone: string): SiteImpact | null {
    if (this.impact?.siteId === siteId) return this.impact;
    const views = this.#beginView();
    if (!views) return null;
    const impact = new SiteImpact(siteId, timeZone, views, this.#now);
    this.impact = impact;
    void impact.refresh();
    void impact.loadStored();
    return impact;
  }

  /** A manager's or funder's sites side by side (METHODOLOGY §11), in the local days of `siteId`. */
  openNetwork(siteId: string, timeZone: string): SiteNetwork | null {
    if (this.network?.siteId === siteId) return this.network;
    const views = this.#beginView();
    if (!views) return null;
    const network = new SiteNetwork(siteId, timeZone, views, this.#now);
    this.network = network;
    void network.refresh();
    return network;
  }

  /** Stops the view-specific manager on screen (its refresh timer) and forgets it. */
  closeView(): void {
    this.#stopView?.();
    this.#stopView = null;
    this.devices = null;
    this.energy = null;
    this.member = null;
    this.impact = null;
    this.network = null;
  }

  #beginView(): ViewsApi | undefined {
    this.closeView();
    return this.#views;
  }

  /** Runs `refresh` now and every `everyMs` until the view closes. */
  #repeat(refresh: () => Promise<void>, everyMs: number): void {
    void refresh();
    const timer = setInterval(() => void refresh(), everyMs);
    this.#stopView = () => clearInterval(timer);
  }

  async #loadAlerts(alerts: SiteAlerts): Promise<void> {
    try {
      alerts.receive(await this.#views!.alerts(alerts.siteId));
    } catch (error) {
      alerts.fail(error);
    }
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
