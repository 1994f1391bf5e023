/**
 * Energy cost in the impact report (METHODOLOGY.md §8): the JSON figures worked by hand on
 * the small site, the PDF's "4. Energy cost" section read back with poppler's pdftotext,
 * and the CSV columns.
 *
 * Small site (UTC, March 2025): on 10 March the main meter reads 1000 W for 08–18 (10 kWh);
 * m1 is the only person present, 8 h at desk d1. Priced with a flat tariff:
 * £0.20/kWh, Climate Change Levy £0.00775/kWh, standing charge £0.40/day, VAT 20 %.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderCsv } from '../../../api/reports/csv.ts';
import { buildImpactReport, type ImpactReport } from '../../../api/reports/model.ts';
import { siteFileSchema } from '../../../devices/site.ts';
import type { SqliteStore } from '../../../store/sqlite.ts';
import { MARCH, T, marchReport, pdfRow, smallSite, smallStore } from './small-site.ts';

const priced = siteFileSchema.parse({
  ...smallSite,
  currency: 'GBP',
  tariffs: {
    electricity: {
      supplier: 'Test Energy', source: 'test contract', estimate: true,
      history: [{ from: '2025-01-01', unit_rate: 0.2, standing_charge_per_day: 0.4, levies: [{ name: 'Climate Change Levy', per_kwh: 0.00775 }], vat_rate: 0.2 }],
    },
  },
});

let store: SqliteStore;
let report: ImpactReport;
let text: string;

beforeAll(async () => {
  ({ store, report, text } = await marchReport(priced));
});

afterAll(async () => {
  await store.close();
});

const row = pdfRow;

describe('energy cost in the impact report', () => {
  it('itemises the bill and reconciles it to the shares (worked by hand)', () => {
    // Energy 10 kWh × 0.20 = £2.00; CCL 10 × 0.00775 = £0.0775; standing 31 days × 0.40 =
    // £12.40 (every day of March, data or not); VAT (2.00 + 0.0775 + 12.40) × 0.2 = £2.8955;
    // bill £17.373. m1 is the only person with hours all month, so her share is the whole bill.
    const c = report.cost!;
    expect(c.currency).toBe('GBP');
    expect(c.by_carrier.electricity!.energy).toBeCloseTo(2, 9);
    expect(c.by_carrier.electricity!.levies).toBeCloseTo(0.0775, 9);
    expect(c.by_carrier.electricity!.standing).toBeCloseTo(12.4, 9);
    expect(c.by_carrier.electricity!.vat).toBeCloseTo(2.8955, 9);
    expect(c.bill).toBeCloseTo(17.373, 9);
    expect(c.members).toBeCloseTo(17.373, 9);
    expect(c.unallocated).toBe(0);
    expect(Math.abs(c.residual)).toBeLessThanOrEqual(1e-9 * c.bill);
    expect(c.final).toBe(true);
    expect(report.members[0]!.cost).toBeCloseTo(17.373, 9);
    // The day of use carries its own energy and one day's standing charge: (2.0775 + 0.40) × 1.2.
    expect(report.daily.find((d) => d.date === '2025-03-10')!.cost).toBeCloseTo(2.973, 9);
  });

  it('prints section 4 "Energy cost" in the PDF with the same figures', () => {
    expect(text).toContain('4. Energy cost');
    expect(text).toMatch(row('Electricity', '2.00', '0.08', '12.40', '2.90', '17.37'));
    expect(text).toMatch(row('Members (sum of every member\'s cost share)', '17.37'));
    expect(text).toMatch(row('Bill for the period', '17.37'));
    expect(text).toMatch(row('Residual (bill − shares − unallocated)', '0.000000000'));
    expect(text).toContain('Bill (GBP)');
    expect(text).toContain('median GBP 17.37');
    expect(text).toContain('Estimate: not the site\'s own contract prices.');
    expect(text).toContain('6. Data quality');
  });

  it('puts the cost in both CSV tables with its currency', () => {
    const [mh, m1] = renderCsv(report, 'members').trimEnd().split('\r\n').map((l) => l.split(','));
    expect(m1![mh!.indexOf('cost')]).toBe('17.373');
    expect(m1![mh!.indexOf('currency')]).toBe('GBP');
    const [dh, ...days] = renderCsv(report).trimEnd().split('\r\n').map((l) => l.split(','));
    const total = days.reduce((a, d) => a + Number(d[dh!.indexOf('cost')]), 0);
    expect(total).toBeCloseTo(17.373, 6);
  });

  it('says so, and prints no cost, for a site without tariffs', async () => {
    const plain = await smallStore();
    try {
      const r = await buildImpactReport({ store: plain, site: smallSite, ...MARCH, generatedAt: T('2025-04-02T06:00') });
      expect(r.cost).toBeNull();
      expect(r.members[0]!.cost).toBeNull();
    } finally {
      await plain.close();
    }
  });
});
