/**
 * Dual Scope 2 (METHODOLOGY.md §9), worked by hand. Site: UTC, UK 2025 location-based factors
 * (electricity 0.177, gas 0.183 kgCO2e/kWh). Market-based inputs (test values):
 *  - from 2025-03-01: certificates covering 60 % at 0 kgCO2e/kWh; the rest at the residual
 *    mix, whose latest year is 2024 (0.300 kgCO2e/kWh), so it is flagged as an estimate;
 *  - from 2025-03-15: no certificates, the supplier's own rate 0.050 kgCO2e/kWh.
 */
import { describe, expect, it } from 'vitest';
import type { Carrier } from '../../../devices/kinds.ts';
import { clockOf } from '../../../footprint/clock.ts';
import { M_SITE } from '../../../footprint/schema.ts';
import { marketFactor, scope2Summary, type Scope2Day } from '../../../footprint/scope2.ts';
import { T, latest, makeSite, reading, run } from './helpers.ts';

const MARKET = {
  electricity: {
    periods: [
      { from: '2025-03-01', certificates: { name: 'REGOs (test)', share: 0.6, kgco2e_per_kwh: 0, source: 'test certificate register' } },
      { from: '2025-03-15', supplier: { kgco2e_per_kwh: 0.05, source: 'test supplier fuel mix disclosure' } },
    ],
    residual_mix: [{ year: 2024, kgco2e_per_kwh: 0.3, source: 'test residual mix' }],
  },
};

describe('dual Scope 2 (§9) worked by hand', () => {
  it('location- and market-based from the same metered kWh; gas is Scope 1 only', () => {
    const site = makeSite([
      { id: 'common', kind: 'meter', category: 'common', carrier: 'electricity' },
      { id: 'boiler', kind: 'meter', category: 'heating', carrier: 'gas' },
    ], { market_based: MARKET });
    const { points } = run(site, [
      reading(site, 'common', 'energy_wh', 0, T('2025-03-10T08:00')),
      reading(site, 'common', 'energy_wh', 10_000, T('2025-03-10T18:00')), // 10 kWh on the 10th
      reading(site, 'common', 'energy_wh', 10_000, T('2025-03-20T08:00')),
      reading(site, 'common', 'energy_wh', 14_000, T('2025-03-20T12:00')), // 4 kWh on the 20th
      reading(site, 'boiler', 'energy_wh', 0, T('2025-03-10T08:00')),
      reading(site, 'boiler', 'energy_wh', 20_000, T('2025-03-10T18:00')), // 20 kWh gas on the 10th
    ], T('2025-03-21T00:00'));
    // Days from the engine's site series, as the report builds them.
    const clock = clockOf(site);
    const byDay = new Map<string, Scope2Day>();
    for (const p of latest(points).values()) {
      if (p.measurement !== M_SITE) continue;
      const day = clock.day(p.ts);
      const d = byDay.get(day.key) ?? { key: day.key, year: day.year, kwh: {}, kgco2e: {} };
      const c = p.tags.carrier as Carrier;
      d.kwh[c] = (d.kwh[c] ?? 0) + p.fields.metered_kwh!;
      d.kgco2e[c] = (d.kgco2e[c] ?? 0) + p.fields.kgco2e!;
      byDay.set(day.key, d);
    }
    const s = scope2Summary(site, ['electricity', 'gas'], [...byDay.values()].sort((a, b) => (a.key < b.key ? -1 : 1)));
    // Location-based Scope 2: 14 kWh × 0.177 = 2.478 kgCO2e.
    expect(s.scope2_location_kgco2e).toBeCloseTo(2.478, 12);
    // Market-based: the 10th, 10 kWh × (0.6 × 0 + 0.4 × 0.300) = 1.2; the 20th,
    // 4 kWh × 0.050 = 0.2 → 1.4 kgCO2e.
    expect(s.scope2_market_kgco2e).toBeCloseTo(1.4, 12);
    // Scope 1: 20 kWh gas × 0.183 = 3.66; totals 6.138 (location) and 5.06 (market).
    expect(s.scope1_kgco2e).toBeCloseTo(3.66, 12);
    expect(s.total_location_kgco2e).toBeCloseTo(6.138, 12);
    expect(s.total_market_kgco2e).toBeCloseTo(5.06, 12);
    expect(s.by_carrier.find((l) => l.carrier === 'gas')!.market_kgco2e).toBeNull();
    // Per basis: certificates 6 kWh (0 kg), residual mix 4 kWh (1.2 kg, an estimate: 2024
    // values for 2025 data), supplier 4 kWh (0.2 kg).
    const el = s.by_carrier.find((l) => l.carrier === 'electricity')!;
    expect(el.bases.map((b) => [b.basis, +b.kwh.toFixed(9), +b.kgco2e.toFixed(9), b.estimate])).toEqual([
      ['certificates', 6, 0, false], ['residual_mix', 4, 1.2, true], ['supplier', 4, 0.2, false],
    ]);
    expect(s.market_estimate).toBe(true);
    // Per day (days between without energy have zero).
    expect(s.daily.filter((d) => d.scope2_location_kgco2e > 0).map((d) => [d.key, +d.scope2_market_kgco2e.toFixed(9)])).toEqual([["2025-03-10", 1.2], ["2025-03-20", 0.2]]);
  });

  it('without market-based inputs, market-based falls back to the grid average and says so', () => {
    const site = makeSite([]);
    const f = marketFactor(site, 'electricity', '2025-06-01', 2025);
    // No residual mix in the site file: the last step of the hierarchy, 0.177 (UK DESNZ 2025).
    expect(f.kgco2e_per_kwh).toBeCloseTo(0.177, 12);
    expect(f.parts).toEqual([{ basis: 'grid_average', share: 1, kgco2e_per_kwh: 0.177, source: 'no residual mix in the site file: grid average UK DESNZ 2025', estimate: true }]);
    // Before the first market period the residual mix applies to everything.
    const g = marketFactor(makeSite([], { market_based: MARKET }), 'electricity', '2025-02-10', 2025);
    expect(g.parts.map((p) => p.basis)).toEqual(['residual_mix']);
    expect(g.kgco2e_per_kwh).toBeCloseTo(0.3, 12);
  });
});
