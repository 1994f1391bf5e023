/**
 * `deskprint report`: write an impact report (METHODOLOGY §6; docs/reports.md) for a site
 * and period from the footprint stored in the time-series store.
 *
 *   deskprint report --site S --from ISO --to ISO --format json|csv|pdf --out FILE
 *                    [--table daily|members] [--data-dir DIR] [--site-file FILE]...
 *                    [--store sqlite|influx] [--quiet]
 *
 * The store and site files come from the same configuration as `deskprint start`. The period
 * is widened to whole local days. `--out -` writes to stdout. A progress bar goes to stderr
 * for periods over a month. Exit codes: 0 written, 1 failed at run time, 2 bad arguments.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { CSV_TABLES, type CsvTable } from '../../api/reports/csv.ts';
import { buildImpactReport } from '../../api/reports/model.ts';
import { localMidnightOf } from '../../api/reports/periods.ts';
import { REPORT_FORMATS, renderReport, type ReportFormat } from '../../api/reports/render.ts';
import { createStore } from '../../store/index.ts';
import { PERIOD_COMMAND_OPTIONS, commandConfig, commandPeriod, commandSite, parseCommandArgs, storeConfigOf } from './common.ts';

const DAY_MS = 86_400_000;
/** Periods longer than this show a progress bar. */
const PROGRESS_OVER_MS = 31 * DAY_MS;

const USAGE = `usage: deskprint report --site S --from ISO --to ISO --format json|csv|pdf --out FILE
                        [--table daily|members] [--data-dir DIR] [--site-file FILE]...
                        [--store sqlite|influx] [--quiet]

Writes the impact report of a site for [from, to), widened to whole local days. --out -
writes to stdout. --format defaults to the extension of --out. With --format csv,
--table members writes the anonymised per-member table instead of the daily one.`;

export async function runReport(args: string[]): Promise<number> {
  const parsed = parseCommandArgs('report', USAGE, args, {
    ...PERIOD_COMMAND_OPTIONS,
    format: { type: 'string' },
    table: { type: 'string' },
    out: { type: 'string', short: 'o' },
  });
  if ('exit' in parsed) return parsed.exit;
  const { values } = parsed;
  const problems: string[] = [];
  const { from, to } = commandPeriod(values, problems);
  if (!values.out) problems.push('--out: required (a file, or - for stdout)');
  const format = (values.format ?? formatFromFile(values.out)) as ReportFormat | undefined;
  if (format === undefined) problems.push(`--format: required when --out has no .json, .csv or .pdf extension`);
  else if (!(REPORT_FORMATS as readonly string[]).includes(format)) problems.push(`--format: expected one of ${REPORT_FORMATS.join(', ')}, got "${format}"`);
  const table = (values.table ?? 'daily') as CsvTable;
  if (!(CSV_TABLES as readonly string[]).includes(table)) problems.push(`--table: expected one of ${CSV_TABLES.join(', ')}, got "${values.table}"`);

  const config = commandConfig(values, problems);
  const site = config && values.site ? commandSite(config, values.site, problems) : undefined;
  if (problems.length || !config || !site || from === undefined || to === undefined || !format || !values.out) {
    console.error(`deskprint report: invalid arguments\n${problems.map((p) => `  ${p}`).join('\n')}\n\n${USAGE}`);
    return 2;
  }
  // A plain date is the site's local midnight (a July report ends at local midnight on 1 August).
  const periodFrom = localMidnightOf(site, values.from!) ?? from;
  const periodTo = localMidnightOf(site, values.to!) ?? to;

  const store = createStore(storeConfigOf(config));

  const bar = values.quiet || periodTo - periodFrom <= PROGRESS_OVER_MS
    ? undefined
    : new cliProgress.SingleBar(
        { stream: process.stderr, format: `report ${site.id} [{bar}] {percentage}% | {value}/{total} days read`, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
  try {
    await store.init();
    let started = false;
    const report = await buildImpactReport({
      store, site, from: periodFrom, to: periodTo, generatedAt: Date.now(),
      onProgress: (done, total) => {
        if (!bar) return;
        const days = (ms: number) => Math.round(ms / DAY_MS);
        if (!started) (bar.start(days(total), 0), (started = true));
        bar.update(days(done));
      },
    });
    bar?.stop();
    const out = await renderReport(report, format, table);
    if (values.out === '-') process.stdout.write(out.body);
    else writeFileSync(values.out, out.body);
    if (!values.quiet && values.out !== '-') {
      console.error(`deskprint report: ${site.id} ${report.period.first_day} … ${report.period.last_day} (${report.period.days} days${report.period.final ? '' : ', provisional'}) → ${values.out} (${out.body.length} bytes)`);
    }
    return 0;
  } catch (err) {
    bar?.stop();
    console.error(`deskprint report: ${(err as Error).message}`);
    return 1;
  } finally {
    await store.close();
  }
}

function formatFromFile(file: string | undefined): string | undefined {
  const ext = file ? path.extname(file).slice(1).toLowerCase() : '';
  return (REPORT_FORMATS as readonly string[]).includes(ext) ? ext : undefined;
}

