import { describe, expect, it } from 'vitest';
import { pairCheckins } from '../../api/checkin-sessions.ts';
import type { MemberCheckinsResponse } from '../../devices/api-types.ts';
import { LocalClock } from '../../footprint/clock.ts';

const clock = new LocalClock('Europe/London', 30);
// Wednesday 7 January 2026 (London is on UTC in winter).
const at = (hhmm: string, day = '2026-01-07') => Date.parse(`${day}T${hhmm}:00Z`);
const ev = (action: 'check_in' | 'check_out', ts: number, desk: string | null = 'n01'): MemberCheckinsResponse['events'][number] => ({
  site: 'demo', ts, action, desk, zone: desk ? 'north' : null, device: desk ? 'badge-north' : 'badge-entrance',
});

describe('check-ins paired into sessions', () => {
  it('reads a day with a lunch-time desk change as two sessions, newest first', () => {
    const events = [ev('check_in', at('08:52')), ev('check_out', at('12:10')), ev('check_in', at('12:13'), 's04'), ev('check_out', at('17:31'), 's04')];
    const sessions = pairCheckins(events.reverse(), clock, at('20:00'));
    expect(sessions.map((s) => [s.desk, s.from, s.to, s.ended_by, s.day])).toEqual([
      ['s04', at('12:13'), at('17:31'), 'check_out', '2026-01-07'],
      ['n01', at('08:52'), at('12:10'), 'check_out', '2026-01-07'],
    ]);
  });

  it('ends a session at the next check-in when the member moved without checking out', () => {
    const sessions = pairCheckins([ev('check_in', at('09:00')), ev('check_in', at('11:00'), 's02'), ev('check_out', at('16:00'), 's02')], clock, at('20:00'));
    expect(sessions.at(-1)).toMatchObject({ desk: 'n01', from: at('09:00'), to: at('11:00'), ended_by: 'check_in' });
  });

  it('ends a forgotten check-out at local midnight, and keeps today’s session open', () => {
    const events = [ev('check_in', at('09:00')), ev('check_in', at('09:30', '2026-01-08'))];
    const sessions = pairCheckins(events, clock, at('10:00', '2026-01-08'));
    expect(sessions).toHaveLength(2);
    expect(sessions[1]).toMatchObject({ from: at('09:00'), to: Date.parse('2026-01-08T00:00:00Z'), ended_by: 'end_of_day' });
    expect(sessions[0]).toMatchObject({ day: '2026-01-08', from: at('09:30', '2026-01-08'), to: null, ended_by: null });
    // The next morning, yesterday's open session reads as ended at midnight.
    expect(pairCheckins([ev('check_in', at('09:00'))], clock, at('07:00', '2026-01-08'))[0]).toMatchObject({ ended_by: 'end_of_day' });
  });

  it('leaves out a check-out whose check-in fell before the range, and keeps entrance check-ins', () => {
    const sessions = pairCheckins([ev('check_out', at('08:00')), ev('check_in', at('09:00'), null), ev('check_out', at('17:00'), null)], clock, at('20:00'));
    expect(sessions).toEqual([{ site: 'demo', desk: null, zone: null, device: 'badge-entrance', day: '2026-01-07', from: at('09:00'), to: at('17:00'), ended_by: 'check_out' }]);
  });
});
