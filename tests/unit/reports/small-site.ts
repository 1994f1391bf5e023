/**
 * A one-day site small enough to check by hand: METHODOLOGY §4's worked example (one member,
 * 8 h at a desk drawing 45 W, lights 200 W, main meter 1000 W for 10 h) in March 2025,
 * recomputed by the footprint engine into an in-memory SQLite store.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildImpactReport, type ImpactReport } from '../../../api/reports/model.ts';
import { renderPdf } from '../../../api/reports/pdf.ts';
import type { SiteFile } from '../../../devices/site.ts';
import { checkinToPoint, readingToPoint } from '../../../footprint/events.ts';
import { recompute } from '../../../footprint/recompute.ts';
import { SqliteStore } from '../../../store/sqlite.ts';
import { T, checkin, constantPower, makeSite } from '../footprint/helpers.ts';

// Distinctive names, so a leak is unambiguous.
export const MEMBER_NAMES = ['Zebedee Quartermain', 'Ottoline Vasquez'];

export const smallSite = makeSite(
  [
    { id: 'plug-d1', kind: 'desk_plug', desk: 'd1', carrier: 'electricity' },
    { id: 'light-z1', kind: 'zone_lighting', zone: 'z1', carrier: 'electricity' },
    { id: 'main-el', kind: 'meter', category: 'main', carrier: 'electricity' },
  ],
  { members: [{ id: 'm1', name: MEMBER_NAMES[0] }, { id: 'm2', name: MEMBER_NAMES[1] }] },
);

const events = [
  ...constantPower(smallSite, 'plug-d1', 45, T('2025-03-10T09:00'), T('2025-03-10T17:00')),
  ...constantPower(smallSite, 'light-z1', 200, T('2025-03-10T08:00'), T('2025-03-10T18:00')),
  ...constantPower(smallSite, 'main-el', 1000, T('2025-03-10T08:00'), T('2025-03-10T18:00')),
  checkin(smallSite, 'm1', 'check_in', T('2025-03-10T09:00'), 'd1'),
  checkin(smallSite, 'm1', 'check_out', T('2025-03-10T17:00')),
];

export const MARCH = { from: T('2025-03-01T00:00'), to: T('2025-04-01T00:00') };

/** An in-memory store holding the raw data and March 2025's final footprint (of `site`: the small site, or a variant with the same devices). */
export async function smallStore(site: SiteFile = smallSite): Promise<SqliteStore> {
  const store = new SqliteStore({ file: ':memory:' });
  await store.init();
  await store.write(events.map((e) => (e.type === 'reading' ? readingToPoint(e.reading) : checkinToPoint(e.checkin))));
  await recompute({ store, site, ...MARCH, now: T('2025-04-10T00:00') });
  return store;
}

export { T };

/** March 2025's impact report of `site` (a variant of the small site), and its PDF as text (poppler's pdftotext -layout). */
export async function marchReport(site: SiteFile): Promise<{ store: SqliteStore; report: ImpactReport; text: string }> {
  const store = await smallStore(site);
  const report = await buildImpactReport({ store, site, ...MARCH, generatedAt: T('2025-04-02T06:00') });
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'deskprint-report-pdf-')), 'report.pdf');
  writeFileSync(file, await renderPdf(report));
  return { store, report, text: execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' }) };
}

/** A regular expression for a table row: the cells in order, separated by any whitespace. */
export const pdfRow = (...cells: string[]): RegExp => new RegExp(cells.map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\\s+'));
