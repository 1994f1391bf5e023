/**
 * Impact reports for funders (METHODOLOGY.md §6; docs/reports.md): the public surface for
 * the API, the CLI and the process that runs the schedule.
 */
export { buildImpactReport, reportPeriod, siteCarriers, AVOIDED_LABEL, EXCLUSIONS, REPORT_FORMAT, REPORT_GENERATOR, type ImpactReport, type BuildReportOptions, type DailyRow, type AnonymousMember } from './model.ts';
export { renderReport, reportFileName, REPORT_FORMATS, type ReportFormat, type RenderedReport } from './render.ts';
export { renderCsv, dailyCsv, membersCsv, CSV_TABLES, type CsvTable } from './csv.ts';
export { renderPdf } from './pdf.ts';
export { ReportArchive, ARCHIVE_FILES, type ArchiveFile, type StoredReport } from './archive.ts';
export { closedPeriods, periodOf, periodId, localMidnightOf, SCHEDULES, type Schedule, type ReportPeriod } from './periods.ts';
export { reportConfigFromEnv, reportConfigOf, ReportConfigError, type ReportConfig, type ReportSettings } from './config.ts';
export { createSmtpMailer, reportEmail, type Mailer, type OutgoingReport } from './mailer.ts';
export { startReportScheduler, type ReportScheduler, type ReportSchedulerDeps, type ScheduledRun } from './schedule.ts';
export { methodologyDocument, METHODOLOGY_PATH } from './methodology.ts';
