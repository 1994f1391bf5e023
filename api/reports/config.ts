/**
 * Report delivery settings (documented in docs/reports.md and .env.example). They are part
 * of deskprint's configuration (cli/config.ts), parsed once at start-up with the rest:
 *
 *   DESKPRINT_SMTP_URL               smtp://user:pass@host:587 or smtps://…; unset: no email
 *   DESKPRINT_SMTP_FROM              sender address, required with DESKPRINT_SMTP_URL
 *   DESKPRINT_REPORT_RECIPIENTS      site:email,site:email   funders who receive each report
 *   DESKPRINT_REPORT_SCHEDULE        site:monthly|weekly|off,…   default monthly for every site
 *   DESKPRINT_REPORT_BACKFILL        closed periods looked back at on each run (default 3)
 */
import { z } from 'zod';
import { SCHEDULES, type Schedule } from './periods.ts';

export interface ReportConfig {
  smtpUrl?: string;
  smtpFrom?: string;
  /** Funder addresses per site. */
  recipients: ReadonlyMap<string, readonly string[]>;
  /** A site's schedule; sites not listed are monthly. */
  schedules: ReadonlyMap<string, Schedule>;
  backfill: number;
}

export class ReportConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid report configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ReportConfigError';
  }
}

const email = z.email();
const siteId = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** The settings as configuration keys (cli/config.ts), each from its `DESKPRINT_*` variable. */
export interface ReportSettings {
  smtpUrl?: string | undefined;
  smtpFrom?: string | undefined;
  reportRecipients?: string | undefined;
  reportSchedule?: string | undefined;
  reportBackfill?: string | undefined;
}

/** The variable of each setting, for messages. */
export const REPORT_SETTING_VARIABLES: Record<keyof ReportSettings, string> = {
  smtpUrl: 'DESKPRINT_SMTP_URL',
  smtpFrom: 'DESKPRINT_SMTP_FROM',
  reportRecipients: 'DESKPRINT_REPORT_RECIPIENTS',
  reportSchedule: 'DESKPRINT_REPORT_SCHEDULE',
  reportBackfill: 'DESKPRINT_REPORT_BACKFILL',
};

export interface ReportSettingProblem {
  key: keyof ReportSettings;
  message: string;
}

/** Every problem of the settings, by key (the configuration lists them as `VARIABLE: message`). */
export function reportSettingProblems(s: ReportSettings): ReportSettingProblem[] {
  const problems: ReportSettingProblem[] = [];
  parseReportSettings(s, problems);
  return problems;
}

/** The report configuration of valid settings; throws ReportConfigError listing every problem as `VARIABLE: message`. */
export function reportConfigOf(s: ReportSettings): ReportConfig {
  const problems: ReportSettingProblem[] = [];
  const config = parseReportSettings(s, problems);
  if (problems.length) throw new ReportConfigError(problems.map((p) => `${REPORT_SETTING_VARIABLES[p.key]}: ${p.message}`));
  return config;
}

/** The settings read straight from `DESKPRINT_*` variables (tools and tests; deskprint itself reads cli/config.ts). */
export function reportConfigFromEnv(env: NodeJS.ProcessEnv): ReportConfig {
  const settings: ReportSettings = {};
  for (const [key, variable] of Object.entries(REPORT_SETTING_VARIABLES) as [keyof ReportSettings, string][]) settings[key] = env[variable];
  return reportConfigOf(settings);
}

function parseReportSettings(s: ReportSettings, problems: ReportSettingProblem[]): ReportConfig {
  const value = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim());

  const smtpUrl = value(s.smtpUrl);
  const smtpFrom = value(s.smtpFrom);
  if (smtpUrl !== undefined && !/^smtps?:\/\/[^/]/.test(smtpUrl)) problems.push({ key: 'smtpUrl', message: 'must start with smtp:// or smtps://' });
  if (smtpUrl !== undefined && smtpFrom === undefined) problems.push({ key: 'smtpFrom', message: 'required with DESKPRINT_SMTP_URL (the sender address)' });
  if (smtpFrom !== undefined && !email.safeParse(smtpFrom.replace(/^.*<(.+)>$/, '$1')).success) problems.push({ key: 'smtpFrom', message: `"${smtpFrom}" is not an email address` });

  const recipients = new Map<string, string[]>();
  for (const [site, to] of pairs(value(s.reportRecipients), 'reportRecipients', problems)) {
    if (!email.safeParse(to).success) {
      problems.push({ key: 'reportRecipients', message: `"${to}" is not an email address` });
      continue;
    }
    recipients.set(site, [...(recipients.get(site) ?? []), to]);
  }
  const schedules = new Map<string, Schedule>();
  for (const [site, sc] of pairs(value(s.reportSchedule), 'reportSchedule', problems)) {
    if (!(SCHEDULES as readonly string[]).includes(sc)) problems.push({ key: 'reportSchedule', message: `"${sc}" for site "${site}" is not one of ${SCHEDULES.join(', ')}` });
    else schedules.set(site, sc as Schedule);
  }
  const backfillText = value(s.reportBackfill);
  const backfill = backfillText === undefined ? 3 : Number(backfillText);
  if (!Number.isInteger(backfill) || backfill < 1 || backfill > 24) problems.push({ key: 'reportBackfill', message: 'a whole number of periods from 1 to 24' });

  return Object.freeze({ ...(smtpUrl ? { smtpUrl } : {}), ...(smtpFrom ? { smtpFrom } : {}), recipients, schedules, backfill });
}

/** `site:value,site:value` → pairs; the value may itself hold colons (it is split at the first). */
function pairs(text: string | undefined, key: keyof ReportSettings, problems: ReportSettingProblem[]): [string, string][] {
  if (text === undefined) return [];
  const out: [string, string][] = [];
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const at = item.indexOf(':');
    const site = at > 0 ? item.slice(0, at).trim() : '';
    const v = at > 0 ? item.slice(at + 1).trim() : '';
    if (!siteId.test(site) || v === '') problems.push({ key, message: `"${item}" is not site:value` });
    else out.push([site, v]);
  }
  return out;
}
