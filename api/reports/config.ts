/**
 * Report delivery settings, parsed once from `DESKPRINT_*` variables (documented in
 * docs/reports.md; the lead folds them into cli/config.ts and .env.example):
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

/** Parses the variables above; throws ReportConfigError listing every problem as `VARIABLE: message`. */
export function reportConfigFromEnv(env: NodeJS.ProcessEnv): ReportConfig {
  const problems: string[] = [];
  const value = (k: string) => (env[k] === undefined || env[k] === '' ? undefined : env[k]!.trim());

  const smtpUrl = value('DESKPRINT_SMTP_URL');
  const smtpFrom = value('DESKPRINT_SMTP_FROM');
  if (smtpUrl !== undefined && !/^smtps?:\/\/[^/]/.test(smtpUrl)) problems.push('DESKPRINT_SMTP_URL: must start with smtp:// or smtps://');
  if (smtpUrl !== undefined && smtpFrom === undefined) problems.push('DESKPRINT_SMTP_FROM: required with DESKPRINT_SMTP_URL (the sender address)');
  if (smtpFrom !== undefined && !email.safeParse(smtpFrom.replace(/^.*<(.+)>$/, '$1')).success) problems.push(`DESKPRINT_SMTP_FROM: "${smtpFrom}" is not an email address`);

  const recipients = new Map<string, string[]>();
  for (const [site, to] of pairs(value('DESKPRINT_REPORT_RECIPIENTS'), 'DESKPRINT_REPORT_RECIPIENTS', problems)) {
    if (!email.safeParse(to).success) {
      problems.push(`DESKPRINT_REPORT_RECIPIENTS: "${to}" is not an email address`);
      continue;
    }
    recipients.set(site, [...(recipients.get(site) ?? []), to]);
  }
  const schedules = new Map<string, Schedule>();
  for (const [site, s] of pairs(value('DESKPRINT_REPORT_SCHEDULE'), 'DESKPRINT_REPORT_SCHEDULE', problems)) {
    if (!(SCHEDULES as readonly string[]).includes(s)) problems.push(`DESKPRINT_REPORT_SCHEDULE: "${s}" for site "${site}" is not one of ${SCHEDULES.join(', ')}`);
    else schedules.set(site, s as Schedule);
  }
  const backfillText = value('DESKPRINT_REPORT_BACKFILL');
  const backfill = backfillText === undefined ? 3 : Number(backfillText);
  if (!Number.isInteger(backfill) || backfill < 1 || backfill > 24) problems.push('DESKPRINT_REPORT_BACKFILL: a whole number of periods from 1 to 24');

  if (problems.length) throw new ReportConfigError(problems);
  return Object.freeze({ ...(smtpUrl ? { smtpUrl } : {}), ...(smtpFrom ? { smtpFrom } : {}), recipients, schedules, backfill });
}

/** `site:value,site:value` → pairs; the value may itself hold colons (it is split at the first). */
function pairs(text: string | undefined, name: string, problems: string[]): [string, string][] {
  if (text === undefined) return [];
  const out: [string, string][] = [];
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const at = item.indexOf(':');
    const site = at > 0 ? item.slice(0, at).trim() : '';
    const v = at > 0 ? item.slice(at + 1).trim() : '';
    if (!siteId.test(site) || v === '') problems.push(`${name}: "${item}" is not site:value`);
    else out.push([site, v]);
  }
  return out;
}
