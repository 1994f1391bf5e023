/**
 * Dual Scope 2 in the impact report (METHODOLOGY.md §9): the JSON figures worked by hand on
 * the small site, the PDF's "Scope 1 and 2" table read back with poppler's pdftotext, and the
 * daily CSV columns. Small site (UTC, March 2025): the main meter reads 10 kWh on 10 March;
 * location-based factor 0.177 kgCO2e/kWh (UK DESNZ 2025). Market-based (test values): REGOs
 * cover 60 % at 0, the rest at the 2024 residual mix 0.300 (an estimate for 2025 data).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderCsv } from '../../../api/reports/csv.ts';
import type { ImpactReport } from '../../../api/reports/model.ts';
import { siteFileSchema } from '../../../devices/site.ts';
import type { SqliteStore } from '../../../store/sqlite.ts';
import { marchReport, pdfRow, smallSite } from './small-site.ts';

const site = siteFileSchema.parse({
  ...smallSite,
  market_based: {
    electricity: {
      periods: [{ from: '2025-01-01', certificates: { name: 'REGOs (test)', share: 0.6, kgco2e_per_kwh: 0, source: 'test register' } }],
      residual_mix: [{ year: 2024, kgco2e_per_kwh: 0.3, source: 'AIB European Residual Mixes (test value)' }],
    },
  },
});

let store: SqliteStore;
let report: ImpactReport;
let text: string;

beforeAll(async () => {
  ({ store, report, text } = await marchReport(site));
});

afterAll(async () => {
  await store.close();
});

const row = pdfRow;

describe('dual Scope 2 in the impact report', () => {
  it('reports both figures, each with its basis (worked by hand)', () => {
    const s = report.scope2;
    // Location-based: 10 kWh × 0.177 = 1.77 kgCO2e, the inventory figure.
    expect(s.scope2_location_kgco2e).toBeCloseTo(1.77, 9);
    expect(report.energy.kgco2e).toBeCloseTo(1.77, 9);
    // Market-based: 10 × (0.6 × 0 + 0.4 × 0.300) = 1.2 kgCO2e; no gas, so no Scope 1.
    expect(s.scope2_market_kgco2e).toBeCloseTo(1.2, 9);
    expect(s.scope1_kgco2e).toBe(0);
    expect(s.market_estimate).toBe(true);
    expect(s.location_basis).toContain('location-based');
    expect(s.market_basis).toContain('market-based');
    expect(report.daily.find((d) => d.date === '2025-03-10')!.scope2_market_kgco2e).toBeCloseTo(1.2, 9);
  });

  it('prints both in the PDF and says which is which', () => {
    expect(text).toContain('Scope 1 and 2 (GHG Protocol): location- and market-based');
    expect(text).toMatch(row('Scope 2, location-based', 'grid-average factors, whatever the contract', '1.8'));
    expect(text).toMatch(row('Scope 2, market-based', 'contracts and certificates, supplier rate, residual mix', '1.2'));
    expect(text).not.toContain('fuel burnt on site'); // no gas: no Scope 1 line
    const flat = text.replace(/\s+/g, ' ');
    expect(flat).toContain('Both Scope 2 figures are reported, as the GHG Protocol Scope 2 Guidance and ESRS E1-6 require; the inventory figures above are location-based.');
    expect(flat).toContain('Electricity, certificates: 6.0 kWh, 0.0 kgCO2e (REGOs (test); test register)');
    expect(flat).toContain('Electricity, residual mix: 4.0 kWh, 1.2 kgCO2e (AIB European Residual Mixes (test value) (2024 values for 2025)) [estimate]');
  });

  it('has both figures per day in the daily CSV', () => {
    const [h, ...days] = renderCsv(report).trimEnd().split('\r\n').map((l) => l.split(','));
    const col = (name: string) => days.reduce((a, d) => a + Number(d[h!.indexOf(name)]), 0);
    expect(col('scope2_location_kgco2e')).toBeCloseTo(1.77, 6);
    expect(col('scope2_market_kgco2e')).toBeCloseTo(1.2, 6);
  });
});
