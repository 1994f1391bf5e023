/**
 * The report schedule (issue 8, item 6): for every site, each closed period (a local calendar
 * month by default, or an ISO week) gets its report generated once, stored in the archive,
 * and, when SMTP and recipients are configured, emailed to the site's funders. A failed email
 * is retried on the next run; a stored report is never regenerated.
 *
 * A period is due once it ended `graceMs` ago (default 6 h: the live engine closes a month's
 * last interval about 40 minutes after it ends, and recomputes dirty months later). A report
 * that still has provisional days waits for them, up to `maxWaitMs` after the period's end.
 */
import path from 'node:path';
import type { SiteFile } from '../../devices/site.ts';
import type { LiveDays } from '../../footprint/read.ts';
import type { TimeSeriesStore } from '../../store/types.ts';
import { ReportArchive, type ArchiveFile, type StoredReport } from './archive.ts';
import type { ReportConfig } from './config.ts';
import { createSmtpMailer, reportEmail, type Mailer } from './mailer.ts';
import { buildImpactReport } from './model.ts';
import { closedPeriods, type ReportPeriod, type Schedule } from './periods.ts';
import { renderReport } from './render.ts';
import { hasFootprint } from '../../footprint/read.ts';

const HOUR_MS = 3_600_000;

export interface ReportSchedulerDeps {
  store: TimeSeriesStore;
  /** The sites to report on (the registry's `sites()`, or a list). */
  sites: { sites(): readonly SiteFile[] } | readonly SiteFile[];
  /** Reports are stored under `<dataDir>/reports` (unless `archive` is given). */
  dataDir?: string;
  archive?: ReportArchive;
  /** Schedules, recipients and SMTP (reportConfigFromEnv); default: monthly, no email. */
  config?: Partial<ReportConfig>;
  /** Overrides the SMTP mailer built from config (tests, other transports). */
  mailer?: Mailer;
  engine?: LiveDays;
  log?: { info(o: object, m: string): void; warn(o: object, m: string): void };
  /** How often the timer runs `runDue`; default hourly. */
  everyMs?: number;
  /** Also run once right after start (default true). */
  runOnStart?: boolean;
  graceMs?: number;
  maxWaitMs?: number;
  clock?: () => number;
}

export interface ScheduledRun {
  site: string;
  id: string;
  /** What happened to the period on this run. */
  outcome: 'generated' | 'stored-before' | 'no-data' | 'waiting-for-final';
  /** Recipients it was emailed to on this run. */
  emailed: string[];
  error?: string;
}

export interface ReportScheduler {
  /** Generates, stores and emails every period due at `now`; runs one at a time. */
  runDue(now: number): Promise<ScheduledRun[]>;
  stop(): Promise<void>;
}

export function startReportScheduler(deps: ReportSchedulerDeps): ReportScheduler {
  const archive = deps.archive ?? new ReportArchive(path.join(requireDataDir(deps), 'reports'));
  const cfg = deps.config ?? {};
  const mailer = deps.mailer ?? (cfg.smtpUrl && cfg.smtpFrom ? createSmtpMailer({ url: cfg.smtpUrl, from: cfg.smtpFrom }) : undefined);
  const grace = deps.graceMs ?? 6 * HOUR_MS;
  const maxWait = deps.maxWaitMs ?? 72 * HOUR_MS;
  const clock = deps.clock ?? Date.now;
  const sites = () => ('sites' in deps.sites && typeof deps.sites.sites === 'function' ? deps.sites.sites() : (deps.sites as readonly SiteFile[]));
  const scheduleOf = (site: string): Schedule => cfg.schedules?.get(site) ?? 'monthly';

  let chain: Promise<unknown> = Promise.resolve();
  let stopped = false;

  async function runPeriod(site: SiteFile, period: ReportPeriod, now: number): Promise<ScheduledRun> {
    const run: ScheduledRun = { site: site.id, id: period.id, outcome: 'stored-before', emailed: [] };
    let stored = archive.get(site.id, period.id);
    if (!stored) {
      if (!(await hasFootprint(deps.store, site.id, period.from, period.to))) return { ...run, outcome: 'no-data' };
      const report = await buildImpactReport({ store: deps.store, site, from: period.from, to: period.to, generatedAt: now, ...(deps.engine ? { engine: deps.engine } : {}) });
      if (!report.period.final && now < period.to + maxWait) return { ...run, outcome: 'waiting-for-final' };
      const files: Record<ArchiveFile, Buffer> = {
        pdf: (await renderReport(report, 'pdf')).body,
        json: (await renderReport(report, 'json')).body,
        csv: (await renderReport(report, 'csv')).body,
        'members.csv': (await renderReport(report, 'csv', 'members')).body,
      };
      stored = archive.save(period.id, report, files);
      run.outcome = 'generated';
      deps.log?.info({ site: site.id, report: period.id, final: report.period.final }, 'impact report stored');
    }
    const recipients = cfg.recipients?.get(site.id) ?? [];
    if (mailer && recipients.length && !stored.emailed) await emailReport(stored, recipients, now, run);
    return run;
  }

  async function emailReport(stored: StoredReport, recipients: readonly string[], now: number, run: ScheduledRun): Promise<void> {
    const report = JSON.parse(archive.read(stored.site, stored.id, 'json')!.toString('utf8'));
    const files = { pdf: archive.read(stored.site, stored.id, 'pdf')!, csv: archive.read(stored.site, stored.id, 'csv')! };
    const ids: string[] = [];
    try {
      for (const to of recipients) ids.push((await mailer!.send(reportEmail(report, stored.id, to, files))).messageId);
      archive.update(stored.site, stored.id, { emailed: { to: [...recipients], at: new Date(now).toISOString(), message_id: ids.join(' ') }, email_error: null });
      run.emailed = [...recipients];
      deps.log?.info({ site: stored.site, report: stored.id, recipients: recipients.length }, 'impact report emailed');
    } catch (err) {
      // Some may have gone out; all are retried (a duplicate beats a funder without a report).
      const message = (err as Error).message;
      archive.update(stored.site, stored.id, { email_error: { at: new Date(now).toISOString(), message } });
      run.error = `email: ${message}`;
      deps.log?.warn({ site: stored.site, report: stored.id, err: message }, 'emailing the impact report failed; will retry');
    }
  }

  async function runDueNow(now: number): Promise<ScheduledRun[]> {
    const out: ScheduledRun[] = [];
    for (const site of sites()) {
      const schedule = scheduleOf(site.id);
      if (schedule === 'off') continue;
      for (const period of closedPeriods(site, schedule, now - grace, cfg.backfill ?? 3)) {
        if (stopped) return out;
        try {
          out.push(await runPeriod(site, period, now));
        } catch (err) {
          out.push({ site: site.id, id: period.id, outcome: 'no-data', emailed: [], error: (err as Error).message });
          deps.log?.warn({ site: site.id, report: period.id, err: (err as Error).message }, 'impact report failed; will retry');
        }
      }
    }
    return out;
  }

  const runDue = (now: number): Promise<ScheduledRun[]> => {
    const next = chain.then(() => runDueNow(now));
    chain = next.catch(() => undefined);
    return next;
  };

  const timer = setInterval(() => void runDue(clock()), deps.everyMs ?? HOUR_MS);
  timer.unref();
  const first = deps.runOnStart === false ? undefined : setTimeout(() => void runDue(clock()), 0);
  first?.unref();

  return {
    runDue,
    async stop() {
      stopped = true;
      clearInterval(timer);
      if (first) clearTimeout(first);
      await chain;
      if (!deps.mailer) mailer?.close();
    },
  };
}

function requireDataDir(deps: ReportSchedulerDeps): string {
  if (deps.dataDir === undefined) throw new Error('startReportScheduler needs dataDir or archive');
  return deps.dataDir;
}
