/**
 * Properties over random buildings (seeded, so a failure reproduces): conservation (M6)
 * holds per site, carrier and month to 1e-9 relative, per interval too, and no allocation
 * is ever negative.
 */
import { describe, expect, it } from 'vitest';
import { M_DAY, M_INTERVAL, M_SITE } from '../../../footprint/schema.ts';
import { T, latest, run } from './helpers.ts';
import { prng, randomEvents, randomSite } from './random-site.ts';

const REL = 1e-9;

describe('footprint properties', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`seed ${seed}: conservation per month and interval; nothing negative`, () => {
      const rand = prng(seed);
      const site = randomSite(rand);
      // Across a month end and the spring-forward DST change (30 March 2025, London).
      const from = T('2025-03-29T00:00');
      const to = T('2025-04-02T00:00');
      const { points, engine } = run(site, randomEvents(site, rand, from, to), to);
      const pts = [...latest(points).values()];

      // M6 over the closed month (March), from the engine's own book-keeping…
      expect(engine.conservation.length).toBeGreaterThan(0);
      for (const c of engine.conservation) {
        expect(c.metered).toBeGreaterThan(0);
        expect(Math.abs(c.residual)).toBeLessThanOrEqual(REL * c.metered);
      }
      // …and independently from the written points, for each month (April provisional):
      // Σ member/operator/unallocated day kWh = Σ metered kWh.
      for (const [mFrom, mTo] of [[from, T('2025-03-31T23:00')], [T('2025-03-31T23:00'), to]] as const) {
        for (const carrier of ['electricity', 'gas']) {
          const inMonth = (p: { ts: number }) => p.ts >= mFrom && p.ts < mTo;
          const metered = pts.filter((p) => p.measurement === M_SITE && p.tags.carrier === carrier && inMonth(p)).reduce((a, p) => a + p.fields.metered_kwh!, 0);
          const allocated = pts.filter((p) => p.measurement === M_DAY && inMonth(p)).reduce((a, p) => a + (p.fields[`kwh_${carrier}`] ?? 0), 0);
          expect(Math.abs(allocated - metered)).toBeLessThanOrEqual(REL * metered);
        }
      }
      // Per interval: accounts + pool = metered.
      const byInterval = new Map<string, number>();
      for (const p of pts) {
        if (p.measurement !== M_INTERVAL) continue;
        const key = `${p.ts}|electricity`;
        byInterval.set(key, (byInterval.get(key) ?? 0) + (p.fields.kwh_electricity ?? 0));
      }
      for (const p of pts) {
        if (p.measurement !== M_SITE || p.tags.carrier !== 'electricity') continue;
        const got = byInterval.get(`${p.ts}|electricity`) ?? 0;
        expect(Math.abs(got - p.fields.metered_kwh!)).toBeLessThanOrEqual(REL * Math.max(p.fields.metered_kwh!, 1e-12));
      }
      // No allocation is negative.
      for (const p of pts) {
        if (p.measurement !== M_INTERVAL && p.measurement !== M_DAY) continue;
        for (const [k, v] of Object.entries(p.fields)) if (k.startsWith('kwh_') || k === 'kgco2e' || k === 'hours') expect(v, `${k} of ${p.tags.account}`).toBeGreaterThanOrEqual(0);
      }
    });
  }
});
