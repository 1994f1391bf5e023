import { describe, expect, it } from 'vitest';
import { coverageText, dailyCoverage, fullyCovered, hasEnergyData } from '../../../dashboard/src/lib/coverage.ts';

describe('coverage of a period (issue 22: no zero for a missing value)', () => {
  it('counts the days with metered energy and says so in words', () => {
    const c = dailyCoverage([{ kwh_total: 0 }, { kwh_total: 312.4 }, ...Array.from({ length: 28 }, () => ({ kwh_total: 0 }))]);
    expect(c).toEqual({ covered: 1, days: 30 });
    expect(coverageText(c)).toBe('1 of 30 days has data');
    expect(fullyCovered(c)).toBe(false);
    expect(coverageText({ covered: 30, days: 30 })).toBe('30 of 30 days have data');
    expect(fullyCovered({ covered: 30, days: 30 })).toBe(true);
    expect(fullyCovered({ covered: 0, days: 0 })).toBe(false);
  });

  it('reads a zero site energy over hours as no readings', () => {
    expect(hasEnergyData(0)).toBe(false);
    expect(hasEnergyData(0.004)).toBe(true);
  });
});
