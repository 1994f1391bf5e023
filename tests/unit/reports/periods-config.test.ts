/** Schedule periods in the site's time zone, and the delivery settings parsed from the environment. */
import { describe, expect, it } from 'vitest';
import { reportConfigFromEnv, ReportConfigError } from '../../../api/reports/config.ts';
import { closedPeriods, localMidnightOf, periodOf } from '../../../api/reports/periods.ts';
import { T, smallSite } from './small-site.ts';

const london = { ...smallSite, timezone: 'Europe/London' };

describe('report periods', () => {
  it('lists the closed local months before now, oldest first', () => {
    const got = closedPeriods(london, 'monthly', T('2025-04-15T10:00'), 3);
    expect(got.map((p) => p.id)).toEqual(['2025-01', '2025-02', '2025-03']);
    // March ends at local midnight on 1 April, which is 23:00 UTC (BST).
    expect(got[2]).toEqual({ id: '2025-03', from: T('2025-03-01T00:00'), to: T('2025-03-31T23:00') });
    // Just before local midnight on 1 April, March is still open.
    expect(closedPeriods(london, 'monthly', T('2025-03-31T22:59'), 1)[0]!.id).toBe('2025-02');
  });

  it('lists ISO weeks from local Monday, numbered by their Thursday', () => {
    const got = closedPeriods(london, 'weekly', T('2025-01-01T12:00'), 2);
    // 30 Dec 2024 – 5 Jan 2025 is week 1 of 2025, so the closed weeks before it are of 2024.
    expect(got.map((p) => p.id)).toEqual(['2024-W51', '2024-W52']);
    expect(periodOf(london, '2025-W01')).toEqual({ id: '2025-W01', from: T('2024-12-30T00:00'), to: T('2025-01-06T00:00') });
    expect(periodOf(london, '2026-W53')).toEqual({ id: '2026-W53', from: T('2026-12-28T00:00'), to: T('2027-01-04T00:00') });
    expect(periodOf(london, '2025-W53')).toBeNull(); // 2025 has 52 weeks
  });

  it('reads an id back into its period and rejects anything else', () => {
    expect(periodOf(london, '2025-07')).toEqual({ id: '2025-07', from: T('2025-06-30T23:00'), to: T('2025-07-31T23:00') });
    for (const bad of ['2025-13', '../etc', '2025-7', 'impact', '2025-W00']) expect(periodOf(london, bad), bad).toBeNull();
  });

  it('takes a plain date as the local midnight', () => {
    expect(localMidnightOf(london, '2025-08-01')).toBe(T('2025-07-31T23:00'));
    expect(localMidnightOf(london, '2025-08-01T00:00:00Z')).toBeNull();
  });
});

describe('report delivery settings', () => {
  it('defaults to monthly reports and no email', () => {
    const c = reportConfigFromEnv({});
    expect(c.smtpUrl).toBeUndefined();
    expect(c.recipients.size).toBe(0);
    expect(c.schedules.size).toBe(0);
    expect(c.backfill).toBe(3);
  });

  it('parses SMTP, recipients per site and schedules', () => {
    const c = reportConfigFromEnv({
      DESKPRINT_SMTP_URL: 'smtp://user:secret@mail.example.org:587',
      DESKPRINT_SMTP_FROM: 'Deskprint <reports@example.org>',
      DESKPRINT_REPORT_RECIPIENTS: 'demo:grants@fund.example, demo:officer@fund.example,hub:a@b.example',
      DESKPRINT_REPORT_SCHEDULE: 'hub:weekly,demo:off',
      DESKPRINT_REPORT_BACKFILL: '6',
    });
    expect(c.recipients.get('demo')).toEqual(['grants@fund.example', 'officer@fund.example']);
    expect(c.recipients.get('hub')).toEqual(['a@b.example']);
    expect(c.schedules.get('hub')).toBe('weekly');
    expect(c.schedules.get('demo')).toBe('off');
    expect(c.backfill).toBe(6);
  });

  it('lists every problem as VARIABLE: message', () => {
    let err: unknown;
    try {
      reportConfigFromEnv({
        DESKPRINT_SMTP_URL: 'http://mail',
        DESKPRINT_REPORT_RECIPIENTS: 'demo:not-an-email,nosite',
        DESKPRINT_REPORT_SCHEDULE: 'demo:daily',
        DESKPRINT_REPORT_BACKFILL: '0',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ReportConfigError);
    expect((err as ReportConfigError).problems).toEqual([
      'DESKPRINT_SMTP_URL: must start with smtp:// or smtps://',
      'DESKPRINT_SMTP_FROM: required with DESKPRINT_SMTP_URL (the sender address)',
      'DESKPRINT_REPORT_RECIPIENTS: "nosite" is not site:value',
      'DESKPRINT_REPORT_RECIPIENTS: "not-an-email" is not an email address',
      'DESKPRINT_REPORT_SCHEDULE: "daily" for site "demo" is not one of monthly, weekly, off',
      'DESKPRINT_REPORT_BACKFILL: a whole number of periods from 1 to 24',
    ]);
  });
});
