/// <reference types="svelte" />
/**
 * One member's footprint page: today and a chosen month (kWh, kgCO2e; previous / next and a
 * month picker, `period`) against the private-office baseline range, the avoided emissions,
 * the month's daily trend, how the figures were computed, and the member's own check-ins in
 * that month as sessions (desk, from–to). Every figure is an API `totals` block as sent.
 */
import type { MemberCheckinsResponse } from '../../../../devices/api-types.ts';
import { errorMessage } from '../api/client.ts';
import type { FootprintFigures, GreenerHours, MemberFootprintResponse, SiteFootprintResponse } from '../api/types.ts';
import type { ViewsApi } from '../api/views.ts';
import { dayStart } from '../time.ts';
import { LOADING, READY, failed, type Load } from './load.ts';
import { MonthPeriod } from './month-period.svelte.ts';

export const MEMBER_REFRESH_MS = 60_000;

/** The calls the page makes; greener hours only where the server offers them. */
export type MemberFootprintApi = Pick<ViewsApi, 'memberFootprint' | 'memberCheckins' | 'siteFootprint'> & Partial<Pick<ViewsApi, 'greenerHours'>>;

export class MemberFootprint {
  readonly siteId: string;
  readonly member: string;
  readonly timeZone: string;
  today = $state.raw<FootprintFigures | null>(null);
  /** Today's figures are attributed up to this instant (the last closed interval; `attributed_up_to`). */
  todayUpTo = $state.raw<number | null>(null);
  /** Whether the site has data today and on which days of the month (a member's zero on such a day is real). */
  todayCoverage = $state.raw<MemberFootprintResponse['coverage'] | null>(null);
  monthCoverage = $state.raw<MemberFootprintResponse['coverage'] | null>(null);
  month = $state.raw<FootprintFigures | null>(null);
  /** Daily buckets, oldest first. */
  trend = $state.raw<MemberFootprintResponse['buckets']>([]);
  method = $state.raw<MemberFootprintResponse['method'] | null>(null);
  /** ISO 4217 code of the cost figures; null when the site prices no energy (METHODOLOGY §8). */
  currency = $state<string | null>(null);
  /** Check-in sessions at this site, newest first (paired by the API). */
  checkins = $state.raw<MemberCheckinsResponse['sessions']>([]);
  checkinsError = $state<string | null>(null);
  /** The site's data-quality block, when the member may read it. */
  quality = $state.raw<SiteFootprintResponse['data_quality'] | null>(null);
  /** The coming low-carbon hours from the site's grid forecast (METHODOLOGY §3), when it has one. */
  greener = $state.raw<GreenerHours | null>(null);
  load = $state.raw<Load>(LOADING);
  /** A newly chosen month is loading; the figures on screen are still the previous month's. */
  switching = $state(false);
  /** Why the chosen month could not be loaded (the figures on screen stay as they were). */
  monthError = $state<string | null>(null);
  /** The month on screen. */
  readonly period: MonthPeriod;
  /** Ranges of the figures on screen, for labels (`month` and `trend` are the chosen month). */
  ranges = $state.raw<{ today: [number, number]; month: [number, number]; trend: [number, number] } | null>(null);

  readonly #api: MemberFootprintApi;
  readonly #now: () => number;
  #request = 0;

  constructor(siteId: string, member: string, timeZone: string, api: MemberFootprintApi, now: () => number = Date.now) {
    this.siteId = siteId;
    this.member = member;
    this.timeZone = timeZone;
    this.#api = api;
    this.#now = now;
    this.period = new MonthPeriod(timeZone, now);
  }

  previousMonth(): Promise<void> {
    this.period.previous();
    return this.#show();
  }

  nextMonth(): Promise<void> {
    this.period.next();
    return this.#show();
  }

  /** A `YYYY-MM` month from the picker; returns why not when it cannot be shown. */
  pickMonth(value: string): Promise<void> | string {
    const problem = this.period.pick(value);
    return problem ?? this.#show();
  }

  /** A new month: `switching` until its figures arrive, so the view can mark the old ones stale. */
  async #show(): Promise<void> {
    this.switching = true;
    await this.refresh();
  }

  async refresh(): Promise<void> {
    const request = ++this.#request;
    const now = this.#now();
    const tz = this.timeZone;
    const to = Math.max(now, dayStart(now, tz) + 1_000);
    const chosen = this.period.range();
    const ranges = { today: [dayStart(now, tz), to] as [number, number], month: chosen, trend: chosen };
    const [today, month, checkins, site, greener] = await Promise.allSettled([
      this.#api.memberFootprint(this.member, { from: ranges.today[0], to: ranges.today[1], every: 'day' }),
      // Daily buckets: the month's totals and its trend chart in one answer.
      this.#api.memberFootprint(this.member, { from: ranges.month[0], to: ranges.month[1], every: 'day' }),
      this.#api.memberCheckins(this.member, { from: ranges.month[0], to: ranges.month[1] }),
      this.#api.siteFootprint(this.siteId, { from: ranges.month[0], to: ranges.month[1] }),
      this.#api.greenerHours ? this.#api.greenerHours(this.siteId) : Promise.resolve(null),
    ]);
    // A later month was asked for meanwhile: its answer, not this one, goes on screen.
    if (request !== this.#request) return;
    this.switching = false;
    if (today.status === 'rejected' || month.status === 'rejected') {
      const reason = [today, month].find((r) => r.status === 'rejected') as PromiseRejectedResult;
      if (!this.month) this.load = failed(reason.reason);
      else this.monthError = errorMessage(reason.reason);
      return;
    }
    this.monthError = null;
    this.today = today.value.totals;
    this.todayUpTo = today.value.attributed_up_to;
    this.todayCoverage = today.value.coverage;
    this.monthCoverage = month.value.coverage;
    this.month = month.value.totals;
    this.trend = month.value.buckets;
    this.method = month.value.method;
    this.currency = month.value.currency;
    this.ranges = ranges;
    if (checkins.status === 'fulfilled') {
      this.checkins = checkins.value.sessions.filter((s) => s.site === this.siteId);
      this.checkinsError = null;
    } else this.checkinsError = errorMessage(checkins.reason);
    this.quality = site.status === 'fulfilled' ? site.value.data_quality : null;
    this.greener = greener.status === 'fulfilled' ? greener.value : null;
    this.load = READY;
  }
}
