/** One entry point from a report to the bytes of any format (API, CLI, scheduler, mailer). */
import { renderCsv, type CsvTable } from './csv.ts';
import type { ImpactReport } from './model.ts';
import { renderPdf } from './pdf.ts';

export const REPORT_FORMATS = ['json', 'csv', 'pdf'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface RenderedReport {
  body: Buffer;
  contentType: string;
  /** File name suffix: `.pdf`, `.json`, `.csv`, `.members.csv`. */
  extension: string;
}

export async function renderReport(report: ImpactReport, format: ReportFormat, table: CsvTable = 'daily'): Promise<RenderedReport> {
  switch (format) {
    case 'pdf':
      return { body: await renderPdf(report), contentType: 'application/pdf', extension: '.pdf' };
    case 'csv':
      return { body: Buffer.from(renderCsv(report, table), 'utf8'), contentType: 'text/csv; charset=utf-8', extension: table === 'members' ? '.members.csv' : '.csv' };
    case 'json':
      return { body: Buffer.from(`${JSON.stringify(report, null, 2)}\n`, 'utf8'), contentType: 'application/json; charset=utf-8', extension: '.json' };
  }
}

/** `deskprint-impact-demo-2026-01-01_2026-01-31.pdf`. */
export function reportFileName(report: ImpactReport, rendered: Pick<RenderedReport, 'extension'>): string {
  return `deskprint-impact-${report.site.id}-${report.period.first_day}_${report.period.last_day}${rendered.extension}`;
}
