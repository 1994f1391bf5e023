/// <reference types="svelte" />
/**
 * The month a footprint view shows, with previous / next and a month picker, as Home
 * Assistant's energy dashboard steps through its periods. Months are the site's local
 * months (METHODOLOGY §1); the future cannot be chosen, and the current month runs to now.
 */
import { formatMonth } from '../format.ts';
import { isoMonth, monthStart, parseIsoMonth } from '../time.ts';

/** The local month start of a picked `YYYY-MM` value, or why it cannot be shown. */
export function pickedMonth(value: string, timeZone: string, now: number): number | string {
  const from = parseIsoMonth(value, timeZone);
  if (from === null) return 'Choose a month.';
  if (from > monthStart(now, timeZone)) return 'That month has not started yet.';
  return from;
}

export class MonthPeriod {
  readonly timeZone: string;
  /** Local midnight of the month's first day. */
  from = $state.raw(0);
  readonly #now: () => number;

  constructor(timeZone: string, now: () => number = Date.now) {
    this.timeZone = timeZone;
    this.#now = now;
    this.from = monthStart(now(), timeZone);
  }

  /** Local midnight of the next month's first day. */
  get to(): number {
    return monthStart(this.from, this.timeZone, 1);
  }

  get isCurrent(): boolean {
    return this.from === monthStart(this.#now(), this.timeZone);
  }

  /** "November 2026". */
  get label(): string {
    return formatMonth(this.from, this.timeZone);
  }

  /** `YYYY-MM`, the value of a month input. */
  get value(): string {
    return isoMonth(this.from, this.timeZone);
  }

  /** The latest month that may be chosen, `YYYY-MM`. */
  get max(): string {
    return isoMonth(this.#now(), this.timeZone);
  }

  get canGoNext(): boolean {
    return !this.isCurrent;
  }

  previous(): void {
    this.from = monthStart(this.from, this.timeZone, -1);
  }

  next(): void {
    if (this.canGoNext) this.from = monthStart(this.from, this.timeZone, 1);
  }

  current(): void {
    this.from = monthStart(this.#now(), this.timeZone);
  }

  /** Chooses a `YYYY-MM` month; returns why not when it is not a month or lies ahead. */
  pick(value: string): string | null {
    const from = pickedMonth(value, this.timeZone, this.#now());
    if (typeof from === 'string') return from;
    this.from = from;
    return null;
  }

  /** What to ask the API: the whole month, or the current month up to now. */
  range(): [number, number] {
    const now = this.#now();
    return [this.from, this.isCurrent ? Math.max(now, this.from + 1_000) : this.to];
  }
}
