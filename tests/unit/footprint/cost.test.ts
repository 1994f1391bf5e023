/**
 * Energy cost (METHODOLOGY.md §8), worked by hand. Every expected number is derived in the
 * comments from the method, not copied from the engine. Site: UTC unless stated, Δt = 30 min.
 *
 * Test tariff (electricity, GBP): time-of-use 00:00–07:00 £0.10, 07:00–19:00 £0.30,
 * 19:00–24:00 £0.10 per kWh; Climate Change Levy £0.00775/kWh; standing charge £0.50/day;
 * VAT 20 %. From 2025-04-01: flat £0.25/kWh, CCL £0.00801/kWh, standing £0.60/day, VAT 20 %.
 */
import { describe, expect, it } from 'vitest';
import { siteFileSchema } from '../../../devices/site.ts';
import { M_DAY, M_INTERVAL, M_MONTH, M_SITE } from '../../../footprint/schema.ts';
import { T, checkin, latest, makeSite, pointAt, reading, run, sum } from './helpers.ts';
import { prng, randomEvents, randomSite } from './random-site.ts';

export const TEST_TARIFF = {
  source: 'test tariff',
  history: [
    {
      from: '2025-01-01',
      unit_rate: [{ from: '00:00', per_kwh: 0.1 }, { from: '07:00', per_kwh: 0.3 }, { from: '19:00', per_kwh: 0.1 }],
      standing_charge_per_day: 0.5,
      levies: [{ name: 'Climate Change Levy', per_kwh: 0.00775 }],
      vat_rate: 0.2,
    },
    { from: '2025-04-01', unit_rate: 0.25, standing_charge_per_day: 0.6, levies: [{ name: 'Climate Change Levy', per_kwh: 0.00801 }], vat_rate: 0.2 },
  ],
};
const PRICED = { currency: 'GBP', tariffs: { electricity: TEST_TARIFF } };

describe('energy cost (§8) worked by hand', () => {
  it("a member's cost share: direct energy at the band's price, the pool and standing charge by hours", () => {
    const site = makeSite([{ id: 'plug-d1', kind: 'desk_plug', desk: 'd1', carrier: 'electricity' }], PRICED);
    const { points } = run(site, [
      // Counter: flat until 06:00, then 100 Wh in 06–07 and 100 Wh in 07–08, then off.
      reading(site, 'plug-d1', 'energy_wh', 0, T('2025-03-10T00:00')),
      reading(site, 'plug-d1', 'energy_wh', 0, T('2025-03-10T06:00')),
      reading(site, 'plug-d1', 'energy_wh', 100, T('2025-03-10T07:00')),
      reading(site, 'plug-d1', 'energy_wh', 200, T('2025-03-10T08:00')),
      checkin(site, 'm1', 'check_in', T('2025-03-10T07:00'), 'd1'),
      checkin(site, 'm1', 'check_out', T('2025-03-10T08:00')),
      checkin(site, 'm2', 'check_in', T('2025-03-10T07:00')), // entrance badge, no desk
      checkin(site, 'm2', 'check_out', T('2025-03-10T10:00')),
    ], T('2025-03-11T00:00'));
    // 06–07: 0.1 kWh, nobody at d1 → pool, night band £0.10.
    // 07–08: 0.1 kWh direct to m1, day band £0.30.
    // m1 direct cost = 0.1 × (0.30 + 0.00775) × 1.2 = £0.03693.
    // Pooled cost = energy 0.1 × 0.10775 × 1.2 = 0.01293, plus the standing charge
    // 0.50 × 1.2 = 0.60 (48 intervals × 0.50/48) → £0.61293.
    // Hours: m1 1 h, m2 3 h → m1 takes 1/4 = 0.1532325, m2 3/4 = 0.4596975.
    const m1 = pointAt(points, M_DAY, { account: 'm1' }, T('2025-03-10T00:00'))!.fields;
    const m2 = pointAt(points, M_DAY, { account: 'm2' }, T('2025-03-10T00:00'))!.fields;
    expect(m1.cost).toBeCloseTo(0.03693 + 0.1532325, 12); // £0.1901625
    expect(m1.cost_pool).toBeCloseTo(0.1532325, 12);
    expect(m1.cost_electricity).toBeCloseTo(0.1901625, 12);
    expect(m2.cost).toBeCloseTo(0.4596975, 12);
    // The 07:00 interval on its own: 0.05 kWh direct × 0.30775 × 1.2 = £0.018465.
    expect(pointAt(points, M_INTERVAL, { account: 'm1' }, T('2025-03-10T07:00'))!.fields.cost).toBeCloseTo(0.018465, 12);
    // The day's bill, itemised: energy 0.1 × 0.10 + 0.1 × 0.30 = 0.04; CCL 0.2 × 0.00775 = 0.00155;
    // standing 0.50; VAT (0.04 + 0.00155 + 0.50) × 0.2 = 0.10831; total £0.64986 = m1 + m2.
    const bill = (f: string) => sum(points, M_SITE, { carrier: 'electricity' }, f);
    expect(bill('cost_energy')).toBeCloseTo(0.04, 12);
    expect(bill('cost_levies')).toBeCloseTo(0.00155, 12);
    expect(bill('cost_standing')).toBeCloseTo(0.5, 12);
    expect(bill('cost_vat')).toBeCloseTo(0.10831, 12);
    expect(bill('cost')).toBeCloseTo(0.64986, 12);
    expect(Math.abs(m1.cost! + m2.cost! - bill('cost'))).toBeLessThanOrEqual(1e-9 * bill('cost'));
  });

  it('the tariff history: a price applies from its local date (a new rate on 1 April)', () => {
    const site = makeSite([{ id: 'common', kind: 'meter', category: 'common', carrier: 'electricity' }], PRICED);
    const { points } = run(site, [
      reading(site, 'common', 'energy_wh', 0, T('2025-03-31T23:00')),
      reading(site, 'common', 'energy_wh', 200, T('2025-04-01T01:00')),
    ], T('2025-04-01T01:00'));
    // 200 Wh spread over 23:00–01:00: 50 Wh per half hour.
    // 31 March 23:30 (night band, first period): 0.05 × 0.10 = £0.005 energy.
    // 1 April 00:30 (second period, flat): 0.05 × 0.25 = £0.0125 energy, levy 0.05 × 0.00801.
    const at = (iso: string) => pointAt(points, M_SITE, { carrier: 'electricity' }, T(iso))!.fields;
    expect(at('2025-03-31T23:30').cost_energy).toBeCloseTo(0.005, 12);
    expect(at('2025-04-01T00:30').cost_energy).toBeCloseTo(0.0125, 12);
    expect(at('2025-04-01T00:30').cost_levies).toBeCloseTo(0.0004005, 12);
    // Standing charge per interval: 0.50/48 in March, 0.60/48 = £0.0125 in April.
    expect(at('2025-03-31T23:30').cost_standing).toBeCloseTo(0.5 / 48, 12);
    expect(at('2025-04-01T00:30').cost_standing).toBeCloseTo(0.0125, 12);
  });

  it('with nobody present all month, the whole bill stays unallocated and is reported so', () => {
    const site = makeSite([{ id: 'common', kind: 'meter', category: 'common', carrier: 'electricity' }], PRICED);
    const { points } = run(site, [
      reading(site, 'common', 'energy_wh', 0, T('2025-02-28T00:00')),
      reading(site, 'common', 'energy_wh', 1000, T('2025-03-01T00:00')),
    ], T('2025-03-01T00:00'));
    // 28 Feb: 1 kWh spread over the day: 0.5 kWh at £0.10 (00–07 + 19–24 = 12 h) and
    // 0.5 kWh at £0.30 (07–19) → energy £0.20; CCL 1 × 0.00775; standing £0.50;
    // VAT 20 % → (0.20 + 0.00775 + 0.50) × 1.2 = £0.8493, all unallocated.
    const site2 = pointAt(points, M_MONTH, { account: '_site' }, T('2025-02-01T00:00'))!.fields;
    expect(site2.cost_bill_electricity).toBeCloseTo(0.8493, 12);
    expect(site2.cost_unallocated_electricity).toBeCloseTo(0.8493, 12);
    expect(site2.cost_residual_electricity).toBeCloseTo(0, 12);
    expect(pointAt(points, M_DAY, { account: '_unallocated' }, T('2025-02-28T00:00'))!.fields.cost).toBeCloseTo(0.8493, 12);
  });

  it('a site without tariffs writes no cost at all (no zero that reads as free energy)', () => {
    const site = makeSite([{ id: 'common', kind: 'meter', category: 'common', carrier: 'electricity' }]);
    const { points } = run(site, [
      reading(site, 'common', 'energy_wh', 0, T('2025-03-10T08:00')),
      reading(site, 'common', 'energy_wh', 100, T('2025-03-10T09:00')),
      checkin(site, 'm1', 'check_in', T('2025-03-10T08:00')),
      checkin(site, 'm1', 'check_out', T('2025-03-10T09:00')),
    ], T('2025-03-11T00:00'));
    for (const p of points) expect(Object.keys(p.fields).filter((k) => k.startsWith('cost'))).toEqual([]);
  });

  for (const seed of [11, 12, 13]) {
    it(`seed ${seed}: the bill reconciles: Σ member shares + operator + unallocated = the bill, to 1e-9`, () => {
      const rand = prng(seed);
      const base = randomSite(rand);
      const site = siteFileSchema.parse({
        ...base, currency: 'GBP',
        tariffs: { electricity: TEST_TARIFF, gas: { source: 'test', history: [{ from: '2025-01-01', unit_rate: 0.06, standing_charge_per_day: 0.3, levies: [{ name: 'CCL', per_kwh: 0.00672 }], vat_rate: 0.2 }] } },
      });
      // Across the March month end and the London spring-forward day (30 March, 23 h).
      const from = T('2025-03-29T00:00');
      const to = T('2025-04-02T00:00');
      const { points } = run(site, randomEvents(site, rand, from, to), to);
      const pts = [...latest(points).values()];
      const month = pts.find((p) => p.measurement === M_MONTH && p.tags.account === '_site')!.fields;
      for (const c of ['electricity', 'gas'] as const) {
        const bill = month[`cost_bill_${c}`]!;
        expect(bill).toBeGreaterThan(0);
        expect(Math.abs(month[`cost_residual_${c}`]!)).toBeLessThanOrEqual(1e-9 * bill);
        // Independently from the written points: March's day shares (members, operator,
        // _unallocated) against March's interval bills.
        const marchEnd = T('2025-03-31T23:00'); // 1 April 00:00 BST
        const billed = pts.filter((p) => p.measurement === M_SITE && p.tags.carrier === c && p.ts < marchEnd).reduce((a, p) => a + p.fields.cost!, 0);
        const shares = pts.filter((p) => p.measurement === M_DAY && p.ts < marchEnd).reduce((a, p) => a + (p.fields[`cost_${c}`] ?? 0), 0);
        expect(billed).toBeCloseTo(bill, 9);
        expect(Math.abs(shares - billed)).toBeLessThanOrEqual(1e-9 * billed);
      }
      // The 23-hour day carries exactly one day's standing charge: 46 intervals × 0.50/46.
      const spring = pts.filter((p) => p.measurement === M_SITE && p.tags.carrier === 'electricity' && p.ts >= T('2025-03-30T00:00') && p.ts < T('2025-03-30T23:00'));
      expect(spring.length).toBe(46);
      expect(spring.reduce((a, p) => a + p.fields.cost_standing!, 0)).toBeCloseTo(0.5, 12);
    });
  }
});
