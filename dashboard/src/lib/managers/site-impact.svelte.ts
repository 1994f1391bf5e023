/// <reference types="svelte" />
/**
 * A funder's impact view of one site: a period (preset or custom dates, in the site's local
 * days), the impact report for it (`GET /reports/impact?format=json`), and the report files.
 */
import type { ImpactReport, StoredReport } from '../api/types.ts';
import type { ViewsApi } from '../api/views.ts';
import { addDays, dayStart, monthStart, yearStart } from '../time.ts';
import { LOADING, READY, failed, type Load } from './load.ts';

export const PERIOD_PRESETS = ['last_30_days', 'this_month', 'last_month', 'this_year', 'custom'] as const;
export type PeriodPreset = (typeof PERIOD_PRESETS)[number];

export const PERIOD_LABEL: Readonly<Record<PeriodPreset, string>> = {
  last_30_days: 'Last 30 days',
  this_month: 'This month',
  last_month: 'Last month',
  this_year: 'This year',
  custom: 'Custom dates',
};

export interface Period {
  preset: PeriodPreset;
  from: number;
  to: number;
}

/** The instants a preset covers at `now`, in whole local days (today counts up to tomorrow's midnight). */
export function presetRange(preset: Exclude<PeriodPreset, 'custom'>, now: number, timeZone: string): { from: number; to: number } {
  const tomorrow = addDays(now, 1, timeZone);
  switch (preset) {
    case 'last_30_days':
      return { from: addDays(now, -29, timeZone), to: tomorrow };
    case 'this_month':
      return { from: monthStart(now, timeZone), to: tomorrow };
    case 'last_month':
      return { from: monthStart(now, timeZone, -1), to: monthStart(now, timeZone) };
    case 'this_year':
      return { from: yearStart(now, timeZone), to: tomorrow };
  }
}

export class SiteImpact {
  readonly siteId: string;
  readonly timeZone: string;
  period = $state.raw<Period>({ preset: 'last_30_days', from: 0, to: 0 });
  report = $state.raw<ImpactReport | null>(null);
  load = $state.raw<Load>(LOADING);
  stored = $state.raw<readonly StoredReport[]>([]);
  readonly #api: Pick<ViewsApi, 'impact' | 'reports'>;
  readonly #now: () => number;
  #request = 0;

  constructor(siteId: string, timeZone: string, api: Pick<ViewsApi, 'impact' | 'reports'>, now: () => number = Date.now) {
    this.siteId = siteId;
    this.timeZone = timeZone;
    this.#api = api;
    this.#now = now;
    this.period = { preset: 'last_30_days', ...presetRange('last_30_days', now(), timeZone) };
  }

  choosePreset(preset: Exclude<PeriodPreset, 'custom'>): Promise<void> {
    this.period = { preset, ...presetRange(preset, this.#now(), this.timeZone) };
    return this.refresh();
  }

  /** Custom local days, `to` inclusive; returns a message when the range is not usable. */
  chooseDays(fromDay: number, lastDay: number): Promise<void> | string {
    if (lastDay < fromDay) return 'The end date is before the start date.';
    const to = addDays(lastDay, 1, this.timeZone);
    if (to - fromDay > 400 * 86_400_000) return 'A report covers at most 400 days.';
    this.period = { preset: 'custom', from: dayStart(fromDay, this.timeZone), to };
    return this.refresh();
  }

  async refresh(): Promise<void> {
    const request = ++this.#request;
    this.load = LOADING;
    const { from, to } = this.period;
    try {
      const report = await this.#api.impact(this.siteId, { from, to });
      if (request !== this.#request) return;
      this.report = report;
      this.load = READY;
    } catch (error) {
      if (request !== this.#request) return;
      this.report = null;
      this.load = failed(error);
    }
  }

  async loadStored(): Promise<void> {
    try {
      this.stored = await this.#api.reports(this.siteId);
    } catch {
      this.stored = [];
    }
  }
}
