/// <reference types="svelte" />
/**
 * One site's live state: the latest snapshot and the last ten minutes of power, fed by
 * socket `live` events and seeded from the series endpoint. Components only render it.
 */
import type { LiveSnapshot, SeriesResponse } from '../../../../devices/api-types.ts';
import { LIVE_WINDOW_MS, appendSample, mergeHistory, sampleOf, samplesFromSeries, trimWindow, type PowerSample } from '../power-history.ts';

export type LoadState =
  | { readonly kind: 'loading' }
  | { readonly kind: 'ready' }
  | { readonly kind: 'error'; readonly message: string; readonly notFound: boolean };

export class LiveSite {
  readonly siteId: string;
  readonly windowMs: number;

  /** Latest snapshot; replaced whole on every event, never mutated, hence raw. */
  snapshot = $state.raw<LiveSnapshot | null>(null);
  /** Power samples, oldest first, spanning at most `windowMs`. */
  samples = $state.raw<readonly PowerSample[]>([]);
  load = $state.raw<LoadState>({ kind: 'loading' });
  /** Why the history could not be loaded; the chart then starts from live events only. */
  historyError = $state<string | null>(null);

  constructor(siteId: string, options: { windowMs?: number } = {}) {
    this.siteId = siteId;
    this.windowMs = options.windowMs ?? LIVE_WINDOW_MS;
  }

  /** A `live` event or the `/live` response. Older or foreign snapshots are ignored. */
  receive(snapshot: LiveSnapshot): void {
    if (snapshot.site !== this.siteId) return;
    if (this.snapshot && snapshot.at < this.snapshot.at) return;
    this.snapshot = snapshot;
    this.samples = trimWindow(appendSample(this.samples, sampleOf(snapshot)), this.windowMs);
    if (this.load.kind !== 'ready') this.load = { kind: 'ready' };
  }

  /** History from `GET /series`: fills what live samples do not cover (before the page opened, outages). */
  seed(series: SeriesResponse): void {
    this.samples = trimWindow(mergeHistory(samplesFromSeries(series), this.samples), this.windowMs);
    this.historyError = null;
  }

  fail(message: string, options: { notFound?: boolean } = {}): void {
    // A snapshot that already arrived over the socket is better than an error page.
    if (this.snapshot) return;
    this.load = { kind: 'error', message, notFound: options.notFound ?? false };
  }

  failHistory(message: string): void {
    this.historyError = message;
  }
}
