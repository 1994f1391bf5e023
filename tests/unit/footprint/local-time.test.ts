/**
 * Days, months and billing periods in the site's local time (METHODOLOGY.md §1, §2 M4, §8),
 * across both DST changes and in 30-minute-offset zones, worked by hand. Europe/London goes
 * to BST at 01:00 UTC on 29 March 2026 (a 23-hour day) and back at 01:00 UTC on 25 October
 * 2026 (a 25-hour day). Asia/Kolkata is UTC+05:30 all year; Australia/Adelaide is UTC+10:30
 * (ACDT) until 03:00 local on 5 April 2026, then UTC+09:30 (ACST).
 */
import { describe, expect, it } from 'vitest';
import { LocalClock, clockOf } from '../../../footprint/clock.ts';
import { M_DAY, M_MONTH, M_SITE } from '../../../footprint/schema.ts';
import { checkinToPoint, readingToPoint } from '../../../footprint/events.ts';
import { recompute } from '../../../footprint/recompute.ts';
import { SqliteStore } from '../../../store/sqlite.ts';
import { T, checkin, latest, makeSite, pointAt, reading, run } from './helpers.ts';

const H = 3_600_000;

describe('the local clock', () => {
  it('London: the spring-forward day lasts 23 h (46 half-hours), the fall-back day 25 h (50)', () => {
    const c = new LocalClock('Europe/London', 30);
    const spring = c.day(T('2026-03-29T12:00'));
    expect(spring).toMatchObject({ key: '2026-03-29', start: T('2026-03-29T00:00'), end: T('2026-03-29T23:00') });
    expect((spring.end - spring.start) / (30 * 60_000)).toBe(46);
    const autumn = c.day(T('2026-10-25T12:00'));
    // 25 October starts at 00:00 BST = 24 Oct 23:00 UTC and ends at 00:00 GMT on the 26th.
    expect(autumn).toMatchObject({ key: '2026-10-25', start: T('2026-10-24T23:00'), end: T('2026-10-26T00:00') });
    expect((autumn.end - autumn.start) / H).toBe(25);
    // 23:30 UTC on 29 March is 00:30 BST on the 30th: the next local day.
    expect(c.day(T('2026-03-29T23:30')).key).toBe('2026-03-30');
  });

  it('billing periods from a start day: local midnight on the 15th, across the October change', () => {
    const c = new LocalClock('Europe/London', 30, 15);
    // 20 October is in the period that began at 00:00 BST on 15 October (14 Oct 23:00 UTC)
    // and ends at 00:00 GMT on 15 November.
    expect(c.periodStart(T('2026-10-20T12:00'))).toBe(T('2026-10-14T23:00'));
    expect(c.nextPeriodStart(T('2026-10-20T12:00'))).toBe(T('2026-11-15T00:00'));
    // 10 October belongs to the period from 15 September (BST).
    expect(c.periodStart(T('2026-10-10T12:00'))).toBe(T('2026-09-14T23:00'));
    // The boundary itself: 23:00 UTC on 14 October is already the new period.
    expect(c.periodStart(T('2026-10-14T23:00'))).toBe(T('2026-10-14T23:00'));
    expect(c.periodStart(T('2026-10-14T22:59'))).toBe(T('2026-09-14T23:00'));
    // Across a year end: 3 January is in the period from 15 December.
    expect(c.periodStart(T('2027-01-03T00:00'))).toBe(T('2026-12-15T00:00'));
    // Start day 1 is the calendar month.
    const m = new LocalClock('Europe/London', 30);
    for (const ts of [T('2026-03-29T00:30'), T('2026-10-31T23:30'), T('2026-12-31T23:59')]) {
      expect(m.periodStart(ts)).toBe(m.monthStart(ts));
      expect(m.nextPeriodStart(ts)).toBe(m.nextMonthStart(ts));
    }
    // clockOf reads the site file's billing start day.
    expect(clockOf(makeSite([], { timezone: 'Europe/London', billing: { start_day: 15 } })).periodStart(T('2026-10-20T12:00'))).toBe(T('2026-10-14T23:00'));
  });

  it('Kolkata (+05:30): days and periods start at 18:30 UTC; half-hours stay on :00 and :30 local', () => {
    const c = new LocalClock('Asia/Kolkata', 30);
    expect(c.day(T('2026-03-01T00:00'))).toMatchObject({ key: '2026-03-01', start: T('2026-02-28T18:30'), end: T('2026-03-01T18:30') });
    expect(c.periodStart(T('2026-03-01T00:00'))).toBe(T('2026-02-28T18:30'));
    // 00:10 UTC is 05:40 IST: its interval starts at 05:30 IST = 00:00 UTC.
    expect(c.intervalStart(T('2026-03-01T00:10'))).toBe(T('2026-03-01T00:00'));
    const q = new LocalClock('Asia/Kolkata', 15);
    // 15-minute grid: 00:10 UTC = 05:40 IST → 05:30 IST; 00:20 UTC = 05:50 IST → 05:45 IST.
    expect(q.intervalStart(T('2026-03-01T00:20'))).toBe(T('2026-03-01T00:15'));
  });

  it('Adelaide (+10:30 → +09:30): the day DST ends lasts 25 h and starts at 13:30 UTC', () => {
    const c = new LocalClock('Australia/Adelaide', 30, 5);
    const d = c.day(T('2026-04-05T06:00'));
    expect(d).toMatchObject({ key: '2026-04-05', start: T('2026-04-04T13:30'), end: T('2026-04-05T14:30') });
    expect((d.end - d.start) / H).toBe(25);
    // A billing period from the 5th starts at that day's local midnight (ACDT).
    expect(c.periodStart(T('2026-04-20T00:00'))).toBe(T('2026-04-04T13:30'));
    // …and the next at 00:00 ACST on 5 May.
    expect(c.nextPeriodStart(T('2026-04-20T00:00'))).toBe(T('2026-05-04T14:30'));
  });
});

const TOU = (bands: [string, number][]) => ({
  currency: 'GBP',
  tariffs: { electricity: { source: 'test', history: [{ from: '2026-01-01', unit_rate: bands.map(([from, per_kwh]) => ({ from, per_kwh })), standing_charge_per_day: 0.46 }] } },
});

describe('the engine on local days across DST (scenarios worked by hand)', () => {
  it('spring forward: the band follows the wall clock, and 46 intervals carry one standing charge', () => {
    const site = makeSite([{ id: 'common', kind: 'meter', category: 'common', carrier: 'electricity' }], { timezone: 'Europe/London', ...TOU([['00:00', 0.1], ['02:00', 0.3]]) });
    const { points } = run(site, [
      reading(site, 'common', 'energy_wh', 0, T('2026-03-29T00:00')),
      reading(site, 'common', 'energy_wh', 3000, T('2026-03-29T03:00')),
    ], T('2026-03-29T23:00'));
    const at = (iso: string) => pointAt(points, M_SITE, { carrier: 'electricity' }, T(iso))!.fields;
    // 1 kWh an hour, 0.5 per half hour. 00:00 and 00:30 UTC are 00:00 and 00:30 GMT: £0.10,
    // 0.05 each. 01:00 UTC is 02:00 BST (01:00–02:00 local does not exist that day): £0.30,
    // 0.15 — priced by elapsed time since midnight (1 h) it would be £0.10.
    expect(at('2026-03-29T00:30').cost_energy).toBeCloseTo(0.05, 12);
    expect(at('2026-03-29T01:00').cost_energy).toBeCloseTo(0.15, 12);
    // Standing charge £0.46 a day over 46 half-hours: £0.01 each, £0.46 for the day.
    const day = [...latest(points).values()].filter((p) => p.measurement === M_SITE);
    expect(day.length).toBe(46);
    expect(at('2026-03-29T01:00').cost_standing).toBeCloseTo(0.01, 12);
    expect(day.reduce((a, p) => a + p.fields.cost_standing!, 0)).toBeCloseTo(0.46, 12);
    // The day of record starts at local midnight, 00:00 UTC (still GMT). Nobody came, so
    // the day's whole cost is unallocated: 1 kWh × £0.10 + 2 kWh × £0.30 + £0.46 = £1.16.
    expect(pointAt(points, M_DAY, { account: '_unallocated' }, T('2026-03-29T00:00'))!.fields.cost).toBeCloseTo(1.16, 12);
  });

  it('fall back: the repeated 01:00 hour is priced twice in the 01:00 band, and 50 intervals carry one standing charge', () => {
    const site = makeSite([{ id: 'common', kind: 'meter', category: 'common', carrier: 'electricity' }], { timezone: 'Europe/London', ...TOU([['00:00', 0.1], ['01:00', 0.2], ['02:00', 0.3]]) });
    const { points } = run(site, [
      reading(site, 'common', 'energy_wh', 0, T('2026-10-24T23:00')),
      reading(site, 'common', 'energy_wh', 3000, T('2026-10-25T02:00')),
    ], T('2026-10-26T00:00'));
    const at = (iso: string) => pointAt(points, M_SITE, { carrier: 'electricity' }, T(iso))!.fields;
    // 23:00 UTC = 00:00 BST: £0.10. 00:00 and 00:30 UTC = 01:00 and 01:30 BST, 01:00 and 01:30
    // UTC = 01:00 and 01:30 GMT: all four £0.20. 02:00 UTC = 02:00 GMT: £0.30 (no data: £0).
    expect(at('2026-10-24T23:30').cost_energy).toBeCloseTo(0.05, 12);
    for (const iso of ['2026-10-25T00:00', '2026-10-25T00:30', '2026-10-25T01:00', '2026-10-25T01:30']) expect(at(iso).cost_energy, iso).toBeCloseTo(0.1, 12);
    const day = [...latest(points).values()].filter((p) => p.measurement === M_SITE);
    expect(day.length).toBe(50);
    // £0.46 over 50 half-hours: £0.0092 each, one day's charge in all.
    expect(at('2026-10-25T01:00').cost_standing).toBeCloseTo(0.0092, 12);
    expect(day.reduce((a, p) => a + p.fields.cost_standing!, 0)).toBeCloseTo(0.46, 12);
    // Energy: the 3 kWh are 1 kWh at £0.10 (23:00–24:00 BST) and 2 kWh at £0.20 (the two
    // 01:00 hours) → £0.50.
    expect(day.reduce((a, p) => a + p.fields.cost_energy!, 0)).toBeCloseTo(0.5, 12);
  });

  it('a billing period from the 15th settles the pool among those present in that period, not the calendar month', () => {
    const site = makeSite([{ id: 'common', kind: 'meter', category: 'common', carrier: 'electricity' }], { timezone: 'Europe/London', billing: { start_day: 15 } });
    const { points, engine } = run(site, [
      // 1 kWh on 20 October 10:00–11:00 BST with nobody present: pooled.
      reading(site, 'common', 'energy_wh', 0, T('2026-10-20T09:00')),
      reading(site, 'common', 'energy_wh', 1000, T('2026-10-20T10:00')),
      checkin(site, 'm2', 'check_in', T('2026-10-14T09:00')), // 14 Oct: the previous period
      checkin(site, 'm2', 'check_out', T('2026-10-14T11:00')),
      checkin(site, 'm1', 'check_in', T('2026-10-21T09:00')), // 2 h in this period
      checkin(site, 'm1', 'check_out', T('2026-10-21T11:00')),
      checkin(site, 'm2', 'check_in', T('2026-11-14T09:00')), // 6 h on its last day (GMT)
      checkin(site, 'm2', 'check_out', T('2026-11-14T15:00')),
    ], T('2026-11-15T00:00'));
    // Period 15 Oct – 14 Nov: pool 1 kWh; hours m1 2, m2 6 → m1 0.25, m2 0.75 (on 14 Nov).
    // A calendar-month pool would give October's 1 kWh to m1 and m2 (2 h each): 0.5 each.
    expect(pointAt(points, M_DAY, { account: 'm1' }, T('2026-10-20T23:00'))!.fields.kwh_pool).toBeCloseTo(0.25, 12);
    expect(pointAt(points, M_DAY, { account: 'm2' }, T('2026-11-14T00:00'))!.fields.kwh_pool).toBeCloseTo(0.75, 12);
    expect(pointAt(points, M_DAY, { account: 'm2' }, T('2026-11-14T00:00'))!.fields.final).toBe(1);
    // The period's M6 point sits at its start, 00:00 BST on 15 October.
    expect(pointAt(points, M_MONTH, { account: '_site' }, T('2026-10-14T23:00'))!.fields.metered_kwh_electricity).toBeCloseTo(1, 12);
    expect(engine.conservation.map((c) => c.month)).toContain('2026-10');
  });

  it('Kolkata: 01:30 IST on 1 March is March (and its day), although it is 28 February in UTC', () => {
    const site = makeSite([{ id: 'common', kind: 'meter', category: 'common', carrier: 'electricity' }], { timezone: 'Asia/Kolkata' });
    const { points } = run(site, [
      // 0.5 kWh on 28 February 15:30–16:30 IST (10:00–11:00 UTC), nobody present: February's pool.
      reading(site, 'common', 'energy_wh', 0, T('2026-02-28T10:00')),
      reading(site, 'common', 'energy_wh', 500, T('2026-02-28T11:00')),
      checkin(site, 'm1', 'check_in', T('2026-02-28T08:30')), // 14:00–15:00 IST, 28 Feb
      checkin(site, 'm1', 'check_out', T('2026-02-28T09:30')),
      checkin(site, 'm2', 'check_in', T('2026-02-28T19:00')), // 00:30–01:30 IST, 1 March
      checkin(site, 'm2', 'check_out', T('2026-02-28T20:00')),
    ], T('2026-03-01T18:30'));
    // February (IST) has only m1's hour: the whole 0.5 kWh is hers. In UTC both would be in
    // February and each get 0.25.
    expect(pointAt(points, M_DAY, { account: 'm1' }, T('2026-02-27T18:30'))!.fields.kwh_pool).toBeCloseTo(0.5, 12);
    const m2 = pointAt(points, M_DAY, { account: 'm2' }, T('2026-02-28T18:30'))!.fields;
    expect(m2.hours).toBeCloseTo(1, 12);
    expect(m2.kwh_pool).toBe(0);
    expect(pointAt(points, M_MONTH, { account: '_site' }, T('2026-01-31T18:30'))!.fields.metered_kwh_electricity).toBeCloseTo(0.5, 12);
  });
});

describe('recompute by billing period', () => {
  it('recomputes the whole period from the 15th that contains the asked-for day, and writes it at its start', async () => {
    const site = makeSite([{ id: 'common', kind: 'meter', category: 'common', carrier: 'electricity' }], { timezone: 'Europe/London', billing: { start_day: 15 } });
    const events = [
      reading(site, 'common', 'energy_wh', 0, T('2026-10-20T09:00')),
      reading(site, 'common', 'energy_wh', 1000, T('2026-10-20T10:00')),
      checkin(site, 'm1', 'check_in', T('2026-11-10T09:00')),
      checkin(site, 'm1', 'check_out', T('2026-11-10T10:00')),
    ];
    const store = new SqliteStore({ file: ':memory:' });
    await store.init();
    try {
      await store.write(events.map((e) => (e.type === 'reading' ? readingToPoint(e.reading) : checkinToPoint(e.checkin))));
      const r = await recompute({ store, site, from: T('2026-10-20T00:00'), to: T('2026-10-21T00:00'), now: T('2026-12-01T00:00') });
      // One period, 00:00 BST 15 October to 00:00 GMT 15 November, closed by `now`.
      expect(r.months).toEqual([{ start: T('2026-10-14T23:00'), end: T('2026-11-15T00:00'), final: true }]);
      // m1's hour on 10 November takes the 20 October pool (1 kWh): the same period.
      const [day] = await store.queryRaw({ measurement: M_DAY, where: { site: 'hub', account: 'm1' }, from: T('2026-11-10T00:00'), to: T('2026-11-11T00:00') });
      expect(day!.fields.kwh_pool).toBeCloseTo(1, 12);
      expect(day!.fields.final).toBe(1);
    } finally {
      await store.close();
    }
  });
});
