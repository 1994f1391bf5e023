/**
 * A member's check-ins read as sessions (issue 22, member view): where they sat, from when to
 * when. The one place check-in and check-out events are paired for display; the footprint's
 * own presence rules (ingest/footprint/presence.ts) also use the desk sensors and are not
 * this list's business.
 *
 * Pairing, by the check-in rules of METHODOLOGY §1 "Presence" that need no sensor: a session
 * starts at a check-in and ends at the member's next check-out, at their next check-in (a
 * desk change, or a forgotten check-out followed by a new visit), or at the end of the local
 * day (a forgotten check-out). A session still running at `now` is open (`to: null`). A
 * check-out with no check-in before it in the range (the check-in fell before the range) is
 * left out.
 */
import type { MemberCheckinsResponse } from '../devices/api-types.ts';
import type { LocalClock } from '../footprint/clock.ts';

type CheckinEvent = MemberCheckinsResponse['events'][number];
export type CheckinSession = MemberCheckinsResponse['sessions'][number];

/** Sessions from one site's check-in events (any order), newest first. */
export function pairCheckins(events: readonly CheckinEvent[], clock: LocalClock, now: number): CheckinSession[] {
  const sessions: CheckinSession[] = [];
  let open: CheckinEvent | null = null;
  const close = (to: number | null, endedBy: CheckinSession['ended_by']) => {
    const from = open!;
    sessions.push({ site: from.site, desk: from.desk, zone: from.zone, device: from.device, day: clock.day(from.ts).key, from: from.ts, to, ended_by: endedBy });
    open = null;
  };
  for (const e of [...events].sort((a, b) => a.ts - b.ts)) {
    if (open) {
      const dayEnd = clock.day(open.ts).end;
      if (e.ts >= dayEnd) close(dayEnd, 'end_of_day');
    }
    if (e.action === 'check_in') {
      if (open) close(e.ts, 'check_in');
      open = e;
    } else if (open) close(e.ts, 'check_out');
  }
  if (open) {
    const dayEnd = clock.day((open as CheckinEvent).ts).end;
    if (now >= dayEnd) close(dayEnd, 'end_of_day');
    else close(null, null);
  }
  return sessions.reverse();
}
