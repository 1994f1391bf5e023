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
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { parseSiteYaml, SiteFileError, type SiteFile } from '../../devices/site.ts';
import { CSV_TABLES, type CsvTable } from '../../api/reports/csv.ts';
import { buildImpactReport } from '../../api/reports/model.ts';
import { localMidnightOf } from '../../api/reports/periods.ts';
import { REPORT_FORMATS, renderReport, type ReportFormat } from '../../api/reports/render.ts';
import { createStore } from '../../store/index.ts';
import { ConfigError, configFromEnv, loadConfig, type ConfigInput } from '../config.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
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
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      options: {
        site: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        format: { type: 'string' },
        table: { type: 'string' },
        out: { type: 'string', short: 'o' },
        'data-dir': { type: 'string' },
        'site-file': { type: 'string', multiple: true },
        store: { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    console.error(`deskprint report: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const problems: string[] = [];
  if (!values.site) problems.push('--site: required (a site id)');
  const from = parseIso(values.from, '--from', problems);
  const to = parseIso(values.to, '--to', problems);
  if (from !== undefined && to !== undefined && from >= to) problems.push('--from: must be before --to');
  if (!values.out) problems.push('--out: required (a file, or - for stdout)');
  const format = (values.format ?? formatFromFile(values.out)) as ReportFormat | undefined;
  if (format === undefined) problems.push(`--format: required when --out has no .json, .csv or .pdf extension`);
  else if (!(REPORT_FORMATS as readonly string[]).includes(format)) problems.push(`--format: expected one of ${REPORT_FORMATS.join(', ')}, got "${format}"`);
  const table = (values.table ?? 'daily') as CsvTable;
  if (!(CSV_TABLES as readonly string[]).includes(table)) problems.push(`--table: expected one of ${CSV_TABLES.join(', ')}, got "${values.table}"`);

  let config;
  try {
    const flags: ConfigInput = {};
    if (values['data-dir']) flags.dataDir = values['data-dir'];
    if (values['site-file']) flags.sites = values['site-file'];
    if (values.store) flags.store = values.store as ConfigInput['store'];
    config = loadConfig(configFromEnv(process.env), flags);
  } catch (err) {
    if (err instanceof ConfigError) problems.push(...err.problems);
    else throw err;
  }
  let site: SiteFile | undefined;
  if (config && values.site) {
    try {
      const sites = config.sites.map((f) => parseSiteYaml(readFileSync(path.resolve(ROOT, f), 'utf8'), f));
      site = sites.find((s) => s.id === values.site);
      if (!site) problems.push(`--site: no site "${values.site}" in ${config.sites.join(', ')} (known: ${sites.map((s) => s.id).join(', ')})`);
    } catch (err) {
      if (err instanceof SiteFileError) problems.push(...err.problems.map((p) => `${err.source}: ${p}`));
      else problems.push(`site file: ${(err as Error).message}`);
    }
  }
  if (problems.length || !config || !site || from === undefined || to === undefined || !format || !values.out) {
    console.error(`deskprint report: invalid arguments\n${problems.map((p) => `  ${p}`).join('\n')}\n\n${USAGE}`);
    return 2;
  }
  // A plain date is the site's local midnight (a July report ends at local midnight on 1 August).
  const periodFrom = localMidnightOf(site, values.from!) ?? from;
  const periodTo = localMidnightOf(site, values.to!) ?? to;

  const store = createStore(
    config.store === 'influx'
      ? {
          kind: 'influx', url: config.influxUrl!, database: config.influxDatabase!, dataDir: config.dataDir,
          ...(config.influxToken ? { token: config.influxToken } : {}),
          ...(config.influxUsername ? { username: config.influxUsername } : {}),
          ...(config.influxPassword ? { password: config.influxPassword } : {}),
        }
      : { kind: 'sqlite', dataDir: config.dataDir },
  );
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

function parseIso(text: string | undefined, flag: string, problems: string[]): number | undefined {
  if (text === undefined) {
    problems.push(`${flag}: required (ISO 8601, e.g. 2025-03-01 or 2025-03-01T00:00:00Z)`);
    return undefined;
  }
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(ms)) {
    problems.push(`${flag}: expected an ISO 8601 date or date-time, got "${text}"`);
    return undefined;
  }
  return ms;
}
