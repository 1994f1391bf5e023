/**
 * The report schedule emailing funders through a real SMTP server (smtp-server, started here
 * on an ephemeral port): each recipient gets one message with the stored PDF attached byte
 * for byte; a period is emailed once; a refused delivery is recorded and retried.
 */
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReportArchive } from '../../api/reports/archive.ts';
import { startReportScheduler } from '../../api/reports/schedule.ts';
import type { SqliteStore } from '../../store/sqlite.ts';
import { MEMBER_NAMES, T, smallSite as site, smallStore } from '../unit/reports/small-site.ts';

interface Received {
  from: string;
  to: string[];
  raw: Buffer;
}

let smtp: SMTPServer;
let port = 0;
let received: Received[] = [];
/** Recipients the server refuses, to simulate a failing delivery. */
const refuse = new Set<string>();
let store: SqliteStore;

beforeAll(async () => {
  store = await smallStore();
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, cb) {
      if (refuse.has(address.address)) return cb(Object.assign(new Error('mailbox unavailable'), { responseCode: 550 }));
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks) });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  port = (smtp.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  await store.close();
});

/** The decoded body of the MIME part with this content type (base64, as nodemailer sends binaries). */
function attachment(raw: Buffer, contentType: string): Buffer | undefined {
  const text = raw.toString('latin1');
  const boundary = /boundary="?([^";\r\n]+)"?/.exec(text)?.[1];
  if (!boundary) return undefined;
  for (const part of text.split(`--${boundary}`)) {
    const split = part.indexOf('\r\n\r\n');
    const headers = part.slice(0, split);
    if (!new RegExp(`Content-Type: ${contentType.replace('/', '\\/')}`, 'i').test(headers)) continue;
    expect(headers).toMatch(/Content-Transfer-Encoding: base64/i);
    return Buffer.from(part.slice(split + 4).replace(/\s+/g, ''), 'base64');
  }
  return undefined;
}

/** The Subject header, unfolded and decoded from RFC 2047 Q-encoded words. */
function subject(raw: string): string {
  const header = /^Subject: (.*(?:\r\n[ \t].*)*)/m.exec(raw)![1]!.replace(/\r\n[ \t]/g, ' ');
  return header
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?UTF-8\?Q\?(.*?)\?=/gi, (_, q: string) => Buffer.from(q.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'));
}

const NOW = T('2025-04-10T00:00');
const config = (extra: Record<string, unknown> = {}) => ({
  smtpUrl: `smtp://127.0.0.1:${port}`,
  smtpFrom: 'reports@deskprint.example',
  recipients: new Map([['hub', ['grants@fund.example', 'officer@fund.example']]]),
  backfill: 1,
  ...extra,
});

describe('emailing scheduled reports', () => {
  it('sends each funder the stored PDF, byte-intact, once', async () => {
    received = [];
    const dataDir = mkdtempSync(path.join(tmpdir(), 'deskprint-report-mail-'));
    const scheduler = startReportScheduler({ store, sites: [site], dataDir, config: config(), runOnStart: false });
    const runs = await scheduler.runDue(NOW);
    expect(runs).toEqual([{ site: 'hub', id: '2025-03', outcome: 'generated', emailed: ['grants@fund.example', 'officer@fund.example'] }]);
    expect(received.map((m) => m.to)).toEqual([['grants@fund.example'], ['officer@fund.example']]);

    const archive = new ReportArchive(path.join(dataDir, 'reports'));
    const storedPdf = archive.read('hub', '2025-03', 'pdf')!;
    for (const m of received) {
      expect(m.from).toBe('reports@deskprint.example');
      const text = m.raw.toString('latin1');
      expect(subject(text)).toBe('Impact report: Test hub, 1 – 31 March 2025');
      const pdf = attachment(m.raw, 'application/pdf');
      expect(pdf?.equals(storedPdf)).toBe(true);
      expect(attachment(m.raw, 'text/csv')?.equals(archive.read('hub', '2025-03', 'csv')!)).toBe(true);
      for (const n of MEMBER_NAMES) expect(text).not.toContain(n.split(' ')[0]);
    }
    expect(archive.get('hub', '2025-03')!.emailed?.to).toEqual(['grants@fund.example', 'officer@fund.example']);

    // The next run finds it stored and emailed: nothing is sent again.
    expect(await scheduler.runDue(NOW + 3_600_000)).toEqual([{ site: 'hub', id: '2025-03', outcome: 'stored-before', emailed: [] }]);
    expect(received).toHaveLength(2);
    await scheduler.stop();
  });

  it('records a refused delivery and retries it on the next run', async () => {
    received = [];
    refuse.add('officer@fund.example');
    const dataDir = mkdtempSync(path.join(tmpdir(), 'deskprint-report-mail-'));
    const archive = new ReportArchive(path.join(dataDir, 'reports'));
    const scheduler = startReportScheduler({ store, sites: [site], dataDir, config: config(), runOnStart: false });
    const [first] = await scheduler.runDue(NOW);
    expect(first).toMatchObject({ outcome: 'generated', emailed: [] });
    expect(first!.error).toMatch(/^email: .*mailbox unavailable/);
    expect(archive.get('hub', '2025-03')).toMatchObject({ emailed: null, email_error: { message: expect.stringMatching(/mailbox unavailable/) } });

    refuse.clear();
    const [second] = await scheduler.runDue(NOW + 3_600_000);
    expect(second).toEqual({ site: 'hub', id: '2025-03', outcome: 'stored-before', emailed: ['grants@fund.example', 'officer@fund.example'] });
    expect(archive.get('hub', '2025-03')).toMatchObject({ emailed: { to: ['grants@fund.example', 'officer@fund.example'] }, email_error: null });
    await scheduler.stop();
  });
});
