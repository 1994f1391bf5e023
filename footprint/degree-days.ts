/**
 * Heating degree days per local day (METHODOLOGY §10 "Heating degree days"), from one of
 * two sources a site file names (`degree_days`):
 *  - an outdoor_sensor device: degree-hours below the base temperature from its hourly mean
 *    temperatures, ÷ 24 (the integration method, CIBSE TM41; degreedays.net/calculation);
 *  - a CSV of daily HDD (`date,hdd`), e.g. exported from degreedays.net or a Met Office
 *    station, computed at the same base temperature.
 * A day without enough temperature readings, or missing from the CSV, has no HDD: it is left
 * out, never counted as zero.
 */
import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import type { Carrier } from '../devices/kinds.ts';
import type { DegreeDaysSettings, SiteFile } from '../devices/site.ts';
import type { Point, TimeSeriesStore } from '../store/types.ts';
import type { LocalDay } from './clock.ts';
import { MEASUREMENT_READINGS } from './events.ts';
import { readPoints } from './read.ts';

const HOUR_MS = 3_600_000;
/** A sensor day needs a temperature in this many of its hours (20 of 24) to have an HDD figure. */
const MIN_HOURS_MISSING = 4;

export const HDD_METHOD = {
  sensor: 'integration method: degree-hours below the base temperature from hourly mean outdoor temperatures, ÷ 24 (CIBSE TM41; degreedays.net/calculation); a day needs readings in 20 of its 24 hours',
  csv: 'daily HDD imported from a CSV file, computed by its publisher at the stated base temperature',
} as const;

export interface DegreeDays {
  source: 'sensor' | 'csv';
  /** The device id or the CSV file. */
  from: string;
  base_c: number;
  method: string;
  /** HDD per local day (`YYYY-MM-DD`); days without a figure are absent. */
  byDay: Map<string, number>;
}

/** Settings with their defaults, or undefined when the site has no degree-day source. */
export function degreeDaySettings(site: SiteFile): (DegreeDaysSettings & { heating_carriers: Carrier[] }) | undefined {
  const dd = site.degree_days;
  const device = dd?.device ?? (dd?.csv === undefined ? site.devices.find((d) => d.kind === 'outdoor_sensor')?.id : undefined);
  if (device === undefined && dd?.csv === undefined) return undefined;
  return {
    base_c: dd?.base_c ?? 15.5,
    reference_hdd: dd?.reference_hdd ?? 2021,
    ...(device !== undefined ? { device } : {}),
    ...(dd?.csv !== undefined ? { csv: dd.csv } : {}),
    heating_carriers: heatingCarriers(site),
  };
}

/** The carriers that heat the space (§10): the site file's `heating_carriers`, else every carrier its meters use but electricity. */
export function heatingCarriers(site: SiteFile): Carrier[] {
  if (site.degree_days?.heating_carriers) return [...site.degree_days.heating_carriers];
  return [...new Set(site.devices.map((d) => d.carrier).filter((c): c is Carrier => c !== undefined && c !== 'electricity'))].sort();
}

/** The site's daily HDD over `days`, or undefined without a source. */
export async function readDegreeDays(store: TimeSeriesStore, site: SiteFile, days: readonly LocalDay[]): Promise<DegreeDays | undefined> {
  const s = degreeDaySettings(site);
  if (!s || days.length === 0) return undefined;
  if (s.csv !== undefined) {
    const all = hddCsvFile(s.csv);
    const byDay = new Map(days.filter((d) => all.has(d.key)).map((d) => [d.key, all.get(d.key)!] as const));
    return { source: 'csv', from: s.csv, base_c: s.base_c, method: HDD_METHOD.csv, byDay };
  }
  const points = await readPoints(store, MEASUREMENT_READINGS, { site: site.id, device: s.device! }, days[0]!.start, days.at(-1)!.end);
  return { source: 'sensor', from: s.device!, base_c: s.base_c, method: HDD_METHOD.sensor, byDay: hddFromTemperatures(points, days, s.base_c) };
}

/**
 * HDD of each day from temperature readings: the mean of each local hour's readings T̄_h,
 * HDD = Σ_h max(0, base − T̄_h) / 24, scaled up by (hours in the day ÷ hours with a reading)
 * when a few hours have none. A day with more than 4 hours without a reading has no figure.
 */
export function hddFromTemperatures(points: readonly Point[], days: readonly LocalDay[], baseC: number): Map<string, number> {
  const out = new Map<string, number>();
  let i = 0;
  const sorted = [...points].filter((p) => typeof p.fields.temperature_c === 'number').sort((a, b) => a.ts - b.ts);
  for (const day of days) {
    const hours = Math.round((day.end - day.start) / HOUR_MS);
    const sum = new Float64Array(hours);
    const n = new Uint32Array(hours);
    while (i < sorted.length && sorted[i]!.ts < day.start) i++;
    for (; i < sorted.length && sorted[i]!.ts < day.end; i++) {
      const h = Math.min(hours - 1, Math.floor((sorted[i]!.ts - day.start) / HOUR_MS));
      sum[h]! += sorted[i]!.fields.temperature_c!;
      n[h]!++;
    }
    let degreeHours = 0;
    let covered = 0;
    for (let h = 0; h < hours; h++) {
      if (n[h] === 0) continue;
      covered++;
      degreeHours += Math.max(0, baseC - sum[h]! / n[h]!);
    }
    if (covered < hours - MIN_HOURS_MISSING) continue;
    out.set(day.key, (degreeHours / 24) * (hours / covered));
  }
  return out;
}

const csvRow = z.tuple([z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD'), z.coerce.number().finite().nonnegative()]);

export class DegreeDayCsvError extends Error {
  override name = 'DegreeDayCsvError';
}

/**
 * Parses a daily HDD CSV: lines before a header naming a `date` column and an `hdd` column
 * (degreedays.net puts a description there) are skipped; after it, one `date,hdd` row per day.
 */
export function parseHddCsv(text: string, source = 'degree-day CSV'): Map<string, number> {
  const lines = text.split(/\r?\n/);
  const header = lines.findIndex((l) => /(^|,)\s*"?date"?\s*(,|$)/i.test(l) && /hdd/i.test(l));
  if (header < 0) throw new DegreeDayCsvError(`${source}: no header line with a "date" and an "hdd" column`);
  const cols = lines[header]!.split(',').map((c) => c.trim().replace(/^"|"$/g, '').toLowerCase());
  const di = cols.indexOf('date');
  const hi = cols.findIndex((c) => c.startsWith('hdd'));
  const out = new Map<string, number>();
  for (let k = header + 1; k < lines.length; k++) {
    const line = lines[k]!.trim();
    if (line === '') continue;
    const cells = line.split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
    const r = csvRow.safeParse([cells[di], cells[hi]]);
    if (!r.success) throw new DegreeDayCsvError(`${source} line ${k + 1}: ${r.error.issues.map((i) => i.message).join('; ')}`);
    out.set(r.data[0], r.data[1]);
  }
  return out;
}

const csvCache = new Map<string, { mtimeMs: number; byDay: Map<string, number> }>();

/** A CSV file's daily HDD, re-read when the file changes. */
function hddCsvFile(file: string): Map<string, number> {
  const mtimeMs = statSync(file).mtimeMs;
  const hit = csvCache.get(file);
  if (hit && hit.mtimeMs === mtimeMs) return hit.byDay;
  const byDay = parseHddCsv(readFileSync(file, 'utf8'), file);
  csvCache.set(file, { mtimeMs, byDay });
  return byDay;
}
