/// <reference types="svelte" />
/**
 * One member's footprint page: today and this month (kWh, kgCO2e) against the private-office
 * baseline range, the avoided emissions, the daily trend over 30 days, how the figures were
 * computed, and the member's own check-ins as sessions (desk, from–to). Every figure is an API `totals` block as sent.
 */
import type { MemberCheckinsResponse } from '../../../../devices/api-types.ts';
import { errorMessage } from '../api/client.ts';
import type { FootprintFigures, MemberFootprintResponse, SiteFootprintResponse } from '../api/types.ts';
import type { ViewsApi } from '../api/views.ts';
import { addDays, dayStart, monthStart } from '../time.ts';
import { LOADING, READY, failed, type Load } from './load.ts';

/** Days in the trend chart. */
export const TREND_DAYS = 30;
export const MEMBER_REFRESH_MS = 60_000;

export class MemberFootprint {
  readonly siteId: string;
  readonly member: string;
  readonly timeZone: string;
  today = $state.raw<FootprintFigures | null>(null);
  month = $state.raw<FootprintFigures | null>(null);
  /** Daily buckets, oldest first. */
  trend = $state.raw<MemberFootprintResponse['buckets']>([]);
  method = $state.raw<MemberFootprintResponse['method'] | null>(null);
  /** Check-in sessions at this site, newest first (paired by the API). */
  checkins = $state.raw<MemberCheckinsResponse['sessions']>([]);
  checkinsError = $state<string | null>(null);
  /** The site's data-quality block, when the member may read it. */
  quality = $state.raw<SiteFootprintResponse['data_quality'] | null>(null);
  load = $state.raw<Load>(LOADING);
  /** Ranges of the figures on screen, for labels. */
  ranges = $state.raw<{ today: [number, number]; month: [number, number]; trend: [number, number] } | null>(null);

  readonly #api: Pick<ViewsApi, 'memberFootprint' | 'memberCheckins' | 'siteFootprint'>;
  readonly #now: () => number;

  constructor(siteId: string, member: string, timeZone: string, api: Pick<ViewsApi, 'memberFootprint' | 'memberCheckins' | 'siteFootprint'>, now: () => number = Date.now) {
    this.siteId = siteId;
    this.member = member;
    this.timeZone = timeZone;
    this.#api = api;
    this.#now = now;
  }

  async refresh(): Promise<void> {
    const now = this.#now();
    const tz = this.timeZone;
    const to = Math.max(now, dayStart(now, tz) + 1_000);
    const ranges = {
      today: [dayStart(now, tz), to] as [number, number],
      month: [monthStart(now, tz), to] as [number, number],
      trend: [addDays(now, -(TREND_DAYS - 1), tz), to] as [number, number],
    };
    const [today, month, trend, checkins, site] = await Promise.allSettled([
      this.#api.memberFootprint(this.member, { from: ranges.today[0], to: ranges.today[1], every: 'day' }),
      this.#api.memberFootprint(this.member, { from: ranges.month[0], to: ranges.month[1], every: 'day' }),
      this.#api.memberFootprint(this.member, { from: ranges.trend[0], to: ranges.trend[1], every: 'day' }),
      this.#api.memberCheckins(this.member, { from: ranges.trend[0], to: ranges.trend[1] }),
      this.#api.siteFootprint(this.siteId, { from: ranges.month[0], to: ranges.month[1] }),
    ]);
    if (today.status === 'rejected' || month.status === 'rejected' || trend.status === 'rejected') {
      const reason = [today, month, trend].find((r) => r.status === 'rejected') as PromiseRejectedResult;
      if (!this.month) this.load = failed(reason.reason);
      return;
    }
    this.today = today.value.totals;
    this.month = month.value.totals;
    this.trend = trend.value.buckets;
    this.method = month.value.method;
    this.ranges = ranges;
    if (checkins.status === 'fulfilled') {
      this.checkins = checkins.value.sessions.filter((s) => s.site === this.siteId);
      this.checkinsError = null;
    } else this.checkinsError = errorMessage(checkins.reason);
    this.quality = site.status === 'fulfilled' ? site.value.data_quality : null;
    this.load = READY;
  }
}
