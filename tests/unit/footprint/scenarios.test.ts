/**
 * Hand-worked scenarios (METHODOLOGY.md §1–4). Every expected number is derived in the
 * comments from the method, not copied from the engine. Site: UTC, Δt = 30 min,
 * max_gap 15 min, UK 2025 factors (electricity 0.177, gas 0.183 kgCO2e/kWh).
 */
import { describe, expect, it } from 'vitest';
import { allocateInterval } from '../../../footprint/allocate.ts';
import { baselineDay, factorSetFor } from '../../../footprint/emissions.ts';
import { M_DAY, M_INTERVAL, M_MONTH, M_SITE } from '../../../footprint/schema.ts';
import { T, checkin, constantPower, makeSite, pointAt, reading, run, sum, UK_2025 } from './helpers.ts';

const DAY = { site: 'hub' };
const el = 'kwh_electricity';

describe('footprint scenarios worked by hand', () => {
  it('one member at one desk: direct while present, standby to the pool, pool back by hours', () => {
    const site = makeSite([{ id: 'plug-d1', kind: 'desk_plug', desk: 'd1', carrier: 'electricity' }]);
    const { points } = run(site, [
      ...constantPower(site, 'plug-d1', 45, T('2025-03-10T08:00'), T('2025-03-10T12:00')),
      checkin(site, 'm1', 'check_in', T('2025-03-10T09:10'), 'd1'),
      checkin(site, 'm1', 'check_out', T('2025-03-10T11:00')),
    ], T('2025-03-11T00:00'));
    // Plug: 45 W × 4 h (08–12) = 0.180 kWh. m1 present 09:10–11:00: direct 45 W × 110 min
    // = 0.0825. Standby 0.180 − 0.0825 = 0.0975 goes to the pool (including the 10 min of
    // the 09:00 interval before the check-in); m1 is the only person this month, so gets it all.
    const day = pointAt(points, M_DAY, { account: 'm1' }, T('2025-03-10T00:00'))!;
    expect(day.fields.kwh_direct).toBeCloseTo(0.0825, 12);
    expect(day.fields.kwh_pool).toBeCloseTo(0.0975, 12);
    expect(day.fields[el]).toBeCloseTo(0.18, 12);
    expect(day.fields.hours).toBeCloseTo(110 / 60, 12);
    // Carbon: 0.180 kWh × 0.177 = 0.03186 kgCO2e.
    expect(day.fields.kgco2e).toBeCloseTo(0.03186, 12);
    expect(day.fields.final).toBe(0); // March is still open at the end of the data
    // The 09:00 interval alone: p = 20/30, so direct = 45 W × 0.5 h × 2/3 = 0.015 kWh and
    // 0.0075 kWh standby to the pool.
    expect(pointAt(points, M_INTERVAL, { account: 'm1' }, T('2025-03-10T09:00'))!.fields.kwh_direct).toBeCloseTo(0.015, 12);
    expect(pointAt(points, M_INTERVAL, { account: '_pool' }, T('2025-03-10T09:00'))!.fields[el]).toBeCloseTo(0.0075, 12);
  });

  it('two members sharing a zone at different hours split the lights by presence (M3)', () => {
    const site = makeSite([{ id: 'light-z1', kind: 'zone_lighting', zone: 'z1', carrier: 'electricity' }]);
    const { points } = run(site, [
      ...constantPower(site, 'light-z1', 200, T('2025-03-10T08:00'), T('2025-03-10T18:00')),
      checkin(site, 'm1', 'check_in', T('2025-03-10T09:00'), 'd1'),
      checkin(site, 'm1', 'check_out', T('2025-03-10T13:00')),
      checkin(site, 'm2', 'check_in', T('2025-03-10T11:00'), 'd2'),
      checkin(site, 'm2', 'check_out', T('2025-03-10T15:00')),
    ], T('2025-03-11T00:00'));
    // 200 W = 0.2 kWh per hour. N(z1): 09–11 one, 11–13 two, 13–15 one, else nobody.
    // m1 shared: 2 h × 0.2 + 2 h × 0.2 / 2 = 0.6; m2 the same by symmetry.
    // Pool: 08–09 and 15–18, 4 h × 0.2 = 0.8, shared 4 h : 4 h → 0.4 each.
    for (const m of ['m1', 'm2']) {
      const d = pointAt(points, M_DAY, { account: m }, T('2025-03-10T00:00'))!;
      expect(d.fields.kwh_shared).toBeCloseTo(0.6, 12);
      expect(d.fields.kwh_pool).toBeCloseTo(0.4, 12);
      expect(d.fields[el]).toBeCloseTo(1.0, 12);
    }
    // In the 11:30 interval both are present: 0.1 kWh / 2 = 0.05 each.
    expect(pointAt(points, M_INTERVAL, { account: 'm2' }, T('2025-03-10T11:30'))!.fields.kwh_shared).toBeCloseTo(0.05, 12);
  });

  it("an empty zone's energy goes to the pool, then to whoever was present (gas counter)", () => {
    const site = makeSite([{ id: 'heat-z2', kind: 'zone_heating', zone: 'z2', carrier: 'gas' }]);
    const { points } = run(site, [
      ...[0, 1000, 2000, 3000, 4000].map((wh, i) => reading(site, 'heat-z2', 'energy_wh', wh, T('2025-03-10T08:00') + i * 3_600_000)),
      checkin(site, 'm1', 'check_in', T('2025-03-10T09:00'), 'd1'),
      checkin(site, 'm1', 'check_out', T('2025-03-10T11:00')),
    ], T('2025-03-11T00:00'));
    // Counter 0 → 4000 Wh over 08–12 = 4 kWh of gas, nobody in z2: all pooled; m1 is the
    // only person with hours, so gets 4 kWh × 0.183 = 0.732 kgCO2e.
    const d = pointAt(points, M_DAY, { account: 'm1' }, T('2025-03-10T00:00'))!;
    expect(d.fields.kwh_gas).toBeCloseTo(4, 12);
    expect(d.fields.kwh_shared).toBe(0);
    expect(d.fields.kgco2e).toBeCloseTo(0.732, 12);
    expect(sum(points, M_SITE, { carrier: 'gas' }, 'pool_kwh')).toBeCloseTo(4, 12);
  });

  it('a standby plug with nobody at its desk is pooled, not charged to a neighbour', () => {
    const site = makeSite([
      { id: 'plug-d1', kind: 'desk_plug', desk: 'd1', carrier: 'electricity' },
      { id: 'plug-d2', kind: 'desk_plug', desk: 'd2', carrier: 'electricity' },
    ]);
    const { points } = run(site, [
      ...constantPower(site, 'plug-d2', 10, T('2025-03-10T08:00'), T('2025-03-10T12:00')),
      checkin(site, 'm1', 'check_in', T('2025-03-10T09:00'), 'd1'),
      checkin(site, 'm1', 'check_out', T('2025-03-10T10:00')),
      checkin(site, 'm2', 'check_in', T('2025-03-10T09:00'), 'd3'),
      checkin(site, 'm2', 'check_out', T('2025-03-10T12:00')),
    ], T('2025-03-11T00:00'));
    // plug-d2: 10 W × 4 h = 0.040 kWh, nobody ever at d2 → all standby → pool.
    // Hours: m1 1 h, m2 3 h → m1 0.040 × 1/4 = 0.010, m2 0.030. No direct for anyone.
    expect(sum(points, M_INTERVAL, { account: '_pool' }, el)).toBeCloseTo(0.04, 12);
    expect(pointAt(points, M_DAY, { account: 'm1' }, T('2025-03-10T00:00'))!.fields).toMatchObject({ kwh_direct: 0 });
    expect(pointAt(points, M_DAY, { account: 'm1' }, T('2025-03-10T00:00'))!.fields[el]).toBeCloseTo(0.01, 12);
    expect(pointAt(points, M_DAY, { account: 'm2' }, T('2025-03-10T00:00'))!.fields[el]).toBeCloseTo(0.03, 12);
  });

  it("an unidentified occupant takes shares for the operator's account, never a member's", () => {
    const site = makeSite([
      { id: 'plug-d1', kind: 'desk_plug', desk: 'd1', carrier: 'electricity' },
      { id: 'occ-d1', kind: 'desk_occupancy', desk: 'd1' },
    ]);
    const { points } = run(site, [
      ...constantPower(site, 'plug-d1', 100, T('2025-03-10T09:00'), T('2025-03-10T12:00')),
      reading(site, 'occ-d1', 'occupied', 1, T('2025-03-10T10:00')),
      reading(site, 'occ-d1', 'occupied', 0, T('2025-03-10T11:00')),
      checkin(site, 'm2', 'check_in', T('2025-03-10T09:00')), // entrance badge: site level only
      checkin(site, 'm2', 'check_out', T('2025-03-10T12:00')),
    ], T('2025-03-11T00:00'));
    // Plug 100 W × 3 h = 0.3 kWh. Desk occupied 10–11 with nobody checked in: the
    // unidentified occupant's direct share 0.1 kWh → operator. Standby 0.2 → pool.
    // Hours: operator 1 h, m2 3 h (an entrance check-in counts for H) → 0.05 and 0.15.
    const op = pointAt(points, M_DAY, { account: 'operator' }, T('2025-03-10T00:00'))!;
    const m2 = pointAt(points, M_DAY, { account: 'm2' }, T('2025-03-10T00:00'))!;
    expect(op.fields.kwh_direct).toBeCloseTo(0.1, 12);
    expect(op.fields.kwh_pool).toBeCloseTo(0.05, 12);
    expect(m2.fields.kwh_direct).toBe(0);
    expect(m2.fields.kwh_pool).toBeCloseTo(0.15, 12);
    expect(op.fields.baseline_kgco2e_central).toBeUndefined(); // the operator gets no baseline
  });

  it('a counter reset is energy since the reset, never negative', () => {
    const site = makeSite([{ id: 'plug-d1', kind: 'desk_plug', desk: 'd1', carrier: 'electricity' }]);
    const { points } = run(site, [
      reading(site, 'plug-d1', 'energy_wh', 1000, T('2025-03-10T08:00')),
      reading(site, 'plug-d1', 'energy_wh', 1100, T('2025-03-10T09:00')),
      reading(site, 'plug-d1', 'energy_wh', 50, T('2025-03-10T10:00')), // reset: 50 Wh since
      reading(site, 'plug-d1', 'energy_wh', 150, T('2025-03-10T11:00')),
      checkin(site, 'm1', 'check_in', T('2025-03-10T09:00'), 'd1'),
      checkin(site, 'm1', 'check_out', T('2025-03-10T10:00')),
    ], T('2025-03-11T00:00'));
    // 08–09: 100 Wh, 09–10: 50 Wh (the reset reading itself), 10–11: 100 Wh → 0.25 kWh.
    expect(sum(points, M_SITE, { carrier: 'electricity' }, 'metered_kwh')).toBeCloseTo(0.25, 12);
    // Spread uniformly: 25 Wh in each half hour of 09–10; m1 was there for both.
    expect(pointAt(points, M_SITE, { carrier: 'electricity' }, T('2025-03-10T09:30'))!.fields.metered_kwh).toBeCloseTo(0.025, 12);
    expect(pointAt(points, M_DAY, { account: 'm1' }, T('2025-03-10T00:00'))!.fields.kwh_direct).toBeCloseTo(0.05, 12);
    for (const p of points) if (p.measurement === M_SITE) expect(p.fields.metered_kwh).toBeGreaterThanOrEqual(0);
  });

  it('power is integrated by trapezoids split at boundaries; a gap longer than max_gap is missing', () => {
    const site = makeSite([{ id: 'meter-c', kind: 'meter', category: 'common', carrier: 'electricity' }]);
    const { points } = run(site, [
      reading(site, 'meter-c', 'power_w', 0, T('2025-03-10T08:24')),
      reading(site, 'meter-c', 'power_w', 120, T('2025-03-10T08:36')),
      reading(site, 'meter-c', 'power_w', 120, T('2025-03-10T08:45')),
      // 30 min of silence (> max_gap 15 min): 08:45–09:15 missing
      reading(site, 'meter-c', 'power_w', 120, T('2025-03-10T09:15')),
      reading(site, 'meter-c', 'power_w', 120, T('2025-03-10T09:25')),
    ], T('2025-03-10T10:00'));
    const at = (iso: string) => pointAt(points, M_SITE, { carrier: 'electricity' }, T(iso))!.fields;
    // 08:24→08:36 (12 min ≤ max_gap) rises 0 → 120 W; at 08:30 the line is at 60 W.
    // 08:00 interval: (0 + 60)/2 W × 6 min = 3 Wh.  08:30 interval: (60 + 120)/2 × 6 min = 9 Wh,
    // plus 08:36–08:45 at 120 W = 18 Wh → 27 Wh.
    expect(at('2025-03-10T08:00').metered_kwh).toBeCloseTo(0.003, 12);
    expect(at('2025-03-10T08:30').metered_kwh).toBeCloseTo(0.027, 12);
    // The gap: 08:45–09:00 in the 08:30 interval (15 min × 120 W = 30 Wh expected),
    // 09:00–09:15 in the 09:00 interval (30 Wh expected); 09:15–09:25 measured 20 Wh.
    expect(at('2025-03-10T08:30').missing_kwh).toBeCloseTo(0.03, 12);
    expect(at('2025-03-10T08:30').missing_devices).toBe(1);
    expect(at('2025-03-10T09:00').metered_kwh).toBeCloseTo(0.02, 12);
    // After 09:25 the meter is silent until the end of the data (10:00): 35 min > max_gap,
    // so 09:25–09:30 (10 Wh) and the whole 09:30 interval (60 Wh) are missing:
    // the 09:00 interval's missing energy is 30 + 10 = 40 Wh.
    expect(at('2025-03-10T09:00').missing_kwh).toBeCloseTo(0.04, 12);
    expect(at('2025-03-10T09:30').missing_kwh).toBeCloseTo(0.06, 12);
    expect(at('2025-03-10T09:30').metered_kwh).toBe(0);
  });

  it('a main meter residual goes to the pool; a negative one is clamped and flagged', () => {
    const site = makeSite([
      { id: 'plug-d1', kind: 'desk_plug', desk: 'd1', carrier: 'electricity' },
      { id: 'light-z1', kind: 'zone_lighting', zone: 'z1', carrier: 'electricity' },
      { id: 'main-el', kind: 'meter', category: 'main', carrier: 'electricity' },
    ]);
    const events = [
      ...constantPower(site, 'main-el', 1000, T('2025-03-10T08:00'), T('2025-03-10T10:00')),
      ...constantPower(site, 'light-z1', 200, T('2025-03-10T08:00'), T('2025-03-10T10:00')),
      ...constantPower(site, 'plug-d1', 100, T('2025-03-10T08:00'), T('2025-03-10T10:00')),
      // Second day: the main meter reads less than the sub-meters.
      ...constantPower(site, 'main-el', 200, T('2025-03-11T08:00'), T('2025-03-11T10:00')),
      ...constantPower(site, 'light-z1', 200, T('2025-03-11T08:00'), T('2025-03-11T10:00')),
      ...constantPower(site, 'plug-d1', 100, T('2025-03-11T08:00'), T('2025-03-11T10:00')),
      checkin(site, 'm1', 'check_in', T('2025-03-10T08:00'), 'd1'),
      checkin(site, 'm1', 'check_out', T('2025-03-10T10:00')),
      checkin(site, 'm1', 'check_in', T('2025-03-11T08:00'), 'd1'),
      checkin(site, 'm1', 'check_out', T('2025-03-11T10:00')),
    ];
    const { points, engine } = run(site, events, T('2025-04-01T00:00'));
    // Day 1: main 1000 W × 2 h = 2.0 kWh; subs 0.4 + 0.2 = 0.6; residual 1.4 → pool.
    // m1 direct 0.2, shared 0.4.
    const day1 = { from: T('2025-03-10T00:00'), to: T('2025-03-11T00:00') };
    const siteSum = (field: string, from: number, to: number) =>
      points.filter((p) => p.measurement === M_SITE && p.ts >= from && p.ts < to).reduce((a, p) => a + (p.fields[field] ?? 0), 0);
    expect(siteSum('residual_kwh', day1.from, day1.to)).toBeCloseTo(1.4, 12);
    expect(siteSum('metered_kwh', day1.from, day1.to)).toBeCloseTo(2.0, 12);
    // Day 2: main 0.4 kWh < subs 0.6: residual −0.2 clamped to 0 and flagged; metered = subs 0.6.
    expect(siteSum('clamped_kwh', day1.to, day1.to + 86_400_000)).toBeCloseTo(0.2, 12);
    expect(siteSum('residual_kwh', day1.to, day1.to + 86_400_000)).toBe(0);
    expect(siteSum('metered_kwh', day1.to, day1.to + 86_400_000)).toBeCloseTo(0.6, 12);
    // March closed: m1 (the only person) carries the whole pool, 1.4 kWh; the month's
    // metered total 2.6 kWh is fully allocated: 0.4 direct + 0.8 shared + 1.4 pool.
    expect(sum(points, M_MONTH, { account: 'm1' }, 'kwh_pool_electricity')).toBeCloseTo(1.4, 12);
    const cons = engine.conservation.find((c) => c.carrier === 'electricity')!;
    expect(cons.metered).toBeCloseTo(2.6, 12);
    expect(Math.abs(cons.residual) / cons.metered).toBeLessThan(1e-9);
    expect(cons.clamped).toBeCloseTo(0.2, 12);
    expect(pointAt(points, M_DAY, { account: 'm1' }, day1.from)!.fields.final).toBe(1);
  });

  it('a month boundary splits a counter difference and closes March with final pool shares', () => {
    const site = makeSite([{ id: 'heat-z2', kind: 'zone_heating', zone: 'z2', carrier: 'gas' }]);
    const { points } = run(site, [
      reading(site, 'heat-z2', 'energy_wh', 0, T('2025-03-31T22:30')),
      reading(site, 'heat-z2', 'energy_wh', 2000, T('2025-04-01T00:30')),
      reading(site, 'heat-z2', 'energy_wh', 3000, T('2025-04-01T01:30')),
      checkin(site, 'm1', 'check_in', T('2025-03-31T10:00'), 'd1'),
      checkin(site, 'm1', 'check_out', T('2025-03-31T12:00')),
      checkin(site, 'm1', 'check_in', T('2025-04-01T10:00'), 'd1'),
      checkin(site, 'm1', 'check_out', T('2025-04-01T11:00')),
      checkin(site, 'm2', 'check_in', T('2025-04-01T10:00'), 'd2'),
      checkin(site, 'm2', 'check_out', T('2025-04-01T13:00')),
    ], T('2025-04-02T00:00'));
    // 2000 Wh spread over 22:30–00:30: 1.5 h in March → 1.5 kWh; 0.5 h in April → 0.5 kWh;
    // plus 1.0 kWh over 00:30–01:30 in April: April pool 1.5 kWh.
    // March: m1 alone (2 h) → 1.5 kWh, final. April so far: m1 1 h, m2 3 h → 0.375 / 1.125, provisional.
    const mar = pointAt(points, M_DAY, { account: 'm1' }, T('2025-03-31T00:00'))!;
    expect(mar.fields.kwh_gas).toBeCloseTo(1.5, 12);
    expect(mar.fields.final).toBe(1);
    const aprM1 = pointAt(points, M_DAY, { account: 'm1' }, T('2025-04-01T00:00'))!;
    const aprM2 = pointAt(points, M_DAY, { account: 'm2' }, T('2025-04-01T00:00'))!;
    expect(aprM1.fields.kwh_gas).toBeCloseTo(0.375, 12);
    expect(aprM2.fields.kwh_gas).toBeCloseTo(1.125, 12);
    expect(aprM1.fields.final).toBe(0);
    expect(pointAt(points, M_MONTH, { account: '_site' }, T('2025-03-01T00:00'))!.fields.metered_kwh_gas).toBeCloseTo(1.5, 12);
  });

  it('spreads a member’s pool share over the month’s days by their hours on each day', () => {
    const site = makeSite([{ id: 'heat-z2', kind: 'zone_heating', zone: 'z2', carrier: 'gas' }]);
    const { points } = run(site, [
      reading(site, 'heat-z2', 'energy_wh', 0, T('2025-03-01T00:00')),
      reading(site, 'heat-z2', 'energy_wh', 6000, T('2025-04-01T00:00')),
      checkin(site, 'm1', 'check_in', T('2025-03-03T09:00'), 'd1'),
      checkin(site, 'm1', 'check_out', T('2025-03-03T10:00')),
      checkin(site, 'm1', 'check_in', T('2025-03-20T09:00'), 'd1'),
      checkin(site, 'm1', 'check_out', T('2025-03-20T11:00')),
    ], T('2025-04-01T00:00'));
    // March pool: 6 kWh of gas, m1 the only person (3 h): 6 kWh, spread 1 h : 2 h → 2 and 4.
    expect(pointAt(points, M_DAY, { account: 'm1' }, T('2025-03-03T00:00'))!.fields.kwh_gas).toBeCloseTo(2, 12);
    expect(pointAt(points, M_DAY, { account: 'm1' }, T('2025-03-20T00:00'))!.fields.kwh_gas).toBeCloseTo(4, 12);
  });

  it('keeps the pool unallocated in a month nobody attended', () => {
    const site = makeSite([{ id: 'heat-z2', kind: 'zone_heating', zone: 'z2', carrier: 'gas' }]);
    const { points, engine } = run(site, [
      reading(site, 'heat-z2', 'energy_wh', 0, T('2025-02-01T00:00')),
      reading(site, 'heat-z2', 'energy_wh', 2800, T('2025-03-01T00:00')),
    ], T('2025-03-01T00:00'));
    // 2.8 kWh over 28 days, 0.1 kWh a day, all unallocated.
    expect(sum(points, M_DAY, { account: '_unallocated' }, 'kwh_gas')).toBeCloseTo(2.8, 12);
    expect(pointAt(points, M_DAY, { account: '_unallocated' }, T('2025-02-10T00:00'))!.fields.kwh_gas).toBeCloseTo(0.1, 12);
    expect(engine.conservation[0]!.unallocated).toBeCloseTo(2.8, 12);
  });

  it('reproduces the baseline check of METHODOLOGY §4 (2.245 kgCO2e) and its range', () => {
    // E_el = 95·0.7·15/232 + 0.360 = 4.660; E_fuel = 120·15/232 = 7.759;
    // C_base = 4.660·0.177 + 7.759·0.183 = 2.245.
    const central = baselineDay(makeSite([]).baseline, UK_2025, 'central', 8, 0.36);
    expect(central.el_kwh).toBeCloseTo(4.660, 3);
    expect(central.fuel_kwh).toBeCloseTo(7.759, 3);
    expect(central.kgco2e).toBeCloseTo(2.245, 3);
    // Low (10 m², s_sp 0.44): (95·0.56·10/232 + 0.36)·0.177 + 120·10/232·0.183 = 1.416.
    expect(baselineDay(makeSite([]).baseline, UK_2025, 'low', 8, 0.36).kgco2e).toBeCloseTo(1.416, 3);
    // High (30 m², s_sp 0.13): (95·0.87·30/232 + 0.36)·0.177 + 120·30/232·0.183 = 4.795.
    expect(baselineDay(makeSite([]).baseline, UK_2025, 'high', 8, 0.36).kgco2e).toBeCloseTo(4.795, 3);
    // f caps at h_std: 10 h present credits one office-day, 4 h half of the fixed part.
    expect(baselineDay(makeSite([]).baseline, UK_2025, 'central', 10, 0.36).kgco2e).toBeCloseTo(2.245, 3);
    expect(baselineDay(makeSite([]).baseline, UK_2025, 'central', 4, 0).kgco2e).toBeCloseTo((4.29957 * 0.177 + 7.75862 * 0.183) / 2, 4);
  });

  it('a member-day of 8 h with 45 W at the desk gets the 2.245 kgCO2e baseline and avoided = base − actual', () => {
    const site = makeSite([{ id: 'plug-d1', kind: 'desk_plug', desk: 'd1', carrier: 'electricity' }]);
    const { points } = run(site, [
      ...constantPower(site, 'plug-d1', 45, T('2025-03-10T09:00'), T('2025-03-10T17:00')),
      checkin(site, 'm1', 'check_in', T('2025-03-10T09:00'), 'd1'),
      checkin(site, 'm1', 'check_out', T('2025-03-10T17:00')),
    ], T('2025-03-11T00:00'));
    const d = pointAt(points, M_DAY, { account: 'm1' }, T('2025-03-10T00:00'))!.fields;
    // 45 W × 8 h = 0.360 kWh direct; actual 0.360 × 0.177 = 0.06372 kgCO2e.
    expect(d.kwh_direct).toBeCloseTo(0.36, 12);
    expect(d.baseline_kgco2e_central).toBeCloseTo(2.245, 3);
    expect(d.avoided_kgco2e_central).toBeCloseTo(d.baseline_kgco2e_central! - 0.06372, 12);
    expect(d.reduction_central).toBeCloseTo((d.baseline_kgco2e_central! - 0.06372) / d.baseline_kgco2e_central!, 12);
    // The interval accruals add up to the day's baseline.
    expect(sum(points, M_INTERVAL, { account: 'm1' }, 'baseline_kgco2e_central')).toBeCloseTo(d.baseline_kgco2e_central!, 12);
  });

  it('adds the supplementary grid-intensity figure beside the annual-factor one (§3)', () => {
    const site = makeSite([
      { id: 'plug-d1', kind: 'desk_plug', desk: 'd1', carrier: 'electricity' },
      { id: 'grid', kind: 'grid_feed' },
    ]);
    const { points } = run(site, [
      ...constantPower(site, 'plug-d1', 100, T('2025-03-10T09:00'), T('2025-03-10T10:00')),
      ...constantPower(site, 'plug-d1', 100, T('2025-03-10T11:30'), T('2025-03-10T12:00')),
      reading(site, 'grid', 'grid_intensity_g_per_kwh', 200, T('2025-03-10T09:00')),
      reading(site, 'grid', 'grid_intensity_g_per_kwh', 300, T('2025-03-10T09:30')),
      checkin(site, 'm1', 'check_in', T('2025-03-10T09:00'), 'd1'),
      checkin(site, 'm1', 'check_out', T('2025-03-10T10:00')),
      checkin(site, 'm1', 'check_in', T('2025-03-10T11:30'), 'd1'),
      checkin(site, 'm1', 'check_out', T('2025-03-10T12:00')),
    ], T('2025-03-11T00:00'));
    const at = (iso: string) => pointAt(points, M_INTERVAL, { account: 'm1' }, T(iso))!.fields;
    // 100 W × 0.5 h = 0.05 kWh per interval: 0.05 × 0.177 = 0.00885 kg with the annual
    // factor; beside it 0.05 × 200 g = 0.010 kg, then 0.05 × 300 g = 0.015 kg.
    expect(at('2025-03-10T09:00').kgco2e).toBeCloseTo(0.00885, 12);
    expect(at('2025-03-10T09:00').grid_kgco2e).toBeCloseTo(0.01, 12);
    expect(at('2025-03-10T09:30').grid_kgco2e).toBeCloseTo(0.015, 12);
    // At 12:00 the last intensity (09:30) is 2.5 h old, older than 2 h: no grid figure.
    expect(at('2025-03-10T11:30').grid_kgco2e).toBeUndefined();
    expect(at('2025-03-10T11:30').kgco2e).toBeCloseTo(0.00885, 12);
  });

  it("uses each year's factor set for that year's data", () => {
    const f2026 = { ...UK_2025, name: 'Test 2026', year: 2026, electricity: 0.15 };
    const site = makeSite([{ id: 'plug-d1', kind: 'desk_plug', desk: 'd1', carrier: 'electricity' }], { factors: [UK_2025, f2026] });
    const { points } = run(site, [
      ...constantPower(site, 'plug-d1', 100, T('2025-12-31T23:00'), T('2026-01-01T01:00')),
      checkin(site, 'm1', 'check_in', T('2025-12-31T23:00'), 'd1'),
      checkin(site, 'm1', 'check_in', T('2026-01-01T00:00'), 'd1'), // the day ended at midnight
      checkin(site, 'm1', 'check_out', T('2026-01-01T01:00')),
    ], T('2026-01-02T00:00'));
    // 0.1 kWh on each side of midnight: 0.1 × 0.177 in 2025, 0.1 × 0.150 in 2026.
    expect(pointAt(points, M_DAY, { account: 'm1' }, T('2025-12-31T00:00'))!.fields.kgco2e).toBeCloseTo(0.0177, 12);
    expect(pointAt(points, M_DAY, { account: 'm1' }, T('2026-01-01T00:00'))!.fields.kgco2e).toBeCloseTo(0.015, 12);
    // No 2027 set: the latest earlier one; before every set: the earliest.
    expect(factorSetFor(site.factors, 2027).name).toBe('Test 2026');
    expect(factorSetFor(site.factors, 2020).name).toBe('UK DESNZ 2025');
  });

  it('uses the counter of a device that reports both power and a counter', () => {
    const site = makeSite([{ id: 'plug-d1', kind: 'desk_plug', desk: 'd1', carrier: 'electricity' }]);
    const events = [];
    for (let i = 0; i <= 12; i++) {
      const t = T('2025-03-10T09:00') + i * 5 * 60_000;
      events.push(reading(site, 'plug-d1', 'power_w', 1000, t)); // would give 1 kWh in the hour
      events.push(reading(site, 'plug-d1', 'energy_wh', 500 + 10 * i, t)); // 10 Wh per 5 min
    }
    const { points } = run(site, events, T('2025-03-11T00:00'));
    // The counter rises 120 Wh over 09:00–10:00: 0.12 kWh, not the 1 kWh the power implies.
    expect(sum(points, M_SITE, { carrier: 'electricity' }, 'metered_kwh')).toBeCloseTo(0.12, 12);
  });

  it('splits a desk by p/Σp, without standby, when two people are checked in at it', () => {
    const presence = {
      site: new Map([['m1', 1], ['m2', 1]]), siteN: 2,
      zone: new Map([['z1', new Map([['m1', 1], ['m2', 1]])]]), zoneN: new Map([['z1', 2]]),
      desk: new Map([['d1', new Map([['m1', 1], ['m2', 1]])]]),
      hours: { desk_sessions: 1, desk_sessions_sensor: 0, entrance_sessions: 0, unidentified: 0, sensor_unknown: 0 },
    };
    const out = allocateInterval([{ device: 'plug-d1', role: 'desk', carrier: 'electricity', desk: 'd1', zone: 'z1', kwh: 0.1 }], presence, ['electricity'], new Set());
    const b = out.get('electricity')!;
    // Σp = 2 > 1: 0.1 kWh × 1/2 each, nothing left for standby (never negative).
    expect(b.direct.get('m1')).toBeCloseTo(0.05, 15);
    expect(b.direct.get('m2')).toBeCloseTo(0.05, 15);
    expect(b.pool).toBe(0);
  });
});
