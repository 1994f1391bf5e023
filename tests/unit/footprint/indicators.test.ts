/**
 * Normalised indicators worked by hand (METHODOLOGY §10): per m² per year on covered time,
 * per occupied desk-hour, per member-day, and heating weighted by heating degree days from an
 * outdoor sensor or a CSV, so a winter and a summer day of the same building compare fairly.
 *
 * Site (helpers.ts): UTC, Δt 30 min, 100 m², UK DESNZ 2025 (electricity 0.177, gas 0.183).
 * Meters: a main electricity meter drawing 1000 W (24 kWh a day) and a gas heating counter in
 * z1 rising evenly by each day's heating energy; an outdoor sensor. The footprint is the
 * engine's, recomputed from raw readings in a real SQLite store, read back as a report reads it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { buildImpactReport } from '../../../api/reports/model.ts';
import { renderPdf } from '../../../api/reports/pdf.ts';
import { hddFromTemperatures, parseHddCsv } from '../../../footprint/degree-days.ts';
import { clockOf } from '../../../footprint/clock.ts';
import { T, makeSite } from './helpers.ts';
import { HOUR, day, devices, sensorSite, storeOf, winterEvents } from './normalised-fixture.ts';

describe('normalised indicators (METHODOLOGY §10) worked by hand', () => {
  it('gives kWh and kgCO2e per m² per year, per desk-hour and per member-day, and heating per degree day', async () => {
    const store = await storeOf(sensorSite, winterEvents(sensorSite), '2025-01-01T00:00', '2025-02-01T00:00', '2025-01-20T00:00');
    const r = await buildImpactReport({ store, site: sensorSite, from: T('2025-01-13T00:00'), to: T('2025-01-15T00:00'), generatedAt: T('2025-01-20T00:00') });
    const x = r.indicators;
    // Energy: electricity 2 × 24 = 48 kWh; gas 60 + 36 = 96 kWh; 144 kWh in all.
    // Carbon: 48 × 0.177 = 8.496; 96 × 0.183 = 17.568; 26.064 kgCO2e.
    expect(x.kwh).toBeCloseTo(144, 9);
    expect(x.kgco2e).toBeCloseTo(26.064, 9);
    // Every interval of both days measured, nothing missing: 2 covered days of 2.
    expect(x.covered_days).toBeCloseTo(2, 9);
    expect(x.coverage).toBeCloseTo(1, 9);
    // Per m² per year: 144 / 100 × 365 / 2 = 262.8 kWh; 26.064 / 100 × 182.5 = 47.5668 kgCO2e.
    expect(x.per_m2_yr!.kwh).toBeCloseTo(262.8, 9);
    expect(x.per_m2_yr!.kgco2e).toBeCloseTo(47.5668, 9);
    // Desk-hours: m1 8 h + 4 h, m2 8 h = 20 h → 144 / 20 = 7.2 kWh, 26.064 / 20 = 1.3032 kg.
    expect(x.desk_hours).toBeCloseTo(20, 9);
    expect(x.per_desk_hour!.kwh).toBeCloseTo(7.2, 9);
    expect(x.per_desk_hour!.kgco2e).toBeCloseTo(1.3032, 9);
    // Member-days: m1 on 13 and 14 Jan, m2 on 14 Jan = 3 → 48 kWh, 8.688 kg per member-day.
    expect(x.member_days).toBe(3);
    expect(x.per_member_day!.kwh).toBeCloseTo(48, 9);
    expect(x.per_member_day!.kgco2e).toBeCloseTo(8.688, 9);
    // Degree days (base 15.5 °C): 13 Jan 15.5 − 5.5 = 10, 14 Jan 15.5 − 10.5 = 5 → 15 HDD.
    // Heating: 96 kWh gas / 15 = 6.4 kWh/HDD; 17.568 / 15 = 1.1712 kgCO2e/HDD.
    const h = x.heating!;
    expect(h).toMatchObject({ carriers: ['gas'], source: 'sensor', source_name: 'outdoor', base_c: 15.5, hdd_days: 2, reference_hdd: 2021 });
    expect(h.hdd).toBeCloseTo(15, 9);
    expect(h.kwh_per_hdd).toBeCloseTo(6.4, 9);
    expect(h.kgco2e_per_hdd).toBeCloseTo(1.1712, 9);
    // Weather-normalised: electricity 48 × 182.5 = 8760 kWh/yr, heating 6.4 × 2021 HDD =
    // 12,934.4 kWh/yr → (8760 + 12,934.4) / 100 = 216.944 kWh/m²/yr. Carbon: 8.496 × 182.5 =
    // 1550.52, 1.1712 × 2021 = 2366.9952 → 39.175152 kgCO2e/m²/yr.
    expect(h.weather_normalised_per_m2_yr!.kwh).toBeCloseTo(216.944, 9);
    expect(h.weather_normalised_per_m2_yr!.kgco2e).toBeCloseTo(39.175152, 9);
    expect(x.annualisation_basis).toContain('365 ÷ 2 covered days (of 2)');

    // The PDF's section 4 prints the same figures (poppler's pdftotext reads them back).
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'deskprint-ind-')), 'r.pdf');
    writeFileSync(file, await renderPdf(r));
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    const section = text.slice(text.indexOf('5. Normalised indicators'), text.indexOf('6. Data quality'));
    expect(section).toMatch(/Per m² per year\s+262\.8 kWh\/m²\s+47\.57 kgCO2e\/m²/);
    expect(section).toMatch(/heating weather-normalised\s+216\.9 kWh\/m²\s+39\.18 kgCO2e\/m²/);
    expect(section).toMatch(/Per occupied desk-hour \(20 desk-hours\)\s+7\.200 kWh\s+1\.3032 kgCO2e/);
    expect(section).toMatch(/Per member-day \(3 member-days\)\s+48\.00 kWh\s+8\.688 kgCO2e/);
    expect(section).toMatch(/Heating per heating degree day\s+6\.40 kWh\/HDD\s+1\.171 kgCO2e\/HDD/);
    expect(section).toContain('base 15.5 °C');
    expect(section).toMatch(/2\.0 of the period's 2 days/);
  });

  it('puts a summer week of the same building on the same weather-normalised footing as winter', async () => {
    // 14–18 July at 13 °C: 15.5 − 13 = 2.5 HDD a day, 12.5 in all; the same fabric needs
    // 6.4 × 2.5 = 16 kWh of gas a day (counter continuing from day to day).
    const events = [0, 1, 2, 3, 4].flatMap((k) => day(sensorSite, `2025-07-${14 + k}`, 16, 13, k * 16_000));
    const store = await storeOf(sensorSite, events, '2025-07-01T00:00', '2025-08-01T00:00', '2025-07-25T00:00');
    const r = await buildImpactReport({ store, site: sensorSite, from: T('2025-07-14T00:00'), to: T('2025-07-19T00:00'), generatedAt: T('2025-07-25T00:00') });
    const x = r.indicators;
    // Raw: 5 × (24 + 16) = 200 kWh / 100 m² × 365 / 5 = 146 kWh/m²/yr, far below winter's 262.8.
    expect(x.per_m2_yr!.kwh).toBeCloseTo(146, 9);
    // Normalised: 120 kWh × 365 / 5 = 8760 plus 80 / 12.5 = 6.4 kWh/HDD × 2021 = 12,934.4
    // → 216.944 kWh/m²/yr, as in winter.
    expect(x.heating!.hdd).toBeCloseTo(12.5, 9);
    expect(x.heating!.kwh_per_hdd).toBeCloseTo(6.4, 9);
    expect(x.heating!.weather_normalised_per_m2_yr!.kwh).toBeCloseTo(216.944, 9);
    // No one came: nothing per desk-hour or member-day rather than a division by zero.
    expect(x.per_desk_hour).toBeNull();
    expect(x.per_member_day).toBeNull();
    // One day alone has 2.5 HDD, below the 10 the ratio needs: no kWh per HDD rather than a wild one.
    const one = await buildImpactReport({ store, site: sensorSite, from: T('2025-07-14T00:00'), to: T('2025-07-15T00:00'), generatedAt: T('2025-07-25T00:00') });
    expect(one.indicators.heating!.hdd).toBeCloseTo(2.5, 9);
    expect(one.indicators.heating!.kwh_per_hdd).toBeNull();
    expect(one.indicators.heating!.weather_normalised_per_m2_yr).toBeNull();
  });

  it('leaves days without data out of the annualisation instead of averaging them in as zero', async () => {
    const store = await storeOf(sensorSite, winterEvents(sensorSite), '2025-01-01T00:00', '2025-02-01T00:00', '2025-01-20T00:00');
    // 13–16 Jan: the meters stop at midnight on the 15th (the main meter is missing from then on).
    const r = await buildImpactReport({ store, site: sensorSite, from: T('2025-01-13T00:00'), to: T('2025-01-17T00:00'), generatedAt: T('2025-01-20T00:00') });
    // Still 2 covered days of 4: 144 / 100 × 365 / 2 = 262.8 (averaging over 4 days would give 131.4).
    expect(r.indicators.days).toBe(4);
    expect(r.indicators.covered_days).toBeCloseTo(2, 9);
    expect(r.indicators.coverage).toBeCloseTo(0.5, 9);
    expect(r.indicators.per_m2_yr!.kwh).toBeCloseTo(262.8, 9);
    expect(r.intensity.kwh_per_m2_yr).toBeCloseTo(262.8, 9);
    // HDD only of covered days with a temperature: still 15 over 2 days.
    expect(r.indicators.heating!.hdd).toBeCloseTo(15, 9);
  });

  it('reads daily HDD from an imported CSV (degreedays.net layout) as it would from a sensor', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'deskprint-hdd-'));
    const csv = path.join(dir, 'hdd.csv');
    writeFileSync(csv, 'Description:,"Celsius-based heating degree days, base 15.5C"\nSource:,www.degreedays.net\n\nDate,HDD 15.5,% Estimated\n2025-01-13,10,0\n2025-01-14,5,0\n');
    const site = makeSite(devices.filter((d) => d.id !== 'outdoor'), { degree_days: { csv } });
    const store = await storeOf(site, winterEvents(site), '2025-01-01T00:00', '2025-02-01T00:00', '2025-01-20T00:00');
    const r = await buildImpactReport({ store, site, from: T('2025-01-13T00:00'), to: T('2025-01-15T00:00'), generatedAt: T('2025-01-20T00:00') });
    // The same 10 + 5 = 15 HDD, so the same 6.4 kWh/HDD and 216.944 kWh/m²/yr as from the sensor.
    expect(r.indicators.heating).toMatchObject({ source: 'csv', hdd_days: 2 });
    expect(r.indicators.heating!.kwh_per_hdd).toBeCloseTo(6.4, 9);
    expect(r.indicators.heating!.weather_normalised_per_m2_yr!.kwh).toBeCloseTo(216.944, 9);
  });

  it('computes a day\'s HDD from hourly mean temperatures, and none from too few hours', () => {
    const clock = clockOf(sensorSite);
    const d = clock.day(T('2025-01-13T00:00'));
    const pt = (h: number, c: number) => ({ measurement: 'readings', tags: {}, fields: { temperature_c: c }, ts: d.start + h * HOUR + 60_000 });
    // 12 hours at 10 °C (5.5 degree-hours each) and 12 at 20 °C (none): 66 / 24 = 2.75 HDD.
    const full = Array.from({ length: 24 }, (_, h) => pt(h, h < 12 ? 10 : 20));
    expect(hddFromTemperatures(full, [d], 15.5).get('2025-01-13')).toBeCloseTo(2.75, 12);
    // Hours 20–23 silent: 66 degree-hours over 20 hours, scaled to 24: 66 / 24 × 24 / 20 = 3.3.
    expect(hddFromTemperatures(full.slice(0, 20), [d], 15.5).get('2025-01-13')).toBeCloseTo(3.3, 12);
    // Five hours silent: no figure for the day (left out, never zero).
    expect(hddFromTemperatures(full.slice(0, 19), [d], 15.5).has('2025-01-13')).toBe(false);
  });

  it('refuses a CSV row that is not a date and a number of degree days', () => {
    expect(() => parseHddCsv('date,hdd\n2025-01-13,ten\n', 'x.csv')).toThrow(/x\.csv line 2/);
    expect(() => parseHddCsv('when,degrees\n', 'x.csv')).toThrow(/no header line/);
  });
});
