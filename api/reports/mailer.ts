/**
 * Sends stored reports to funders with nodemailer over SMTP (DESKPRINT_SMTP_URL): the PDF and
 * the daily CSV attached, the headline figures in the body.
 */
import nodemailer from 'nodemailer';
import { CARRIER_LABEL, num, pct, periodLabel } from './format.ts';
import type { ImpactReport } from './model.ts';

export interface OutgoingReport {
  /** One recipient per message, so funders do not see each other's addresses. */
  to: string;
  subject: string;
  text: string;
  attachments: { filename: string; content: Buffer; contentType: string }[];
}

export interface Mailer {
  send(mail: OutgoingReport): Promise<{ messageId: string }>;
  close(): void;
}

export function createSmtpMailer(o: { url: string; from: string }): Mailer {
  const transport = nodemailer.createTransport(o.url);
  return {
    async send(mail) {
      const info = await transport.sendMail({ from: o.from, to: mail.to, subject: mail.subject, text: mail.text, attachments: mail.attachments });
      return { messageId: info.messageId };
    },
    close: () => transport.close(),
  };
}

/** The email for one report; `files` are the stored PDF and daily CSV. */
export function reportEmail(report: ImpactReport, id: string, to: string, files: { pdf: Buffer; csv: Buffer }): OutgoingReport {
  const period = periodLabel(report.period.first_day, report.period.last_day);
  const sc = report.avoided.scenarios;
  const carriers = report.energy.by_carrier.map((c) => `${CARRIER_LABEL[c.carrier] ?? c.carrier} ${num(c.kwh, 1)} kWh`).join(', ');
  const text = [
    `Impact report for ${report.site.name}, ${period}.`,
    '',
    `Energy used: ${num(report.energy.kwh, 1)} kWh (${carriers}).`,
    `Emissions: ${num(report.energy.kgco2e, 1)} kgCO2e.`,
    report.intensity.kwh_per_m2_yr === null
      ? `Space intensity: not enough data (${report.coverage.text}).`
      : `Space intensity: ${num(report.intensity.kwh_per_m2_yr, 1)} kWh/m² and ${num(report.intensity.kgco2e_per_m2_yr, 2)} kgCO2e/m² a year, annualised from the hours with data (${report.coverage.text}).`,
    `Members served: ${report.people.members_served} (${report.people.member_days} member-days); desk occupancy ${report.people.desk_occupancy === null ? 'not enough data' : pct(report.people.desk_occupancy)}.`,
    `Estimated avoided emissions, outside the inventory: ${num(sc.central.avoided_kgco2e, 1)} kgCO2e (range ${num(sc.low.avoided_kgco2e, 1)} to ${num(sc.high.avoided_kgco2e, 1)}).`,
    ...(report.period.final ? [] : ['', 'Provisional: part of the period belongs to a month that had not closed when this was generated.']),
    '',
    'The PDF explains the method, the data quality and the figures day by day; the CSV has one row per day.',
    'No member is named in either.',
    '',
    `deskprint (${report.generator})`,
  ].join('\n');
  const base = `deskprint-impact-${report.site.id}-${id}`;
  return {
    to,
    subject: `Impact report: ${report.site.name}, ${period}`,
    text,
    attachments: [
      { filename: `${base}.pdf`, content: files.pdf, contentType: 'application/pdf' },
      { filename: `${base}.csv`, content: files.csv, contentType: 'text/csv; charset=utf-8' },
    ],
  };
}
