/**
 * Presence (METHODOLOGY §1 "Presence", "Headcount"): check-in sessions, desk occupancy
 * sensors and the unidentified occupants they reveal, turned into p(k,t) per interval.
 *
 * The tracker is fed in time order. It keeps the sessions and occupied stretches that may
 * still touch an open interval and forgets them once every interval they touch is closed,
 * so its memory follows the number of people present, not the history.
 *
 * A session (member, desk) starts at a check-in and ends at the first of:
 *  - the member's check-out;
 *  - the member's check-in elsewhere (or again);
 *  - the desk's occupancy sensor reporting unoccupied for AUTO_CHECKOUT_MS without a break;
 *    the session then ends when the desk became unoccupied (or at the check-in, if the desk
 *    was already unoccupied then and stayed so);
 *  - the end of the local day.
 * A desk sensor reporting occupied while nobody is checked in at that desk is an
 * unidentified occupant, whose shares go to the operator's account. Occupied stretches also
 * end at the end of the local day; the next `occupied` report starts a new one.
 * A check-in without a (known) desk is an entrance check-in: it counts in N(site) only.
 *
 * Occupancy sensors with a known model (or hold_s / heartbeat_s in the site file):
 *  - a vacancy began the hold time before the sensor reported it (the sensor waits that long
 *    without detecting anyone), so an occupied stretch ends at report − hold;
 *  - a sensor silent for MISSED_HEARTBEAT × its heartbeat has missed a periodic report: its
 *    state is unknown from then until its next report. Unknown is neither occupied (no
 *    unidentified occupant) nor vacant (no auto check-out), and sessions at its desk are
 *    not sensor-confirmed while it lasts (§5 counts those desk-hours as `sensor_unknown`).
 */
import type { LocalClock } from './clock.ts';

/** §1: "unoccupied for 30 min without a break". */
export const AUTO_CHECKOUT_MS = 30 * 60_000;

/** A heartbeat is missed once 1.5 heartbeats pass without a report: half a period's grace for radio retries and duty-cycle delays. */
export const MISSED_HEARTBEAT = 1.5;

/** An occupancy sensor's hold time and heartbeat, ms (devices/kinds.ts occupancyTiming). */
export interface SensorTiming {
  holdMs: number;
  heartbeatMs: number;
}

const NO_TIMING: SensorTiming = { holdMs: 0, heartbeatMs: Infinity };

export type SessionKind = 'desk' | 'entrance';

export interface Session {
  member: string;
  kind: SessionKind;
  desk?: string;
  zone?: string;
  /** The badge reader or app that checked the member in. */
  device: string;
  start: number;
  /** Infinity while open. */
  end: number;
  /** Why it ended (for the export and audits). */
  endedBy?: 'check_out' | 'check_in_elsewhere' | 'unoccupied' | 'end_of_day';
}

interface DeskSensor {
  /** Last reported state; undefined before the first report of the day. */
  occupied: boolean | undefined;
  /** When the current state began. */
  since: number;
  /** Occupied stretches [start, end) that may still touch an open interval. */
  stretches: { start: number; end: number }[];
  /** Stretches with the state unknown after a missed heartbeat; the last is open (end Infinity) while it lasts. */
  unknown: { start: number; end: number }[];
  /** Time of the last report, changed or not. */
  lastReport: number;
  timing: SensorTiming;
}

/** p(k,t) and headcounts for one interval. Accounts, not persons: the operator account
 * gathers every unidentified occupant; sums are linear, so allocation by account equals
 * allocation by person. */
export interface IntervalPresence {
  /** Σ p per account over everyone on site (desk, entrance, unidentified). */
  site: Map<string, number>;
  siteN: number;
  /** Σ p per account at desks of each zone, and N(z,t). */
  zone: Map<string, Map<string, number>>;
  zoneN: Map<string, number>;
  /** Σ p per account at each desk. */
  desk: Map<string, Map<string, number>>;
  /** Hours (p · Δt) for the data-quality block (§5). */
  hours: {
    desk_sessions: number;
    /** Desk sessions at desks that have an occupancy sensor ("sensor-confirmed"). */
    desk_sessions_sensor: number;
    entrance_sessions: number;
    unidentified: number;
    /** Desk-hours with the desk's sensor state unknown after a missed heartbeat. */
    sensor_unknown: number;
  };
}

export class PresenceTracker {
  readonly #clock: LocalClock;
  readonly #operator: string;
  readonly #deskZone: ReadonlyMap<string, string>;
  readonly #sensorDesks: ReadonlySet<string>;
  readonly #timing: ReadonlyMap<string, SensorTiming>;
  /** Open session per member. */
  readonly #open = new Map<string, Session>();
  /** Sessions (open or ended) that may still touch an open interval. */
  #sessions: Session[] = [];
  readonly #sensors = new Map<string, DeskSensor>();
  /** Sessions that ended since the last drain, for the session series. */
  #ended: Session[] = [];
  #nextMidnight = Number.NaN;
  /** Earliest pending auto-check-out; recomputed lazily after a state change. */
  #nextDue = Infinity;
  #dueStale = false;
  /** Earliest missed heartbeat; recomputed lazily after a report of a sensor that has one. */
  #nextMissed = Infinity;
  #missedStale = false;

  constructor(opts: { clock: LocalClock; operator: string; deskZone: ReadonlyMap<string, string>; sensorDesks: ReadonlySet<string>; sensorTiming?: ReadonlyMap<string, SensorTiming> }) {
    this.#clock = opts.clock;
    this.#operator = opts.operator;
    this.#deskZone = opts.deskZone;
    this.#sensorDesks = opts.sensorDesks;
    this.#timing = opts.sensorTiming ?? new Map();
  }

  /**
   * Applies every time-driven rule due at or before `t`: auto check-outs and the end of
   * the local day, in time order. Called before each event and before closing intervals.
   */
  advance(t: number): void {
    if (Number.isNaN(this.#nextMidnight)) this.#nextMidnight = this.#clock.day(t).end;
    for (;;) {
      const due = this.#autoCheckoutDue();
      const missed = this.#heartbeatMissedAt();
      const next = Math.min(due, missed, this.#nextMidnight);
      if (next > t) return;
      if (missed <= due && missed <= this.#nextMidnight) this.#fireMissedHeartbeats(missed);
      else if (due <= this.#nextMidnight) this.#fireAutoCheckouts(due);
      else this.#endOfDay(this.#nextMidnight);
    }
  }

  checkIn(member: string, device: string, desk: string | undefined, ts: number): void {
    this.advance(ts);
    this.#end(member, ts, 'check_in_elsewhere');
    const zone = desk !== undefined ? this.#deskZone.get(desk) : undefined;
    const known = zone !== undefined;
    const s: Session = known
      ? { member, kind: 'desk', desk, zone, device, start: ts, end: Infinity }
      : { member, kind: 'entrance', device, start: ts, end: Infinity };
    this.#open.set(member, s);
    this.#sessions.push(s);
    this.#dueStale = true;
  }

  checkOut(member: string, ts: number): void {
    this.advance(ts);
    this.#end(member, ts, 'check_out');
  }

  occupancy(desk: string, occupied: boolean, ts: number): void {
    this.advance(ts);
    let s = this.#sensors.get(desk);
    if (!s) this.#sensors.set(desk, (s = { occupied: undefined, since: ts, stretches: [], unknown: [], lastReport: ts, timing: this.#timing.get(desk) ?? NO_TIMING }));
    s.lastReport = ts;
    if (s.timing.heartbeatMs !== Infinity) this.#missedStale = true;
    const unknown = s.unknown[s.unknown.length - 1];
    if (unknown && unknown.end === Infinity) unknown.end = ts;
    if (s.occupied === occupied) return;
    let since = ts;
    if (occupied) s.stretches.push({ start: ts, end: Infinity });
    else if (s.occupied === true) {
      // The sensor held "occupied" for its hold time after the last detection.
      const last = s.stretches[s.stretches.length - 1]!;
      last.end = since = Math.max(last.start, ts - s.timing.holdMs);
    }
    s.occupied = occupied;
    s.since = since;
    this.#dueStale = true;
  }

  /** p(k,t) for interval [start, end). Every session end that falls inside it is known. */
  intervalPresence(start: number, end: number): IntervalPresence {
    const dt = end - start;
    const hoursPerP = dt / 3_600_000;
    const out: IntervalPresence = {
      site: new Map(),
      siteN: 0,
      zone: new Map(),
      zoneN: new Map(),
      desk: new Map(),
      hours: { desk_sessions: 0, desk_sessions_sensor: 0, entrance_sessions: 0, unidentified: 0, sensor_unknown: 0 },
    };
    const sessionsAtDesk = new Map<string, { start: number; end: number }[]>();
    for (const s of this.#sessions) {
      const a = Math.max(s.start, start);
      const b = Math.min(s.end, end);
      if (b <= a) continue;
      const p = (b - a) / dt;
      addPresence(out, s.member, p, s.desk, s.zone);
      if (s.desk !== undefined) {
        let list = sessionsAtDesk.get(s.desk);
        if (!list) sessionsAtDesk.set(s.desk, (list = []));
        list.push({ start: a, end: b });
        out.hours.desk_sessions += p * hoursPerP;
        if (this.#sensorDesks.has(s.desk)) {
          // Not confirmed while the desk's sensor state is unknown (a missed heartbeat).
          const known = b - a - coveredMs(this.#sensors.get(s.desk)?.unknown, a, b);
          out.hours.desk_sessions_sensor += (known / dt) * hoursPerP;
        }
      } else {
        out.hours.entrance_sessions += p * hoursPerP;
      }
    }
    // Unidentified occupants: occupied time at a desk not covered by any session there.
    // Desks in id order, so sums come out bit-identical however the map was filled.
    for (const [desk, sensor] of [...this.#sensors].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const zone = this.#deskZone.get(desk);
      if (zone === undefined) continue;
      out.hours.sensor_unknown += coveredMs(sensor.unknown, start, end) / 3_600_000;
      let occupiedMs = 0;
      for (const o of sensor.stretches) {
        const a = Math.max(o.start, start);
        const b = Math.min(o.end, end);
        if (b > a) occupiedMs += b - a - coveredMs(sessionsAtDesk.get(desk), a, b);
      }
      if (occupiedMs <= 0) continue;
      const p = occupiedMs / dt;
      addPresence(out, this.#operator, p, desk, zone);
      out.hours.unidentified += p * hoursPerP;
    }
    return out;
  }

  /** Forgets what can no longer touch an interval at or after `t`. */
  prune(t: number): void {
    this.#sessions = this.#sessions.filter((s) => s.end > t);
    for (const [desk, s] of this.#sensors) {
      s.stretches = s.stretches.filter((o) => o.end > t);
      s.unknown = s.unknown.filter((o) => o.end > t);
      if (s.occupied === undefined && s.stretches.length === 0 && s.unknown.length === 0) this.#sensors.delete(desk);
    }
  }

  /** Sessions that ended since the last call. */
  drainEnded(): Session[] {
    const out = this.#ended;
    this.#ended = [];
    return out;
  }

  /** Open sessions and tracked desks, for the memory check in tests. */
  get size(): { sessions: number; sensors: number } {
    return { sessions: this.#sessions.length, sensors: this.#sensors.size };
  }

  #end(member: string, ts: number, why: NonNullable<Session['endedBy']>): void {
    const s = this.#open.get(member);
    if (!s) return;
    s.end = Math.max(s.start, ts);
    s.endedBy = why;
    this.#open.delete(member);
    this.#ended.push(s);
    this.#dueStale = true;
  }

  /** When the earliest open desk session's desk will have been unoccupied for 30 min. */
  #autoCheckoutDue(): number {
    if (!this.#dueStale) return this.#nextDue;
    let due = Infinity;
    for (const s of this.#open.values()) {
      const d = this.#sessionDue(s);
      if (d < due) due = d;
    }
    this.#nextDue = due;
    this.#dueStale = false;
    return due;
  }

  #sessionDue(s: Session): number {
    if (s.desk === undefined) return Infinity;
    const sensor = this.#sensors.get(s.desk);
    if (!sensor || sensor.occupied !== false) return Infinity;
    return Math.max(sensor.since, s.start) + AUTO_CHECKOUT_MS;
  }

  #fireAutoCheckouts(due: number): void {
    for (const s of [...this.#open.values()]) {
      if (this.#sessionDue(s) <= due) this.#end(s.member, this.#sessionDue(s) - AUTO_CHECKOUT_MS, 'unoccupied');
    }
  }

  /** When the first sensor with a known state misses its heartbeat. */
  #heartbeatMissedAt(): number {
    if (!this.#missedStale) return this.#nextMissed;
    this.#missedStale = false;
    let at = Infinity;
    for (const s of this.#sensors.values()) {
      if (s.occupied === undefined || s.timing.heartbeatMs === Infinity) continue;
      const missed = s.lastReport + MISSED_HEARTBEAT * s.timing.heartbeatMs;
      if (missed < at) at = missed;
    }
    return (this.#nextMissed = at);
  }

  #fireMissedHeartbeats(at: number): void {
    for (const s of this.#sensors.values()) {
      if (s.occupied === undefined || s.lastReport + MISSED_HEARTBEAT * s.timing.heartbeatMs > at) continue;
      const last = s.stretches[s.stretches.length - 1];
      if (s.occupied && last && last.end === Infinity) last.end = at;
      s.occupied = undefined;
      s.since = at;
      s.unknown.push({ start: at, end: Infinity });
    }
    this.#dueStale = true;
    this.#missedStale = true;
  }

  #endOfDay(midnight: number): void {
    for (const member of [...this.#open.keys()]) this.#end(member, midnight, 'end_of_day');
    for (const s of this.#sensors.values()) {
      const last = s.stretches[s.stretches.length - 1];
      if (last && last.end === Infinity) last.end = midnight;
      const unknown = s.unknown[s.unknown.length - 1];
      if (unknown && unknown.end === Infinity) unknown.end = midnight;
      s.occupied = undefined;
      this.#missedStale = true;
      s.since = midnight;
    }
    this.#dueStale = true;
    this.#nextMidnight = this.#clock.day(midnight).end;
  }
}

function addPresence(out: IntervalPresence, account: string, p: number, desk: string | undefined, zone: string | undefined): void {
  out.site.set(account, (out.site.get(account) ?? 0) + p);
  out.siteN += p;
  if (desk === undefined || zone === undefined) return;
  let atDesk = out.desk.get(desk);
  if (!atDesk) out.desk.set(desk, (atDesk = new Map()));
  atDesk.set(account, (atDesk.get(account) ?? 0) + p);
  let inZone = out.zone.get(zone);
  if (!inZone) out.zone.set(zone, (inZone = new Map()));
  inZone.set(account, (inZone.get(account) ?? 0) + p);
  out.zoneN.set(zone, (out.zoneN.get(zone) ?? 0) + p);
}

/** Length of [a, b) covered by the union of `spans`. */
function coveredMs(spans: { start: number; end: number }[] | undefined, a: number, b: number): number {
  if (!spans || spans.length === 0) return 0;
  const clipped = spans
    .map((s) => ({ start: Math.max(s.start, a), end: Math.min(s.end, b) }))
    .filter((s) => s.end > s.start)
    .sort((x, y) => x.start - y.start);
  let total = 0;
  let curStart = -Infinity;
  let curEnd = -Infinity;
  for (const s of clipped) {
    if (s.start > curEnd) {
      if (curEnd > curStart) total += curEnd - curStart;
      curStart = s.start;
      curEnd = s.end;
    } else if (s.end > curEnd) curEnd = s.end;
  }
  if (curEnd > curStart) total += curEnd - curStart;
  return total;
}
