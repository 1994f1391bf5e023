/**
 * The `TimeSeriesStore` contract, written once and run against every implementation
 * (sqlite-store.test.ts, influx-store.test.ts), like aedes-persistence's abstract suite.
 * Each test gets a fresh, empty store from `makeStore` and cleans it up.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { queryAggregatesOf, queryRollupGeneric, rollupHours } from '../../store/rollup.ts';
import { AGGREGATES, QueryRefusedError, seriesKey, type Aggregate, type Point, type RollupQuery, type Tags, type TimeSeriesStore } from '../../store/types.ts';

export interface StoreUnderTest {
  store: TimeSeriesStore;
  cleanup(): Promise<void>;
}

const MIN = 60_000;
const HOUR = 60 * MIN;
/** Monday 5 January 2026 10:00 UTC: whole hours, so 15-minute windows start on it. */
const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);

function reading(desk: string, zone: string, ts: number, power_w: number, extra: Record<string, number> = {}): Point {
  return { measurement: 'readings', tags: { site: 'demo', zone, desk, device: `plug-${desk}` }, fields: { power_w, ...extra }, ts };
}

/** What each aggregate must give for a window's values in time order. */
function expectedAggregate(fn: Aggregate, values: number[]): number {
  switch (fn) {
    case 'mean': return values.reduce((a, b) => a + b, 0) / values.length;
    case 'sum': return values.reduce((a, b) => a + b, 0);
    case 'min': return Math.min(...values);
    case 'max': return Math.max(...values);
    case 'first': return values[0]!;
    case 'last': return values.at(-1)!;
    case 'count': return values.length;
  }
}

/** Three desks over three 15-minute windows; d3 is in another zone. Values are not whole. */
function fixture(): Point[] {
  const pts: Point[] = [];
  const desks: [string, string][] = [['d1', 'z1'], ['d2', 'z1'], ['d3', 'z2']];
  desks.forEach(([desk, zone], i) => {
    for (let m = 0; m < 45; m += 4) {
      // d2 has nothing in the second window: windows without data must not appear.
      if (desk === 'd2' && m >= 15 && m < 30) continue;
      pts.push(reading(desk, zone, T0 + m * MIN + i * 1000, 10 * (i + 1) + m * 0.25));
    }
  });
  return pts;
}

function sortRaw(points: Point[]): Point[] {
  return [...points].sort((a, b) => a.ts - b.ts || seriesKey(a.measurement, a.tags).localeCompare(seriesKey(b.measurement, b.tags)));
}

export function describeStoreContract(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  describe(`TimeSeriesStore contract: ${name}`, () => {
    let sut: StoreUnderTest;
    let store: TimeSeriesStore;

    beforeEach(async () => {
      sut = await makeStore();
      store = sut.store;
      await store.init();
    });

    afterEach(async () => {
      await sut.cleanup();
    });

    it('init is idempotent and an empty store answers with empty results', async () => {
      await store.init();
      expect(await store.queryRaw({ measurement: 'readings', from: 0, to: T0 + HOUR })).toEqual([]);
      expect(
        await store.queryAggregate({ measurement: 'readings', field: 'power_w', from: 0, to: T0 + HOUR, every: HOUR, fn: 'mean' }),
      ).toEqual([]);
      const h = store.health();
      expect(h.kind).toBe(store.kind);
      expect(h.state).toBe('ok');
    });

    it('returns written points in ascending time order with their tags and fields', async () => {
      const pts = [
        reading('d2', 'z1', T0 + 2_000, 40.5, { energy_wh: 1200.25 }),
        reading('d1', 'z1', T0, 12.5, { energy_wh: 1000 }),
        reading('d1', 'z1', T0 + 1_000, 13.75, { energy_wh: 1000.5 }),
      ];
      await store.write(pts);
      const raw = await store.queryRaw({ measurement: 'readings', from: T0, to: T0 + MIN });
      expect(raw).toEqual(sortRaw(pts));
      const h = store.health();
      expect(h.written).toBe(3);
      expect(h.queueDepth).toBe(0);
      expect(h.spoolBytes).toBe(0);
    });

    it('keeps fields float: a whole number first does not make the field integer', async () => {
      await store.write([reading('d1', 'z1', T0, 12)]);
      await store.write([reading('d1', 'z1', T0 + 1_000, 12.5), reading('d1', 'z1', T0 + 2_000, -0.125)]);
      const raw = await store.queryRaw({ measurement: 'readings', from: T0, to: T0 + MIN });
      expect(raw.map((p) => p.fields.power_w)).toEqual([12, 12.5, -0.125]);
      const [mean] = await store.queryAggregate({ measurement: 'readings', field: 'power_w', from: T0, to: T0 + MIN, every: MIN, fn: 'mean' });
      expect(mean!.points[0]!.value).toBeCloseTo((12 + 12.5 - 0.125) / 3, 9);
      expect(store.health().dropped).toEqual({});
    });

    it('overwrites an identical point (same measurement, tags and time), whatever the tag order', async () => {
      await store.write([{ measurement: 'readings', tags: { site: 'demo', desk: 'd1' }, fields: { power_w: 1, energy_wh: 5 }, ts: T0 }]);
      await store.write([{ measurement: 'readings', tags: { desk: 'd1', site: 'demo' }, fields: { power_w: 2 }, ts: T0 }]);
      await store.write([{ measurement: 'readings', tags: { desk: 'd1', site: 'demo' }, fields: { power_w: 2 }, ts: T0 }]);
      const raw = await store.queryRaw({ measurement: 'readings', from: T0, to: T0 + 1 });
      // Field by field, as InfluxDB does: power_w replaced, energy_wh kept.
      expect(raw).toEqual([{ measurement: 'readings', tags: { site: 'demo', desk: 'd1' }, fields: { power_w: 2, energy_wh: 5 }, ts: T0 }]);
      const [count] = await store.queryAggregate({ measurement: 'readings', field: 'power_w', from: T0, to: T0 + HOUR, every: HOUR, fn: 'count' });
      expect(count!.points).toEqual([{ ts: T0, value: 1 }]);
    });

    it('treats from as inclusive and to as exclusive', async () => {
      const from = T0 + 10 * MIN;
      const to = T0 + 20 * MIN;
      await store.write([from - 1, from, to - 1, to].map((ts, i) => reading('d1', 'z1', ts, i + 0.5)));
      const raw = await store.queryRaw({ measurement: 'readings', from, to });
      expect(raw.map((p) => p.ts)).toEqual([from, to - 1]);
      const [sum] = await store.queryAggregate({ measurement: 'readings', field: 'power_w', from, to, every: HOUR, fn: 'sum' });
      expect(sum!.points).toEqual([{ ts: T0, value: 1.5 + 2.5 }]);
      expect(await store.queryRaw({ measurement: 'readings', from: to, to: from })).toEqual([]);
    });

    it.each(AGGREGATES.map((fn) => [fn]))('aggregates %s per epoch-aligned window, grouped by tag and filtered', async (fn) => {
      const pts = fixture();
      await store.write(pts);
      // `from` inside the first window: windows still start on epoch-aligned boundaries.
      const from = T0 + 2 * MIN;
      const to = T0 + 45 * MIN;
      const every = 15 * MIN;
      const got = await store.queryAggregate({ measurement: 'readings', field: 'power_w', from, to, every, fn, where: { zone: 'z1' }, by: ['desk'] });

      const expected = ['d1', 'd2'].map((desk) => {
        const windows = new Map<number, number[]>();
        for (const p of pts) {
          if (p.tags.desk !== desk || p.ts < from || p.ts >= to) continue;
          const w = p.ts - (p.ts % every);
          windows.set(w, [...(windows.get(w) ?? []), p.fields.power_w!]);
        }
        return {
          tags: { desk },
          points: [...windows.entries()].sort((a, b) => a[0] - b[0]).map(([ts, values]) => ({ ts, value: expectedAggregate(fn, values) })),
        };
      });
      expect(got.map((s) => s.tags)).toEqual(expected.map((s) => s.tags));
      expect(got[1]!.points.map((p) => p.ts)).toEqual([T0, T0 + 30 * MIN]);
      for (let i = 0; i < expected.length; i++) {
        expect(got[i]!.points.map((p) => p.ts)).toEqual(expected[i]!.points.map((p) => p.ts));
        got[i]!.points.forEach((p, j) => expect(p.value).toBeCloseTo(expected[i]!.points[j]!.value, 9));
      }
    });

    it('answers several aggregates of a field at once (queryAggregates) as one query each would', async () => {
      await store.write(fixture());
      const q = { measurement: 'readings', field: 'power_w', from: T0 + 2 * MIN, to: T0 + 45 * MIN, every: 15 * MIN, where: { site: 'demo' }, by: ['zone', 'desk'] };
      const fns = ['max', 'first', 'mean', 'count', 'last', 'min', 'sum'] as const;
      // Both stores answer in one pass (one SQLite scan, one InfluxQL statement), not through the fallback.
      expect(store.queryAggregates).toBeTypeOf('function');
      const got = await store.queryAggregates!({ ...q, fns });
      expect(got).toHaveLength(fns.length);
      for (const [i, fn] of fns.entries()) expect(got[i], fn).toEqual(await store.queryAggregate({ ...q, fn }));
      // The fallback, one query an aggregate, answers the same.
      expect(await queryAggregatesOf({ queryAggregate: (one) => store.queryAggregate(one) }, { ...q, fns })).toEqual(got);
      // Nothing to answer: an empty answer for each aggregate, still in order.
      expect(await store.queryAggregates!({ ...q, field: 'nothing', fns })).toEqual(fns.map(() => []));
    });

    it('aggregates across series without grouping, and groups by several tags with a list filter', async () => {
      await store.write(fixture());
      const all = await store.queryAggregate({ measurement: 'readings', field: 'power_w', from: T0, to: T0 + HOUR, every: HOUR, fn: 'count' });
      expect(all).toEqual([{ tags: {}, points: [{ ts: T0, value: fixture().length }] }]);

      const picked = await store.queryAggregate({
        measurement: 'readings',
        field: 'power_w',
        from: T0,
        to: T0 + HOUR,
        every: HOUR,
        fn: 'max',
        where: { desk: ['d1', 'd3'], site: 'demo' },
        by: ['zone', 'desk'],
      });
      const maxOf = (desk: string) => Math.max(...fixture().filter((p) => p.tags.desk === desk).map((p) => p.fields.power_w!));
      expect(picked).toEqual([
        { tags: { zone: 'z1', desk: 'd1' }, points: [{ ts: T0, value: maxOf('d1') }] },
        { tags: { zone: 'z2', desk: 'd3' }, points: [{ ts: T0, value: maxOf('d3') }] },
      ]);
    });

    it('aligns day windows to UTC midnight', async () => {
      const midnight = Date.UTC(2026, 0, 5);
      await store.write([reading('d1', 'z1', midnight - 1, 1.5), reading('d1', 'z1', midnight + 1, 2.5), reading('d1', 'z1', midnight + 23 * HOUR, 3.5)]);
      const got = await store.queryAggregate({ measurement: 'readings', field: 'power_w', from: midnight - HOUR, to: midnight + 24 * HOUR, every: 24 * HOUR, fn: 'sum' });
      expect(got).toEqual([{ tags: {}, points: [{ ts: midnight - 24 * HOUR, value: 1.5 }, { ts: midnight, value: 6 }] }]);
    });

    it('answers aggregates from an hourly rollup (queryRollup) as the raw points would', async () => {
      // Two hours of the fixture; the rollup as store/rollup.ts writes it.
      const raw = [...fixture(), ...fixture().map((p) => ({ ...p, ts: p.ts + HOUR, fields: { power_w: p.fields.power_w! * 1.7 } }))];
      await store.write(raw);
      await rollupHours(store, { measurement: 'readings', fields: ['power_w'], by: ['site', 'zone', 'desk', 'device'] }, { from: T0, now: T0 + 2 * HOUR });
      const rollup = (q: RollupQuery) => (store.queryRollup ? store.queryRollup(q) : queryRollupGeneric(store, q));
      for (const fn of ['mean', 'sum', 'min', 'max', 'count'] as const) {
        for (const by of [[], ['zone'], ['desk']]) {
          // Windows of the rollup's own hour (points as they are) and of two hours (combined).
          for (const every of [HOUR, 2 * HOUR]) {
            const q = { field: 'power_w', fn, by, every, from: T0, to: T0 + 2 * HOUR, where: { site: 'demo' } };
            const got = await rollup({ ...q, measurement: 'readings_1h', period: HOUR });
            const want = await store.queryAggregate({ ...q, measurement: 'readings' });
            expect(got.map((s) => s.tags)).toEqual(want.map((s) => s.tags));
            got.forEach((s, i) => {
              expect(s.points.map((p) => p.ts)).toEqual(want[i]!.points.map((p) => p.ts));
              s.points.forEach((p, j) => expect(p.value).toBeCloseTo(want[i]!.points[j]!.value, 9));
            });
          }
        }
      }
    });

    it('answers empty results for unknown measurements, fields, and filters that match nothing', async () => {
      await store.write(fixture());
      const base = { from: T0, to: T0 + HOUR, every: 15 * MIN, fn: 'mean' as const };
      expect(await store.queryAggregate({ ...base, measurement: 'nothing', field: 'power_w' })).toEqual([]);
      expect(await store.queryAggregate({ ...base, measurement: 'readings', field: 'nothing' })).toEqual([]);
      expect(await store.queryAggregate({ ...base, measurement: 'readings', field: 'power_w', where: { desk: 'd9' } })).toEqual([]);
      expect(await store.queryAggregate({ ...base, measurement: 'readings', field: 'power_w', where: { desk: [] } })).toEqual([]);
      expect(await store.queryAggregate({ ...base, measurement: 'readings', field: 'power_w', from: T0 + 2 * HOUR, to: T0 + 3 * HOUR })).toEqual([]);
      expect(await store.queryRaw({ measurement: 'readings', from: T0, to: T0 + HOUR, where: { zone: 'z9' } })).toEqual([]);
    });

    it('filters raw queries by tags and pages by limit in time order', async () => {
      const pts = fixture();
      await store.write(pts);
      const z1 = await store.queryRaw({ measurement: 'readings', from: T0, to: T0 + HOUR, where: { zone: 'z1' } });
      expect(z1).toEqual(sortRaw(pts.filter((p) => p.tags.zone === 'z1')));
      const firstFive = await store.queryRaw({ measurement: 'readings', from: T0, to: T0 + HOUR, limit: 5 });
      expect(firstFive).toEqual(sortRaw(pts).slice(0, 5));
    });

    it('returns whole points under a limit, however many fields they have', async () => {
      const fields = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`f${i}`, i + 0.5]));
      await store.write([0, 1, 2].map((i) => ({ measurement: 'wide', tags: { site: 'demo' }, fields, ts: T0 + i })));
      const page = await store.queryRaw({ measurement: 'wide', from: T0, to: T0 + 10, limit: 2 });
      expect(page).toEqual([0, 1].map((i) => ({ measurement: 'wide', tags: { site: 'demo' }, fields, ts: T0 + i })));
    });

    it('round-trips tag values and names that need escaping', async () => {
      const odd: Point = { measurement: 'meter readings', tags: { site: 'demo', desk: 'Desk 1, "north"=x\\y', zone: "o'brien" }, fields: { 'power w': 7.25 }, ts: T0 };
      await store.write([odd]);
      const raw = await store.queryRaw({ measurement: 'meter readings', from: T0, to: T0 + 1, where: { desk: 'Desk 1, "north"=x\\y', zone: "o'brien" } });
      expect(raw).toEqual([odd]);
    });

    it('takes a filter value with a newline or quotes as a value, and refuses (never fails on) one it cannot quote', async () => {
      await store.write(fixture());
      const base = { measurement: 'readings', field: 'power_w', from: T0, to: T0 + HOUR, every: 15 * MIN, fn: 'mean' as const };
      for (const desk of ['d1\nd2', "d1' OR desk = 'd2", 'd1\\', 'd1"\n']) {
        expect(await store.queryAggregate({ ...base, where: { desk } })).toEqual([]);
        expect(await store.queryRaw({ measurement: 'readings', from: T0, to: T0 + HOUR, where: { desk } })).toEqual([]);
      }
      // NUL: InfluxQL has no way to write it; a store answers (no match) or refuses the query.
      const nul = await store.queryAggregate({ ...base, where: { desk: 'd1\0' } }).then((r) => r, (err: unknown) => err);
      if (!Array.isArray(nul)) expect(nul).toBeInstanceOf(QueryRefusedError);
      else expect(nul).toEqual([]);
      expect(await store.queryAggregate({ ...base, where: { desk: 'd1' } })).toHaveLength(1);
    });

    it('refuses times and windows it cannot represent (1e21 prints as 1e+21) with QueryRefusedError, and keeps answering', async () => {
      await store.write(fixture());
      const base = { measurement: 'readings', field: 'power_w', from: T0, to: T0 + HOUR, every: 15 * MIN, fn: 'mean' as const };
      for (const q of [{ ...base, to: 1e21 }, { ...base, from: -1e21 }, { ...base, every: 1e21 }, { ...base, to: Number.NaN }]) {
        await expect(store.queryAggregate(q), JSON.stringify(q)).rejects.toBeInstanceOf(QueryRefusedError);
      }
      await expect(store.queryRaw({ measurement: 'readings', from: T0, to: 1e21 })).rejects.toBeInstanceOf(QueryRefusedError);
      if (store.queryRollup) await expect(store.queryRollup({ ...base, measurement: 'readings_1h', period: HOUR, every: HOUR, to: 1e21 })).rejects.toBeInstanceOf(QueryRefusedError);
      expect(await store.queryAggregate(base)).toHaveLength(1);
    });

    it('skips non-finite field values and keeps the rest of the point', async () => {
      await store.write([reading('d1', 'z1', T0, 3.5, { energy_wh: Number.NaN, temperature_c: Number.POSITIVE_INFINITY })]);
      const raw = await store.queryRaw({ measurement: 'readings', from: T0, to: T0 + 1 });
      expect(raw.map((p) => p.fields)).toEqual([{ power_w: 3.5 }]);
    });

    it('deletes raw points before a time and keeps the later ones', async () => {
      expect(store.deleteBefore).toBeTypeOf('function');
      await store.write([reading('d1', 'z1', T0, 1.5), reading('d1', 'z1', T0 + HOUR, 2.5), reading('d1', 'z1', T0 + 2 * HOUR, 3.5)]);
      await store.write([{ measurement: 'other', tags: { site: 'demo' }, fields: { v: 1.5 }, ts: T0 }]);
      await store.deleteBefore!('readings', T0 + HOUR);
      const raw = await store.queryRaw({ measurement: 'readings', from: 0, to: T0 + 3 * HOUR });
      expect(raw.map((p) => p.ts)).toEqual([T0 + HOUR, T0 + 2 * HOUR]);
      expect(await store.queryRaw({ measurement: 'other', from: 0, to: T0 + 1 })).toHaveLength(1);
    });

    it('deletes every point of the series matching a tag filter, at any time, and nothing else', async () => {
      expect(store.deleteWhere).toBeTypeOf('function');
      const c = (member: string, ts: number, site = 'demo'): Point => ({ measurement: 'checkins', tags: { site, member, device: 'badge' }, fields: { check_in: 1 }, ts });
      await store.write([c('m01', T0), c('m01', T0 + 400 * 86_400_000), c('m02', T0), c('m03', T0), c('m04', T0), c('m01', T0, 'other')]);
      await store.write([{ ...c('m01', T0), measurement: 'footprint_session' }]);
      await store.deleteWhere!('checkins', { site: 'demo', member: ['m01', 'm03'] });
      const left = await store.queryRaw({ measurement: 'checkins', from: 0, to: T0 + 500 * 86_400_000 });
      expect(left.map((p) => `${p.tags.site}/${p.tags.member}`).sort()).toEqual(['demo/m02', 'demo/m04', 'other/m01']);
      expect(await store.queryRaw({ measurement: 'footprint_session', from: 0, to: T0 + 1 })).toHaveLength(1);
      await store.deleteWhere!('checkins', { member: [] });
      expect(await store.queryRaw({ measurement: 'checkins', from: 0, to: T0 + 1 })).toHaveLength(3);
    });
  });
}

export { T0 as CONTRACT_T0, type Tags };
