/**
 * The impact report model and its JSON/CSV renderers over a real SQLite store filled by the
 * footprint engine's recompute: the figures a funder reads, checked by hand (METHODOLOGY §4's
 * worked example), against the stored footprint, and for anonymity.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImpactReport, reportPeriod, type ImpactReport } from '../../../api/reports/model.ts';
import { renderCsv } from '../../../api/reports/csv.ts';
import { quantile, spread } from '../../../api/reports/stats.ts';
import { M_DAY } from '../../../footprint/schema.ts';
import { MARCH, MEMBER_NAMES, T, smallSite as site, smallStore } from './small-site.ts';
import { checkinToPoint, readingToPoint } from '../../../footprint/events.ts';
import { recompute } from '../../../footprint/recompute.ts';
import { SqliteStore } from '../../../store/sqlite.ts';
import { checkin, constantPower } from '../footprint/helpers.ts';

let store: SqliteStore;
let march: ImpactReport;
const generatedAt = T('2025-04-02T06:00');

beforeAll(async () => {
  store = await smallStore();
  march = await buildImpactReport({ store, site, ...MARCH, generatedAt });
});

afterAll(async () => {
  await store.close();
});

describe('impact report model', () => {
  it('covers whole local days of the period and says so', () => {
    expect(march.period).toMatchObject({ first_day: '2025-03-01', last_day: '2025-03-31', days: 31, final: true });
    expect(march.daily).toHaveLength(31);
    // Any instants widen to the local days holding them (London changes to BST on 30 March).
    const p = reportPeriod({ ...site, timezone: 'Europe/London' }, T('2025-03-29T10:00'), T('2025-03-30T23:30'));
    expect(p.days.map((d) => d.key)).toEqual(['2025-03-29', '2025-03-30', '2025-03-31']);
    expect(p.from).toBe(T('2025-03-29T00:00'));
    expect(p.to).toBe(T('2025-03-31T23:00')); // 1 April 00:00 BST
  });

  it('states the boundary and the four exclusions of METHODOLOGY §6', () => {
    expect(march.boundary.area_m2).toBe(100);
    expect(march.boundary.carriers).toEqual(['electricity']);
    expect(march.boundary.excluded.map((e) => e.item)).toEqual(['Commuting', 'Home energy', 'Embodied carbon', 'Cleaning']);
  });

  it('reports metered energy, emissions and annualised space intensity', () => {
    // Main 1000 W × 10 h = 10 kWh; UK DESNZ 2025 electricity 0.177 kgCO2e/kWh.
    expect(march.energy.kwh).toBeCloseTo(10, 9);
    expect(march.energy.by_carrier[0]).toMatchObject({ carrier: 'electricity' });
    expect(march.energy.by_carrier[0]!.kgco2e).toBeCloseTo(1.77, 9);
    expect(march.energy.by_carrier[0]!.kg_per_kwh).toBeCloseTo(0.177, 12);
    // Use: desk 0.36, lights while present 1.6, the rest pooled.
    expect(march.energy.by_carrier[0]!.use.direct).toBeCloseTo(0.36, 9);
    expect(march.energy.by_carrier[0]!.use.shared).toBeCloseTo(1.6, 9);
    expect(march.energy.by_carrier[0]!.use.pooled).toBeCloseTo(8.04, 9);
    // One day of 31 with ten hours of data: too little to annualise, and said so, rather
    // than 30 days of zeros averaged in (issue 22).
    expect(march.coverage).toMatchObject({ days: 31, days_with_data: 1, hours_with_data: 10, text: '1 of 31 days has data' });
    expect(march.period.annualisation).toBeNull();
    expect(march.intensity.kwh_per_m2_yr).toBeNull();
    expect(march.intensity.kgco2e_per_m2_yr).toBeNull();
    expect(march.intensity.by_carrier.electricity).toBeNull();
    // Covered time (METHODOLOGY §10): the meters report 08:00–18:00 on 10 March only.
    // 08:00–17:00 is 18 intervals fully measured (9 h); in the 17:00 and 17:30 intervals the
    // plug is silent after 17:00 (missing 45 W × 0.5 h = 0.0225 kWh) while main and lights
    // measure 0.5 + 0.1 = 0.6 kWh, so each counts 0.6 / 0.6225 of its half hour:
    // 9 + 2 × 0.5 × 0.6/0.6225 = 9.96386 h, under the 24 h needed to annualise.
    expect(march.indicators.covered_days).toBeCloseTo((9 + 0.6 / 0.6225) / 24, 9);
    expect(march.indicators.per_m2_yr).toBeNull();
    expect(march.intensity.basis).toContain('not enough data to annualise: 10 h of covered time');
    expect(march.intensity.basis).toContain('1 of 31 days has data');
  });

  it('does not annualise a fully covered day with only ten hours of readings', async () => {
    const tenth = await buildImpactReport({ store, site, from: T('2025-03-10T00:00'), to: T('2025-03-11T00:00'), generatedAt });
    expect(tenth.coverage.text).toBe('1 of 1 day has data');
    expect(tenth.intensity.kwh_per_m2_yr).toBeNull();
  });

  it('counts desk occupancy over the hours with data, not over a whole standard day', async () => {
    // One hour of readings, the one member at one of three desks all that hour: the desks
    // were a third in use, not 1/24 (1 desk-hour over 3 desks × 8 h).
    const one = new SqliteStore({ file: ':memory:' });
    await one.init();
    const events = [
      ...constantPower(site, 'main-el', 1000, T('2025-03-10T09:00'), T('2025-03-10T10:00')),
      checkin(site, 'm1', 'check_in', T('2025-03-10T09:00'), 'd1'),
      checkin(site, 'm1', 'check_out', T('2025-03-10T10:00')),
    ];
    await one.write(events.map((e) => (e.type === 'reading' ? readingToPoint(e.reading) : checkinToPoint(e.checkin))));
    await recompute({ store: one, site, ...MARCH, now: T('2025-04-10T00:00') });
    const r = await buildImpactReport({ store: one, site, ...MARCH, generatedAt });
    await one.close();
    expect(r.coverage).toMatchObject({ days_with_data: 1, hours_with_data: 1 });
    expect(r.people.desk_hours).toBeCloseTo(1, 9);
    expect(r.people.desk_occupancy).toBeCloseTo(1 / 3, 9);
    expect(r.people.occupancy_basis).toContain('3 desks × 1 h');
    // The CSV leaves the days without data empty, with their hours of data beside them.
    const [header, ...rows] = renderCsv(r).trimEnd().split('\r\n').map((l) => l.split(','));
    const col = (name: string) => header!.indexOf(name);
    const ninth = rows.find((row) => row[0] === '2025-03-09')!;
    const tenth = rows.find((row) => row[0] === '2025-03-10')!;
    expect(ninth[col('kwh_electricity')]).toBe('');
    expect(ninth[col('desk_hours')]).toBe('');
    expect(ninth[col('hours_with_data')]).toBe('0');
    expect(tenth[col('kwh_electricity')]).toBe('1');
    expect(tenth[col('hours_with_data')]).toBe('1');
  });

  it('counts members, member-days and desk occupancy', () => {
    expect(march.people.members_served).toBe(1);
    expect(march.people.member_days).toBe(1);
    expect(march.people.member_hours).toBeCloseTo(8, 9);
    expect(march.people.open_days).toBe(1);
    // 8 desk-hours of 3 desks × 8 h on the one day anybody came.
    expect(march.people.desk_occupancy).toBeCloseTo(8 / 24, 9);
  });

  it('gives the baseline range and estimated avoided emissions, members only', () => {
    const c = march.avoided.scenarios.central;
    expect(march.avoided.label).toBe('estimated avoided emissions, outside the inventory');
    expect(c.baseline_kgco2e).toBeCloseTo(2.245, 3); // METHODOLOGY §4 check
    expect(c.members_kgco2e).toBeCloseTo(1.77, 9);
    expect(c.avoided_kgco2e).toBeCloseTo(c.baseline_kgco2e - 1.77, 9);
    expect(c.reduction).toBeCloseTo(c.avoided_kgco2e / c.baseline_kgco2e, 12);
    // The low scenario gives the smallest baseline.
    expect(march.avoided.scenarios.low.baseline_kgco2e).toBeLessThan(c.baseline_kgco2e);
    expect(march.avoided.scenarios.high.baseline_kgco2e).toBeGreaterThan(c.baseline_kgco2e);
    // The inventory is not reduced by the estimate.
    expect(march.energy.kgco2e).toBeCloseTo(1.77, 9);
  });

  it('shows data quality: measured share, conservation, factor sets, engine version', () => {
    const dq = march.data_quality;
    const measured = 10 + 2 + 0.36;
    expect(dq.measured_share.electricity).toBeCloseTo(measured / (measured + 510 + 102 + 22.995), 9);
    expect(dq.sensor_confirmed_share).toBe(0);
    const line = dq.conservation[0]!;
    expect(line.residual_kwh).toBeCloseTo(0, 9);
    // A whole closed month: every metered kWh is allocated or unallocated (M6).
    expect(line.allocated_kwh + line.unallocated_kwh).toBeCloseTo(line.metered_kwh, 9);
    expect(line.months).toEqual([expect.objectContaining({ month: '2025-03', inside_period: true })]);
    expect(Math.abs(line.months[0]!.residual_kwh)).toBeLessThan(1e-9);
    expect(dq.factor_sets.map((f) => `${f.name}/${f.year}`)).toEqual(['UK DESNZ 2025/2025']);
    expect(dq.engine_version).toMatch(/^footprint-engine\//);
    expect(march.methodology.text).toContain('## 6. Reports');
  });

  it('gives per-member-day medians and quartiles of the stored day footprints', async () => {
    const days = (await store.queryRaw({ measurement: M_DAY, where: { site: 'hub', account: 'm1' }, from: T('2025-03-01T00:00'), to: T('2025-04-01T00:00') }))
      .filter((p) => (p.fields.hours ?? 0) > 0);
    expect(march.per_member_day.kgco2e).toEqual(spread(days.map((p) => p.fields.kgco2e!)));
    expect(march.per_member_day.kwh.median).toBeCloseTo(10, 9);
  });

  it('never names a member: ids are anonymous and stable', async () => {
    expect(march.members.map((m) => m.id)).toEqual(['member-01']);
    const again = await buildImpactReport({ store, site, ...MARCH, generatedAt });
    expect(again).toEqual(march);
    for (const text of [JSON.stringify(march), renderCsv(march), renderCsv(march, 'members')]) {
      for (const name of MEMBER_NAMES.flatMap((n) => n.split(' '))) expect(text).not.toContain(name);
      expect(text).not.toMatch(/\bm1\b|\bm2\b/);
    }
  });
});

describe('CSV', () => {
  const parse = (csv: string) => {
    const [header, ...rows] = csv.trimEnd().split('\r\n').map((l) => l.split(','));
    return { header: header!, rows, col: (name: string) => rows.map((r) => Number(r[header!.indexOf(name)])) };
  };
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

  it('has one row per day whose columns add up to the report totals', () => {
    const t = parse(renderCsv(march));
    expect(t.rows).toHaveLength(31);
    expect(t.rows.map((r) => r[0])).toEqual(march.daily.map((d) => d.date));
    expect(sum(t.col('kwh_electricity'))).toBeCloseTo(march.energy.kwh, 4);
    expect(sum(t.col('kgco2e_total'))).toBeCloseTo(march.energy.kgco2e, 4);
    expect(sum(t.col('members_present'))).toBe(march.people.member_days);
    expect(sum(t.col('avoided_kgco2e_central'))).toBeCloseTo(march.avoided.scenarios.central.avoided_kgco2e, 4);
  });

  it('has one anonymised row per member', () => {
    const t = parse(renderCsv(march, 'members'));
    expect(t.header.slice(0, 3)).toEqual(['member', 'days_present', 'hours']);
    expect(t.rows.map((r) => r[0])).toEqual(['member-01']);
    expect(sum(t.col('kgco2e'))).toBeCloseTo(march.allocation.members.kgco2e, 4);
  });
});

describe('quartiles', () => {
  it('interpolate between ranks like a spreadsheet QUARTILE.INC', () => {
    expect(spread([4, 1, 3, 2])).toEqual({ n: 4, median: 2.5, q1: 1.75, q3: 3.25 });
    expect(quantile([5], 0.25)).toBe(5);
    expect(spread([])).toEqual({ n: 0, median: 0, q1: 0, q3: 0 });
  });
});
