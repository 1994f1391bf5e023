/**
 * Generated reports kept on disk, one set of files per site and period:
 *   <dataDir>/reports/<site>/<period>.pdf | .json | .csv | .members.csv
 *   <dataDir>/reports/<site>/<period>.meta.json   (written last: a period is stored once it exists)
 * Files are written to a temporary name and renamed, so a reader never sees half a report.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ImpactReport } from './model.ts';
import { PERIOD_ID } from './periods.ts';

export const ARCHIVE_FILES = ['pdf', 'json', 'csv', 'members.csv'] as const;
export type ArchiveFile = (typeof ARCHIVE_FILES)[number];

export const CONTENT_TYPES: Record<ArchiveFile, string> = {
  pdf: 'application/pdf',
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  'members.csv': 'text/csv; charset=utf-8',
};

export interface StoredReport {
  id: string;
  site: string;
  period: { from: string; to: string; first_day: string; last_day: string; final: boolean };
  generated_at: string;
  files: { kind: ArchiveFile; name: string; bytes: number; sha256: string }[];
  /** Set once the report went out by email. */
  emailed: { to: string[]; at: string; message_id: string } | null;
  /** The last failed attempt to email it, retried on the next run. */
  email_error: { at: string; message: string } | null;
}

export class ReportArchive {
  constructor(readonly root: string) {}

  #dir(site: string): string {
    return path.join(this.root, site);
  }

  has(site: string, id: string): boolean {
    return PERIOD_ID.test(id) && existsSync(path.join(this.#dir(site), `${id}.meta.json`));
  }

  get(site: string, id: string): StoredReport | undefined {
    if (!this.has(site, id)) return undefined;
    return JSON.parse(readFileSync(path.join(this.#dir(site), `${id}.meta.json`), 'utf8')) as StoredReport;
  }

  /** Stored reports of a site, newest period first. */
  list(site: string): StoredReport[] {
    const dir = this.#dir(site);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((f) => f.endsWith('.meta.json'))
      .map((f) => f.slice(0, -'.meta.json'.length))
      .filter((id) => PERIOD_ID.test(id))
      .sort()
      .reverse()
      .map((id) => this.get(site, id)!)
      .filter(Boolean);
  }

  /** A stored file's bytes, or undefined. */
  read(site: string, id: string, kind: ArchiveFile): Buffer | undefined {
    const meta = this.get(site, id);
    const entry = meta?.files.find((f) => f.kind === kind);
    if (!entry) return undefined;
    return readFileSync(path.join(this.#dir(site), entry.name));
  }

  save(id: string, report: ImpactReport, files: Record<ArchiveFile, Buffer>): StoredReport {
    if (!PERIOD_ID.test(id)) throw new Error(`not a report period id: "${id}"`);
    const dir = this.#dir(report.site.id);
    mkdirSync(dir, { recursive: true });
    const entries = ARCHIVE_FILES.map((kind) => {
      const name = `${id}.${kind}`;
      atomicWrite(path.join(dir, name), files[kind]);
      return { kind, name, bytes: files[kind].length, sha256: createHash('sha256').update(files[kind]).digest('hex') };
    });
    const meta: StoredReport = {
      id,
      site: report.site.id,
      period: { from: report.period.from, to: report.period.to, first_day: report.period.first_day, last_day: report.period.last_day, final: report.period.final },
      generated_at: report.generated_at,
      files: entries,
      emailed: null,
      email_error: null,
    };
    this.#writeMeta(meta);
    return meta;
  }

  update(site: string, id: string, change: Partial<Pick<StoredReport, 'emailed' | 'email_error'>>): StoredReport {
    const meta = this.get(site, id);
    if (!meta) throw new Error(`no stored report ${site}/${id}`);
    const next = { ...meta, ...change };
    this.#writeMeta(next);
    return next;
  }

  #writeMeta(meta: StoredReport): void {
    atomicWrite(path.join(this.#dir(meta.site), `${meta.id}.meta.json`), Buffer.from(`${JSON.stringify(meta, null, 2)}\n`));
  }
}

function atomicWrite(file: string, data: Buffer): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}
