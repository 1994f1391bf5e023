/// <reference types="svelte" />
/**
 * Today's site energy and emissions so far against the same weekday last week, over the
 * same part of the day (midnight to the same clock time), from the footprint API. The
 * full day last week is shown beside it for scale.
 */
import type { ViewsApi } from '../api/views.ts';
import { addDays, dayStart } from '../time.ts';
import { LOADING, READY, failed, type Load } from './load.ts';

export interface EnergyFigures {
  kwh: number;
  kgco2e: number;
  from: number;
  to: number;
}

/** The footprint is written per accounting interval; a minute is plenty to follow it. */
export const ENERGY_REFRESH_MS = 60_000;

export class SiteEnergy {
  readonly siteId: string;
  readonly timeZone: string;
  today = $state.raw<EnergyFigures | null>(null);
  lastWeekSoFar = $state.raw<EnergyFigures | null>(null);
  lastWeekDay = $state.raw<EnergyFigures | null>(null);
  load = $state.raw<Load>(LOADING);
  readonly #api: Pick<ViewsApi, 'siteFootprint'>;
  readonly #now: () => number;

  constructor(siteId: string, timeZone: string, api: Pick<ViewsApi, 'siteFootprint'>, now: () => number = Date.now) {
    this.siteId = siteId;
    this.timeZone = timeZone;
    this.#api = api;
    this.#now = now;
  }

  /** The three ranges asked for at `now`: today so far, last week to the same time, last week's whole day. */
  ranges(now: number): { today: [number, number]; lastWeekSoFar: [number, number]; lastWeekDay: [number, number] } {
    const start = dayStart(now, this.timeZone);
    const weekAgo = addDays(now, -7, this.timeZone);
    // At exactly midnight "so far" is empty; the API needs from < to.
    const elapsed = Math.max(1_000, now - start);
    return { today: [start, start + elapsed], lastWeekSoFar: [weekAgo, weekAgo + elapsed], lastWeekDay: [weekAgo, addDays(now, -6, this.timeZone)] };
  }

  async refresh(): Promise<void> {
    const r = this.ranges(this.#now());
    const get = async ([from, to]: [number, number]): Promise<EnergyFigures> => {
      const f = await this.#api.siteFootprint(this.siteId, { from, to });
      return { kwh: f.totals.kwh, kgco2e: f.totals.kgco2e, from, to };
    };
    try {
      const [today, lastWeekSoFar, lastWeekDay] = await Promise.all([get(r.today), get(r.lastWeekSoFar), get(r.lastWeekDay)]);
      this.today = today;
      this.lastWeekSoFar = lastWeekSoFar;
      this.lastWeekDay = lastWeekDay;
      this.load = READY;
    } catch (error) {
      if (!this.today) this.load = failed(error);
    }
  }

  /** Relative change of today against last week at the same time; null without a base. */
  change(metric: 'kwh' | 'kgco2e'): number | null {
    const base = this.lastWeekSoFar?.[metric];
    const now = this.today?.[metric];
    if (base === undefined || now === undefined || base <= 0) return null;
    return now / base - 1;
  }
}
