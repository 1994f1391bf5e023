/// <reference types="svelte" />
/**
 * Today's site energy and emissions against the same weekday last week, over the same part
 * of the day, as the server's read model gives them (`GET /api/sites/:site/today`,
 * footprint/today.ts): the attributed figure (closed intervals) and last week up to the
 * same time, the change, and last week's whole day for scale. Nothing is added up here.
 */
import type { TodayResponse } from '../api/types.ts';
import type { ViewsApi } from '../api/views.ts';
import { LOADING, READY, failed, type Load } from './load.ts';

/** The footprint is written per accounting interval; a minute is plenty to follow it. */
export const ENERGY_REFRESH_MS = 60_000;

export class SiteEnergy {
  readonly siteId: string;
  readonly timeZone: string;
  figures = $state.raw<TodayResponse | null>(null);
  load = $state.raw<Load>(LOADING);
  readonly #api: Pick<ViewsApi, 'today'>;

  constructor(siteId: string, timeZone: string, api: Pick<ViewsApi, 'today'>) {
    this.siteId = siteId;
    this.timeZone = timeZone;
    this.#api = api;
  }

  async refresh(): Promise<void> {
    try {
      this.figures = await this.#api.today(this.siteId);
      this.load = READY;
    } catch (error) {
      if (!this.figures) this.load = failed(error);
    }
  }
}
