/**
 * `deskprint recompute`: rebuild a site's footprint series from the raw readings and
 * check-ins in the store (METHODOLOGY.md; ingest/footprint/recompute.ts). Every local
 * calendar month the range touches is recomputed whole, because the pool (M4) is monthly;
 * the points overwrite what the live engine wrote.
 *
 *   deskprint recompute --site S --from ISO --to ISO [--data-dir DIR] [--site-file FILE]...
 *                       [--store sqlite|influx] [--quiet]
 *
 * The store and site files come from the same configuration as `deskprint start`
 * (flags, then DESKPRINT_* variables, then defaults). Progress goes to stderr, the summary
 * (JSON) to stdout. Exit codes: 0 done, 1 failed at run time, 2 bad arguments.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { parseSiteYaml, SiteFileError, type SiteFile } from '../../devices/site.ts';
import { recompute } from '../../ingest/footprint/recompute.ts';
import { createStore } from '../../store/index.ts';
import { ConfigError, configFromEnv, loadConfig, type ConfigInput } from '../config.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const USAGE = `usage: deskprint recompute --site S --from ISO --to ISO [--data-dir DIR] [--site-file FILE]...
                           [--store sqlite|influx] [--quiet]

Recomputes the footprint of every local calendar month that [from, to) touches, from the
raw data in the store. A month not yet ended is computed up to now and stays provisional.`;

export async function runRecompute(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      options: {
        site: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        'data-dir': { type: 'string' },
        'site-file': { type: 'string', multiple: true },
        store: { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    console.error(`deskprint recompute: ${(err as Error).message}\n\n${USAGE}`);
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
  if (problems.length || !config || !site || from === undefined || to === undefined) {
    console.error(`deskprint recompute: invalid arguments\n${problems.map((p) => `  ${p}`).join('\n')}\n\n${USAGE}`);
    return 2;
  }

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
  const bar = values.quiet
    ? undefined
    : new cliProgress.SingleBar(
        { stream: process.stderr, format: `recompute ${site.id} [{bar}] {percentage}% | {value}/{total} h of data`, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
  try {
    await store.init();
    let started = false;
    const result = await recompute({
      store, site, from, to,
      onProgress: (done, total) => {
        if (!bar) return;
        const h = (ms: number) => Math.round(ms / 3_600_000);
        if (!started) (bar.start(h(total), 0), (started = true));
        bar.update(h(done));
      },
    });
    bar?.stop();
    const worst = result.conservation.reduce((a, c) => Math.max(a, c.metered > 0 ? Math.abs(c.residual) / c.metered : 0), 0);
    console.log(JSON.stringify({
      site: site.id,
      months: result.months.map((m) => ({ start: new Date(m.start).toISOString(), end: new Date(m.end).toISOString(), final: m.final })),
      events_read: result.eventsRead,
      points_written: result.pointsWritten,
      conservation: result.conservation,
      worst_relative_residual: worst,
    }, null, 2));
    return 0;
  } catch (err) {
    bar?.stop();
    console.error(`deskprint recompute: ${(err as Error).message}`);
    return 1;
  } finally {
    await store.close();
  }
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
