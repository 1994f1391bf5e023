/**
 * The PDF renderer on the hand-checkable site: A4, embedded fonts, numbered pages, the
 * methodology appendix, and byte-identical output for the same data and clock.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImpactReport, type ImpactReport } from '../../../api/reports/model.ts';
import { renderPdf } from '../../../api/reports/pdf.ts';
import type { SqliteStore } from '../../../store/sqlite.ts';
import { MARCH, MEMBER_NAMES, T, smallSite as site, smallStore } from './small-site.ts';

let store: SqliteStore;
let report: ImpactReport;
let pdf: Buffer;
let file: string;
const tmp = mkdtempSync(path.join(tmpdir(), 'deskprint-pdf-'));

beforeAll(async () => {
  store = await smallStore();
  report = await buildImpactReport({ store, site, ...MARCH, generatedAt: T('2025-04-02T06:00') });
  pdf = await renderPdf(report);
  file = path.join(tmp, 'report.pdf');
  writeFileSync(file, pdf);
});

afterAll(async () => {
  await store.close();
});

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8' });

describe('PDF impact report', () => {
  it('is an A4 PDF whose fonts are all embedded', () => {
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const info = run('pdfinfo', [file]);
    expect(info).toMatch(/Page size:\s+595\.28 x 841\.89 pts \(A4\)/);
    expect(info).toMatch(/Title:\s+Impact report: Test hub, 1 – 31 March 2025/);
    const fonts = run('pdffonts', [file]).trim().split('\n').slice(2);
    expect(fonts.length).toBeGreaterThanOrEqual(2);
    // Columns: name type encoding emb sub uni …: every font embedded.
    for (const line of fonts) expect(line, line).toMatch(/DejaVu\S*\s+CID TrueType\s+Identity-H\s+yes/);
  });

  it('numbers every page and ends with the methodology', () => {
    const pages = Number(/Pages:\s+(\d+)/.exec(run('pdfinfo', [file]))![1]);
    expect(pages).toBeGreaterThanOrEqual(4);
    const text = run('pdftotext', ['-layout', file, '-']);
    const perPage = text.split('\f').filter((p) => p.trim() !== '');
    expect(perPage).toHaveLength(pages);
    perPage.forEach((p, i) => expect(p).toContain(`Page ${i + 1} of ${pages}`));
    // The methodology's last section ends the document, down to its last word.
    const last = [...report.methodology.text.matchAll(/^## (.+)$/gm)].at(-1)![1]!.replace(/\*\*|`/g, '');
    expect(text.indexOf(last)).toBeGreaterThan(text.indexOf('Appendix B. Methodology'));
    expect(perPage.at(-1)!.trim().split(/\s+/).filter((w) => !/^(Page|\d+|of)$/.test(w))).toContain(report.methodology.text.trim().split(/\s+/).at(-1));
    expect(text).toMatch(/7\. Later \(not in the first version\)/);
    expect(text).toContain('Appendix B. Methodology');
    expect(text).toContain('Estimated avoided emissions, outside the inventory');
    for (const name of MEMBER_NAMES) expect(text).not.toContain(name.split(' ')[0]);
  });

  it('is byte-identical for the same data and clock, and dated by the clock', async () => {
    const again = await renderPdf(await buildImpactReport({ store, site, ...MARCH, generatedAt: T('2025-04-02T06:00') }));
    expect(again.equals(pdf)).toBe(true);
    const later = await renderPdf(await buildImpactReport({ store, site, ...MARCH, generatedAt: T('2025-04-03T07:30') }));
    expect(later.equals(pdf)).toBe(false);
    const laterFile = path.join(tmp, 'later.pdf');
    writeFileSync(laterFile, later);
    expect(run('pdfinfo', [laterFile])).toMatch(/CreationDate:\s+Thu Apr\s+3 07:30:00 2025/);
    expect(run('pdftotext', [laterFile, '-'])).toContain('Generated 2025-04-03 07:30 UTC');
  });
});
