/**
 * The simulated members behave like a coworking day (issue 22; docs/simulator.md "Members"):
 * stays of hours, a lunch break, a desk change or two, some days absent, arrivals spread
 * around 08:00–10:00. The model reads no wall clock: every run starts at a fixed instant,
 * the demo's included, so these are fake-clock tests.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSiteYaml } from '../../../devices/site.ts';
import { BuildingModel, demoClockShift, type SimMessage } from '../../../simulators/building.ts';
import { localDay } from '../../../simulators/clock.ts';
import { defaultScenario } from '../../../simulators/scenario.ts';
import { GroundTruth, type TruthSession } from '../../../simulators/truth.ts';
import { capture, repoPath, scenario } from './support.ts';

const HOUR = 3_600_000;
const TZ = 'Europe/London';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface MemberDay {
  member: string;
  date: string;
  sessions: TruthSession[];
}

function memberDays(sessions: readonly TruthSession[]): MemberDay[] {
  const days = new Map<string, MemberDay>();
  for (const s of sessions) {
    const date = localDay(s.arrive, TZ).date;
    const key = `${s.member} ${date}`;
    if (!days.has(key)) days.set(key, { member: s.member, date, sessions: [] });
    days.get(key)!.sessions.push(s);
  }
  return [...days.values()];
}

/** Check-ins (not check-outs) per member and local day, from the published messages. */
function checkInsPerMemberDay(messages: readonly SimMessage[]): number[] {
  const counts = new Map<string, number>();
  for (const m of messages) {
    if (!m.payload.includes('"check_in"')) continue;
    const body = JSON.parse(m.payload) as { member: string };
    const key = `${body.member} ${localDay(m.at, TZ).date}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.values()];
}

describe('a simulated coworking fortnight (demo hub, January)', async () => {
  // Two working weeks, Monday 5 to Friday 16 January 2026.
  const run = await capture(scenario('sites/scenarios/demo.yaml'), '2026-01-05T00:00:00Z', '2026-01-17T00:00:00Z');
  const days = memberDays(run.truth.sessions);
  const visits = days.map((d) => ({ ...d, arrive: Math.min(...d.sessions.map((s) => s.arrive)), leave: Math.max(...d.sessions.map((s) => s.leave!)) }));

  it('has members staying for hours, not minutes', () => {
    expect(median(visits.map((v) => (v.leave - v.arrive) / HOUR))).toBeGreaterThanOrEqual(6);
    const deskSessions = run.truth.sessions.filter((s) => s.desk !== null).map((s) => (s.leave! - s.arrive) / HOUR);
    expect(median(deskSessions)).toBeGreaterThanOrEqual(2);
    expect(deskSessions.filter((h) => h < 0.5).length).toBe(0);
  });

  it('has arrivals spread around 08:00–10:00 local', () => {
    const minutes = visits.map((v) => (v.arrive - localDay(v.arrive, TZ).start) / 60_000);
    const median_ = median(minutes);
    expect(median_).toBeGreaterThanOrEqual(8.5 * 60);
    expect(median_).toBeLessThanOrEqual(9.5 * 60);
    const inWindow = minutes.filter((m) => m >= 8 * 60 && m <= 10 * 60).length / minutes.length;
    expect(inWindow).toBeGreaterThan(0.6);
    expect(inWindow).toBeLessThan(0.95);
  });

  it('has a lunch break on most days and a desk change or two on some', () => {
    const lunched = days.filter((d) => d.sessions.some((s) => s.breaks.length > 0)).length / days.length;
    expect(lunched).toBeGreaterThan(0.4);
    const deskCounts = days.map((d) => new Set(d.sessions.map((s) => s.desk)).size);
    expect(deskCounts.filter((n) => n >= 2).length / days.length).toBeGreaterThan(0.2);
    expect(Math.max(...days.map((d) => d.sessions.length))).toBeLessThanOrEqual(3);
  });

  it('badges a member in at most three times a day (a visit and two desk changes)', () => {
    const counts = checkInsPerMemberDay(run.messages);
    expect(counts.length).toBeGreaterThan(100);
    expect(Math.max(...counts)).toBeLessThanOrEqual(3);
    expect(median(counts)).toBeLessThanOrEqual(2);
  });

  it('has every member absent on some working days', () => {
    const workingDays = 10;
    const daysIn = new Map<string, number>();
    for (const d of days) daysIn.set(d.member, (daysIn.get(d.member) ?? 0) + 1);
    // Members come 1–5 days a week: most miss some of the ten days (the five-day ones do not).
    const missedSome = [...daysIn.values()].filter((n) => n < workingDays).length;
    expect(missedSome).toBeGreaterThan(daysIn.size / 2);
    expect(days.length / (40 * workingDays)).toBeGreaterThan(0.5);
    expect(days.length / (40 * workingDays)).toBeLessThan(0.85);
  });
});

describe('the demo building', () => {
  const site = parseSiteYaml(readFileSync(repoPath('sites/demo.yaml'), 'utf8'));

  /** Runs a demo-mode model from `start` for `hours`, advanced a minute at a time. */
  function runDemo(start: number, hours: number) {
    const truth = new GroundTruth(30 * 60_000, TZ);
    const model = new BuildingModel({ scenario: defaultScenario(site), start, demo: true, truth });
    const messages: SimMessage[] = [];
    const end = start + hours * HOUR;
    for (let t = start; t < end; t += 60_000) messages.push(...model.advance(t).filter((m) => m.device.startsWith('badge-')));
    messages.push(...model.advance(end).filter((m) => m.device.startsWith('badge-')));
    return { truth, messages };
  }

  it('follows the real clock when started in office hours, and shifts into a working day otherwise', () => {
    expect(demoClockShift(Date.parse('2026-01-07T10:00:00Z'), TZ)).toBe(0);
    expect(demoClockShift(Date.parse('2026-01-07T15:29:00Z'), TZ)).toBe(0);
    // 08:30 is too early (most members are not in yet): it reads as 10:30.
    expect(demoClockShift(Date.parse('2026-01-07T08:30:00Z'), TZ)).toBe(2 * HOUR);
    // 03:00 on a Sunday reads as 10:30 that day.
    expect(demoClockShift(Date.parse('2026-01-11T03:00:00Z'), TZ)).toBe(7.5 * HOUR);
    expect(demoClockShift(Date.parse('2026-01-11T20:00:00Z'), TZ)).toBe(-9.5 * HOUR);
  });

  it('is busy within seconds whenever it starts: a third of the members or more check in at once', () => {
    for (const start of ['2026-01-07T10:00:00Z', '2026-01-07T15:29:00Z', '2026-01-07T08:30:00Z', '2026-01-10T23:00:00Z']) {
      const { truth } = runDemo(Date.parse(start), 0.001);
      expect(truth.sessions.filter((s) => s.arrive <= Date.parse(start) + 2_000).length, start).toBeGreaterThanOrEqual(12);
    }
  });

  it('started at night, is a working day: members stay for hours, lunch, change desk, and go home', () => {
    const start = Date.parse('2026-01-11T03:00:00Z');
    const { truth, messages } = runDemo(start, 12);
    const sessions = truth.sessions.filter((s) => s.desk !== null);
    expect(sessions.length).toBeGreaterThan(15);
    const hours = sessions.map((s) => ((s.leave ?? start + 12 * HOUR) - s.arrive) / HOUR);
    expect(median(hours)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...checkInsPerMemberDay(messages))).toBeLessThanOrEqual(3);
    expect(truth.sessions.some((s) => s.breaks.length > 0)).toBe(true);
    // Twelve hours after a 10:30 start the building clock reads 22:30: everyone has left.
    expect(truth.sessions.every((s) => s.leave !== null)).toBe(true);
    // Members who were "in" at start badged in within seconds; the rest came later or not at all.
    const atStart = truth.sessions.filter((s) => s.arrive < start + 2_000).length;
    expect(atStart).toBeGreaterThanOrEqual(10);
    expect(new Set(truth.sessions.map((s) => s.member)).size).toBeLessThan(40);
  });
});
