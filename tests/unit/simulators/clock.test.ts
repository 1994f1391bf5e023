import { describe, expect, it } from 'vitest';
import { localDay, zonedTime } from '../../../simulators/clock.ts';
import { capture, scenario } from './support.ts';

describe('local time', () => {
  it('knows local days across the clock changes in Europe/London', () => {
    // 29 March 2026: clocks go forward, a 23-hour day; 25 October 2026: back, 25 hours.
    const spring = localDay(Date.parse('2026-03-29T12:00:00Z'), 'Europe/London');
    expect(spring.date).toBe('2026-03-29');
    expect(spring.weekday).toBe(0);
    expect((spring.end - spring.start) / 3_600_000).toBe(23);
    const autumn = localDay(Date.parse('2026-10-25T12:00:00Z'), 'Europe/London');
    expect((autumn.end - autumn.start) / 3_600_000).toBe(25);
    // 00:30 BST on 1 July is 23:30 UTC on 30 June.
    expect(localDay(Date.parse('2026-06-30T23:30:00Z'), 'Europe/London').date).toBe('2026-07-01');
    expect(new Date(zonedTime(2026, 6, 1, 9 * 60, 'Europe/London')).toISOString()).toBe('2026-07-01T08:00:00.000Z');
    expect(new Date(zonedTime(2026, 0, 7, 9 * 60, 'America/New_York')).toISOString()).toBe('2026-01-07T14:00:00.000Z');
  });

  it('has members arrive around 09:00 local time in winter and in summer', async () => {
    const sc = scenario('sites/scenarios/demo.yaml');
    const meanCheckinHourUtc = async (from: string, to: string) => {
      const { truth } = await capture(sc, from, to);
      // Arrivals: each member's first check-in of the day (later ones are desk changes).
      const first = new Map<string, number>();
      for (const c of truth.checkins) if (c.action === 'check_in' && !first.has(c.member)) first.set(c.member, c.ts);
      const hours = [...first.values()].map((ts) => (ts % 86_400_000) / 3_600_000);
      return hours.reduce((a, b) => a + b, 0) / hours.length;
    };
    const winter = await meanCheckinHourUtc('2026-01-07T00:00:00Z', '2026-01-08T00:00:00Z');
    const summer = await meanCheckinHourUtc('2026-07-08T00:00:00Z', '2026-07-09T00:00:00Z');
    expect(winter).toBeGreaterThan(8.3);
    expect(winter).toBeLessThan(9.7);
    expect(winter - summer).toBeGreaterThan(0.6);
    expect(winter - summer).toBeLessThan(1.4);
  });
});
