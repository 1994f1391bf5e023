/// <reference types="svelte" />
/**
 * The network view of a manager or funder with several sites (METHODOLOGY §11): a period
 * (the impact view's presets, in the local days of the site the view was opened from) and
 * the network figures for it (`GET /api/network`): every site of the account side by side,
 * their monthly trend and the network total.
 */
import type { NetworkReport } from '../api/types.ts';
import type { ViewsApi } from '../api/views.ts';
import { LOADING, READY, failed, type Load } from './load.ts';
import { presetRange, type PeriodPreset } from './site-impact.svelte.ts';

export type NetworkPreset = Exclude<PeriodPreset, 'custom' | 'month'>;
export const NETWORK_PRESETS: readonly NetworkPreset[] = ['last_30_days', 'this_month', 'last_month', 'this_year'];

export class SiteNetwork {
  /** The site the view was opened from: its time zone sets the period's days. */
  readonly siteId: string;
  readonly timeZone: string;
  preset = $state.raw<NetworkPreset>('last_30_days');
  range = $state.raw<{ from: number; to: number }>({ from: 0, to: 0 });
  report = $state.raw<NetworkReport | null>(null);
  load = $state.raw<Load>(LOADING);
  readonly #api: Pick<ViewsApi, 'network'>;
  readonly #now: () => number;
  #request = 0;

  constructor(siteId: string, timeZone: string, api: Pick<ViewsApi, 'network'>, now: () => number = Date.now) {
    this.siteId = siteId;
    this.timeZone = timeZone;
    this.#api = api;
    this.#now = now;
    this.range = presetRange('last_30_days', now(), timeZone);
  }

  choose(preset: NetworkPreset): Promise<void> {
    this.preset = preset;
    this.range = presetRange(preset, this.#now(), this.timeZone);
    return this.refresh();
  }

  async refresh(): Promise<void> {
    const request = ++this.#request;
    this.load = LOADING;
    try {
      const report = await this.#api.network(this.range);
      if (request !== this.#request) return;
      this.report = report;
      this.load = READY;
    } catch (error) {
      if (request !== this.#request) return;
      this.report = null;
      this.load = failed(error);
    }
  }
}
