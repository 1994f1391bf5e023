/**
 * Coverage of a period (footprint/coverage.ts, issue 22): which days and hours have data,
 * so averages and intensities use the covered time and a missing value is never a zero.
 */
import { describe, expect, it } from 'vitest';
import { clockOf } from '../../../footprint/clock.ts';
import { annualisation, annualisationBasis, coverageOf } from '../../../footprint/coverage.ts';
import type { Point } from '../../../store/types.ts';
import { T, makeSite } from './helpers.ts';

const site = makeSite([{ id: 'main-el', kind: 'meter', category: 'main', carrier: 'electricity' }]);
const clock = clockOf(site);
const HALF_HOUR = 1_800_000;

function sitePoint(ts: number, metered: number, carrier = 'electricity'): Point {
  return { measurement: 'footprint_site', tags: { site: site.id, carrier }, fields: { metered_kwh: metered }, ts };
}

function days(from: string, n: number) {
  const out = [];
  for (let t = T(from), i = 0; i < n; i++, t = clock.day(t).end) out.push(clock.day(t));
  return out;
}

describe('coverage', () => {
  it('counts one day of data in thirty, in hours and in words', () => {
    // 1 March: two hours of readings (four intervals, both carriers on one of them).
    const pts = [0, 1, 2, 3].map((i) => sitePoint(T('2025-03-01T09:00') + i * HALF_HOUR, 1.5));
    pts.push(sitePoint(T('2025-03-01T09:00'), 2, 'gas'));
    // An interval the engine closed without any reading: not data.
    pts.push(sitePoint(T('2025-03-02T09:00'), 0));
    const c = coverageOf(pts, days('2025-03-01T00:00', 30), HALF_HOUR, T('2025-04-01T00:00'));
    expect(c.text).toBe('1 of 30 days has data');
    expect(c).toMatchObject({ days: 30, days_with_data: 1, hours: 720, hours_with_data: 2 });
    expect(c.by_day[0]).toEqual({ date: '2025-03-01', start: T('2025-03-01T00:00'), hours: 24, hours_with_data: 2 });
    expect(c.by_day[1]!.hours_with_data).toBe(0);
    // Two hours are not a year's worth: not annualised, and the report says why.
    expect(annualisation(c)).toBeNull();
    expect(annualisationBasis(c)).toBe('not enough data to annualise: 2 h with data (1 of 30 days has data); at least 24 h needed');
  });

  it('annualises over the hours with data, not the days of the period', () => {
    const pts = Array.from({ length: 96 }, (_, i) => sitePoint(T('2025-03-01T00:00') + i * HALF_HOUR, 1));
    const c = coverageOf(pts, days('2025-03-01T00:00', 30), HALF_HOUR, T('2025-04-01T00:00'));
    expect(c.text).toBe('2 of 30 days have data');
    expect(c.hours_with_data).toBe(48);
    expect(annualisation(c)).toBeCloseTo(8760 / 48, 12);
    expect(annualisationBasis(c)).toBe('period total × 8760 h ÷ 48 h with data (2 of 30 days have data)');
  });

  it('leaves out the part of the period still to come', () => {
    const c = coverageOf([sitePoint(T('2025-03-10T08:00'), 1)], days('2025-03-09T00:00', 3), HALF_HOUR, T('2025-03-10T12:00'));
    expect(c).toMatchObject({ days: 2, days_with_data: 1, hours: 36, hours_with_data: 0.5, text: '1 of 2 days has data' });
  });
});
