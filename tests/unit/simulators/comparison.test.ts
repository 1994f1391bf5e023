import { describe, expect, it } from 'vitest';
import { capture, samplesByDevice, scenario } from './support.ts';

/** The comparison needs timetables and energy, not every report: hourly reports keep it quick. */
function coarse(file: string) {
  const base = scenario(file);
  const cadence = Object.fromEntries(Object.keys(base.devices.cadence_s).map((k) => [k, 900])) as typeof base.devices.cadence_s;
  return { ...base, step_s: 30, devices: { ...base.devices, cadence_s: cadence } };
}

describe('coworking vs private offices', () => {
  it('puts the same members on the same timetable in both buildings, each in their own office in the second', async () => {
    const from = '2026-01-05T00:00:00Z';
    const to = '2026-01-10T00:00:00Z';
    const cowork = await capture(coarse('sites/scenarios/demo.yaml'), from, to);
    const offices = await capture(coarse('sites/scenarios/private-offices.yaml'), from, to);
    // A visit runs from the member's first arrival of the day to their last leaving (a desk
    // change in the hub splits it into sessions; nobody changes office).
    const timetable = (sessions: typeof cowork.truth.sessions) => {
      const visits = new Map<string, { arrive: number; leave: number | null }>();
      for (const s of sessions) {
        const key = `${s.member} ${new Date(s.arrive).toISOString().slice(0, 10)}`;
        const v = visits.get(key);
        if (!v) visits.set(key, { arrive: s.arrive, leave: s.leave });
        else v.leave = s.leave;
      }
      return [...visits].map(([key, v]) => `${key} ${v.arrive} ${v.leave}`).sort();
    };
    expect(cowork.truth.sessions.length).toBeGreaterThan(60);
    expect(timetable(offices.truth.sessions)).toEqual(timetable(cowork.truth.sessions));

    // Private offices: member mNN always in office NN; coworking: desks are shared.
    for (const s of offices.truth.sessions) expect(s.desk).toBe(`po${s.member.slice(1)}`);
    const desksPerMember = new Map<string, Set<string>>();
    for (const s of cowork.truth.sessions) if (s.desk) desksPerMember.set(s.member, (desksPerMember.get(s.member) ?? new Set()).add(s.desk));
    expect([...desksPerMember.values()].some((d) => d.size > 1)).toBe(true);

    // An office is heated through office hours whether or not its tenant came in that day.
    const wednesday = Date.parse('2026-01-07T11:00:00Z');
    const present = new Set(offices.truth.sessions.filter((s) => s.arrive <= wednesday && (s.leave ?? Infinity) > wednesday).map((s) => s.member));
    const absent = offices.truth.sessions.map((s) => s.member).find((m) => !present.has(m))!;
    expect(absent).toBeDefined();
    const heat = samplesByDevice(offices.messages).get(`heat-office-${absent.slice(1)}`)!;
    const at11 = heat.find((s) => s.ts >= wednesday)!;
    expect(at11.setpoint_c).toBe(21);
    expect(at11.temperature_c as number).toBeGreaterThan(19.5);

    // Both ground truths give energy per member-day, the figure to compare.
    for (const run of [cowork, offices]) {
      const memberDays = run.truth.memberDays(Date.parse(to)).filter((d) => d.present_h > 0).length;
      const kwh = (run.truth.totalWh('meter-main-el') + run.truth.totalWh('meter-main-gas')) / 1000;
      expect(memberDays).toBeGreaterThan(60);
      expect(kwh / memberDays).toBeGreaterThan(5);
      expect(kwh / memberDays).toBeLessThan(60);
    }
  });
});
