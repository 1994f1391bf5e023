/**
 * Which days of a period have data, so a view never shows a zero for a missing value
 * (issue 22): a day counts as covered when its metered energy is above zero, since a
 * metered building never uses exactly nothing in a day (network, ventilation and standby
 * run around the clock); a zero day is a day without readings.
 */

export interface Coverage {
  /** Days with data. */
  covered: number;
  /** Days in the period. */
  days: number;
}

export function dailyCoverage(days: readonly { kwh_total: number }[]): Coverage {
  return { covered: days.filter((d) => d.kwh_total > 0).length, days: days.length };
}

/** Every day has data: period averages and intensities mean what they say. */
export function fullyCovered(c: Coverage): boolean {
  return c.days > 0 && c.covered === c.days;
}

/** "1 of 30 days has data", "30 of 30 days have data". */
export function coverageText(c: Coverage): string {
  return `${c.covered} of ${c.days} ${c.days === 1 ? 'day' : 'days'} ${c.covered === 1 ? 'has' : 'have'} data`;
}

/** A site energy figure over hours of a day: exactly zero means no readings, not no energy. */
export function hasEnergyData(kwh: number): boolean {
  return kwh > 0;
}
