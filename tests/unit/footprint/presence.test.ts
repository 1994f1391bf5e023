/**
 * Presence sessions (METHODOLOGY §1) and the local clock. Expected hours are worked out
 * from the session rules by hand.
 */
import { describe, expect, it } from 'vitest';
import { LocalClock } from '../../../footprint/clock.ts';
import { M_INTERVAL, M_PRESENCE, M_SESSION } from '../../../footprint/schema.ts';
import { T, checkin, makeSite, reading, run, sum } from './helpers.ts';

const site = makeSite([
  { id: 'occ-d1', kind: 'desk_occupancy', desk: 'd1' },
  { id: 'occ-d2', kind: 'desk_occupancy', desk: 'd2' },
]);
const END = T('2025-03-11T00:00');
const hoursOf = (points: ReturnType<typeof run>['points'], account: string) => sum(points, M_INTERVAL, { account }, 'hours');

describe('presence sessions', () => {
  it('ends a session after 30 min unoccupied, at the moment the desk became unoccupied', () => {
    const { points } = run(site, [
      checkin(site, 'm1', 'check_in', T('2025-03-10T09:00'), 'd1'),
      reading(site, 'occ-d1', 'occupied', 1, T('2025-03-10T09:01')),
      reading(site, 'occ-d1', 'occupied', 0, T('2025-03-10T10:00')),
      reading(site, 'occ-d1', 'occupied', 0, T('2025-03-10T10:20')),
      reading(site, 'occ-d1', 'occupied', 0, T('2025-03-10T10:40')),
    ], END);
    // Unoccupied from 10:00 without a break until past 10:30 → the session ends at 10:00: 1 h.
    expect(hoursOf(points, 'm1')).toBeCloseTo(1, 12);
    const s = points.find((p) => p.measurement === M_SESSION)!;
    expect(s.fields.end).toBe(T('2025-03-10T10:00'));
  });

  it('keeps the session through a break shorter than 30 min', () => {
    const { points } = run(site, [
      checkin(site, 'm1', 'check_in', T('2025-03-10T09:00'), 'd1'),
      reading(site, 'occ-d1', 'occupied', 1, T('2025-03-10T09:00')),
      reading(site, 'occ-d1', 'occupied', 0, T('2025-03-10T10:00')),
      reading(site, 'occ-d1', 'occupied', 1, T('2025-03-10T10:20')), // back after 20 min
      checkin(site, 'm1', 'check_out', T('2025-03-10T11:00')),
    ], END);
    expect(hoursOf(points, 'm1')).toBeCloseTo(2, 12);
    // The desk stays occupied after the check-out with nobody checked in: 11:00 → midnight
    // is an unidentified occupant (13 h) for the operator.
    expect(hoursOf(points, 'operator')).toBeCloseTo(13, 12);
  });

  it('ends the previous session at a check-in elsewhere, and every session at local midnight', () => {
    const { points } = run(site, [
      checkin(site, 'm1', 'check_in', T('2025-03-10T09:00'), 'd1'),
      checkin(site, 'm1', 'check_in', T('2025-03-10T10:30'), 'd3'), // moves: d1 ends at 10:30
      checkin(site, 'm2', 'check_in', T('2025-03-10T20:00')), // entrance, never checks out
    ], T('2025-03-11T06:00'));
    // m1: 1.5 h at d1 + 13.5 h at d3 until midnight = 15 h; m2: 20:00–24:00 = 4 h.
    expect(hoursOf(points, 'm1')).toBeCloseTo(15, 12);
    expect(hoursOf(points, 'm2')).toBeCloseTo(4, 12);
    const sessions = points.filter((p) => p.measurement === M_SESSION).map((p) => [p.tags.member, p.tags.kind, p.tags.desk ?? '-', p.fields.hours]);
    expect(sessions).toEqual(expect.arrayContaining([['m1', 'desk', 'd1', 1.5], ['m1', 'desk', 'd3', 13.5], ['m2', 'entrance', '-', 4]]));
  });

  it('counts sensor-confirmed desk-hours apart from unconfirmed ones (§5)', () => {
    const { points } = run(site, [
      checkin(site, 'm1', 'check_in', T('2025-03-10T09:00'), 'd1'), // d1 has a sensor
      checkin(site, 'm1', 'check_out', T('2025-03-10T11:00')),
      checkin(site, 'm2', 'check_in', T('2025-03-10T09:00'), 'd3'), // d3 has none
      checkin(site, 'm2', 'check_out', T('2025-03-10T10:00')),
    ], END);
    expect(sum(points, M_PRESENCE, {}, 'desk_session_hours')).toBeCloseTo(3, 12);
    expect(sum(points, M_PRESENCE, {}, 'desk_session_hours_sensor')).toBeCloseTo(2, 12);
  });
});

describe('local clock', () => {
  it('aligns intervals to local wall time across DST (Europe/London)', () => {
    const c = new LocalClock('Europe/London', 30);
    // 09:00 BST on 2025-06-02 is 08:00 UTC and starts an interval.
    expect(c.intervalStart(T('2025-06-02T08:10'))).toBe(T('2025-06-02T08:00'));
    // Spring forward (30 March 2025): the local day has 23 h = 46 half-hours.
    const spring = c.day(T('2025-03-30T12:00'));
    expect((spring.end - spring.start) / c.intervalMs).toBe(46);
    expect(spring.start).toBe(T('2025-03-30T00:00'));
    // Fall back (26 October 2025): 25 h = 50 half-hours; the day starts at 23:00 UTC the day before.
    const fall = c.day(T('2025-10-26T12:00'));
    expect((fall.end - fall.start) / c.intervalMs).toBe(50);
    expect(fall.start).toBe(T('2025-10-25T23:00'));
    expect(c.monthStart(T('2025-07-15T12:00'))).toBe(T('2025-06-30T23:00'));
  });

  it('aligns to a half-hour zone on a 15-minute grid', () => {
    const c = new LocalClock('Asia/Kolkata', 15); // UTC+05:30
    expect(c.intervalStart(T('2025-06-02T03:40'))).toBe(T('2025-06-02T03:30'));
    expect(c.day(T('2025-06-02T03:40')).start).toBe(T('2025-06-01T18:30'));
  });

  it('ends sessions at local midnight, not UTC midnight', () => {
    const london = makeSite([], { timezone: 'Europe/London' });
    const { points } = run(london, [checkin(london, 'm1', 'check_in', T('2025-06-02T20:00'))], T('2025-06-03T06:00'));
    // 21:00 BST check-in; local midnight is 23:00 UTC → 3 h.
    expect(hoursOf(points, 'm1')).toBeCloseTo(3, 12);
  });
});

describe('occupancy sensor semantics: hold time and heartbeat (issue 19)', () => {
  // A Milesight VS341 (hold 60 s, heartbeat 20 min) at d1; d2's sensor has no model (no heartbeat rule).
  const modelled = makeSite([
    { id: 'occ-d1', kind: 'desk_occupancy', desk: 'd1', model: 'milesight-vs341' },
    { id: 'occ-d2', kind: 'desk_occupancy', desk: 'd2' },
  ]);
  const presenceOf = (points: ReturnType<typeof run>['points'], field: string) => sum(points, M_PRESENCE, {}, field);

  it('treats a sensor silent past 1.5 heartbeats as unknown, not occupied: the unidentified occupant ends there', () => {
    const { points } = run(modelled, [
      reading(modelled, 'occ-d1', 'occupied', 1, T('2025-03-10T09:00')),
      reading(modelled, 'occ-d2', 'occupied', 1, T('2025-03-10T09:00')),
      // Both sensors go silent (battery out, gateway down).
    ], END);
    // d1: occupied until 09:00 + 1.5 × 20 min = 09:30, then unknown until midnight (14.5 h);
    // d2 (no heartbeat known): occupied until midnight, 15 h. Both unidentified, operator's.
    expect(hoursOf(points, 'operator')).toBeCloseTo(0.5 + 15, 9);
    expect(presenceOf(points, 'sensor_unknown_hours')).toBeCloseTo(14.5, 9);
  });

  it('still checks a member out after 30 min of reported vacancy, counted from the hold-corrected time', () => {
    const { points } = run(modelled, [
      checkin(modelled, 'm1', 'check_in', T('2025-03-10T09:00'), 'd1'),
      reading(modelled, 'occ-d1', 'occupied', 1, T('2025-03-10T09:00')),
      reading(modelled, 'occ-d1', 'occupied', 0, T('2025-03-10T09:25')),
      reading(modelled, 'occ-d1', 'occupied', 0, T('2025-03-10T09:45')), // heartbeat, 20 min
      checkin(modelled, 'm1', 'check_out', T('2025-03-10T12:00')),
    ], END);
    // Vacant since 09:24 (09:25 − 60 s hold), reported again at 09:45: 30 min vacant at 09:54,
    // before the heartbeat would be missed (09:45 + 30 min): checked out at 09:24.
    const s = points.find((p) => p.measurement === M_SESSION)!;
    expect(s.fields.end).toBe(T('2025-03-10T09:24'));
  });

  it('keeps the session when the heartbeat is missed before 30 min of vacancy, and does not count that time as sensor-confirmed', () => {
    const hb = makeSite([{ id: 'occ-d1', kind: 'desk_occupancy', desk: 'd1', heartbeat_s: 600 }]);
    const { points } = run(hb, [
      checkin(hb, 'm1', 'check_in', T('2025-03-10T09:00'), 'd1'),
      ...[0, 10, 20, 30, 40, 50].map((m) => reading(hb, 'occ-d1', 'occupied', 1, T('2025-03-10T09:00') + m * 60_000)), // a report every heartbeat
      reading(hb, 'occ-d1', 'occupied', 0, T('2025-03-10T10:00')),
      // Silent: heartbeat 10 min, missed at 10:15, before 10:30 (30 min vacant). Unknown ≠ vacant.
      checkin(hb, 'm1', 'check_out', T('2025-03-10T11:00')),
    ], END);
    const s = points.find((p) => p.measurement === M_SESSION)!;
    expect(s.fields.end).toBe(T('2025-03-10T11:00'));
    expect(hoursOf(points, 'm1')).toBeCloseTo(2, 9);
    // 09:00–10:15 confirmed (1.25 h); 10:15–11:00 the sensor's state is unknown.
    expect(presenceOf(points, 'desk_session_hours_sensor')).toBeCloseTo(1.25, 9);
    expect(presenceOf(points, 'sensor_unknown_hours')).toBeCloseTo(13.75, 9);
  });

  it('ends an occupied stretch the hold time before the sensor reported vacant', () => {
    const { points } = run(modelled, [
      reading(modelled, 'occ-d1', 'occupied', 1, T('2025-03-10T09:00')),
      reading(modelled, 'occ-d1', 'occupied', 1, T('2025-03-10T09:20')), // heartbeats
      reading(modelled, 'occ-d1', 'occupied', 1, T('2025-03-10T09:40')),
      reading(modelled, 'occ-d1', 'occupied', 0, T('2025-03-10T10:01')),
    ], END);
    // VS341 holds 60 s: the person left at 10:00.
    expect(hoursOf(points, 'operator')).toBeCloseTo(1, 9);
  });
});
