/// <reference types="svelte" />
/**
 * A funder's (or manager's) impact view of one site: a period (preset, a picked month or
 * custom dates, in the site's local days; previous / next step through periods of the same
 * length, as Home Assistant's energy dashboard does), the impact report for it
 * (`GET /reports/impact?format=json`), and the report files.
 */
import type { ImpactReport, StoredReport } from '../api/types.ts';
import type { ViewsApi } from '../api/views.ts';
import { formatDate, formatMonth } from '../format.ts';
import { addDays, dayStart, isoMonth, monthStart, yearStart } from '../time.ts';
import { pickedMonth } from './month-period.svelte.ts';
import { LOADING, READY, failed, type Load } from './load.ts';

export const PERIOD_PRESETS = ['last_30_days', 'this_month', 'last_month', 'this_year', 'custom'] as const;
/** A preset chip, or `month`: a whole month reached by previous / next or the month picker. */
export type PeriodPreset = (typeof PERIOD_PRESETS)[number] | 'month';

export const PERIOD_LABEL: Readonly<Record<PeriodPreset, string>> = {
  last_30_days: 'Last 30 days',
  this_month: 'This month',
  last_month: 'Last month',
  this_year: 'This year',
  custom: 'Custom dates',
  month: 'Month',
};

export interface Period {
  preset: PeriodPreset;
  from: number;
  to: number;
}

/** The instants a preset covers at `now`, in whole local days (today counts up to tomorrow's midnight). */
export function presetRange(preset: Exclude<PeriodPreset, 'custom' | 'month'>, now: number, timeZone: string): { from: number; to: number } {
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

  choosePreset(preset: Exclude<PeriodPreset, 'custom' | 'month'>): Promise<void> {
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

  /** Whether the period is whole local months (stepped by month, labelled by month). */
  get isMonths(): boolean {
    const { from, to } = this.period;
    return from === monthStart(from, this.timeZone) && (to === monthStart(from, this.timeZone, 1) || (this.period.preset === 'this_month' && to === addDays(this.#now(), 1, this.timeZone)));
  }

  /** "November 2026", or "1 Nov 2026 – 30 Nov 2026" when the period is not a month. */
  get label(): string {
    const { from, to } = this.period;
    if (this.isMonths) return formatMonth(from, this.timeZone);
    return `${formatDate(from, this.timeZone)} – ${formatDate(addDays(to, -1, this.timeZone), this.timeZone)}`;
  }

  /** `YYYY-MM` for the month picker: the period's month, when it is one. */
  get monthValue(): string {
    return this.isMonths ? isoMonth(this.period.from, this.timeZone) : '';
  }

  get maxMonth(): string {
    return isoMonth(this.#now(), this.timeZone);
  }

  /** A later period would start after today. */
  get canGoNext(): boolean {
    return this.period.to < addDays(this.#now(), 1, this.timeZone);
  }

  /** The period before (-1) or after (+1): the month before or after, else as many days earlier or later. */
  step(direction: -1 | 1): Promise<void> {
    if (direction === 1 && !this.canGoNext) return Promise.resolve();
    const { from, to } = this.period;
    const tz = this.timeZone;
    if (this.isMonths) {
      const start = monthStart(from, tz, direction);
      this.period = { preset: 'month', from: start, to: monthStart(start, tz, 1) };
    } else {
      const days = Math.round((to - from) / 86_400_000);
      const tomorrow = addDays(this.#now(), 1, tz);
      const shiftedTo = Math.min(addDays(to, direction * days, tz), tomorrow);
      this.period = { preset: 'custom', from: addDays(shiftedTo, -days, tz), to: shiftedTo };
    }
    return this.refresh();
  }

  /** A `YYYY-MM` month from the picker; returns why not when it cannot be shown. */
  chooseMonth(value: string): Promise<void> | string {
    const from = pickedMonth(value, this.timeZone, this.#now());
    if (typeof from === 'string') return from;
    this.period = { preset: 'month', from, to: monthStart(from, this.timeZone, 1) };
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
