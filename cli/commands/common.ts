/**
 * What the one-shot commands (recompute, report) share: ISO date flags, the configuration
 * with the common flags, the site they name, and the store the configuration selects.
 * Every problem is collected as `FLAG: message`, as the rest of the CLI reports them.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SiteFileError, type SiteFile } from '../../devices/site.ts';
import type { StoreConfig } from '../../store/index.ts';
import { ConfigError, configFromEnv, loadConfig, type Config, type ConfigInput } from '../config.ts';
import { loadSiteFiles } from '../paths.ts';

type Options = NonNullable<ParseArgsConfig['options']>;
const HELP = { help: { type: 'boolean', short: 'h' } } as const;
type Values<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; strict: true; options: O & typeof HELP }>>['values'];

/**
 * Parses a command's flags (strict) with `--help`/`-h` added, and with `positionals` its
 * positional arguments (an action and its subject: `users add NAME`). Returns the values, or
 * the exit code when there is nothing more to do: 0 after printing the usage for --help, 2
 * after an unknown or malformed flag (with the usage). Prints through `io` when given.
 */
export function parseCommandArgs<const O extends Options>(
  command: string,
  usage: string,
  args: string[],
  options: O,
  opts: { positionals?: boolean; io?: { out(line: string): void; err(line: string): void } } = {},
): { exit: 0 | 2 } | { values: Values<O>; positionals: string[] } {
  const out = opts.io?.out ?? console.log;
  const err = opts.io?.err ?? console.error;
  let parsed: { values: Values<O>; positionals: string[] };
  try {
    parsed = parseArgs({ args, strict: true, allowPositionals: opts.positionals ?? false, options: { ...options, ...HELP } }) as { values: Values<O>; positionals: string[] };
  } catch (e) {
    err(`deskprint ${command}: ${(e as Error).message}\n\n${usage}`);
    return { exit: 2 };
  }
  if ((parsed.values as { help?: boolean }).help) {
    out(usage);
    return { exit: 0 };
  }
  return parsed;
}

/** Options of the one-shot commands over a site and period (recompute, report). */
export const PERIOD_COMMAND_OPTIONS = {
  site: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  'data-dir': { type: 'string' },
  'site-file': { type: 'string', multiple: true },
  store: { type: 'string' },
  quiet: { type: 'boolean' },
} as const;

/** `--site`, `--from` and `--to` of a command over a period: all required, from before to. */
export function commandPeriod(values: { site?: string | undefined; from?: string | undefined; to?: string | undefined }, problems: string[]): { from?: number; to?: number } {
  if (!values.site) problems.push('--site: required (a site id)');
  const from = parseIso(values.from, '--from', problems);
  const to = parseIso(values.to, '--to', problems);
  if (from !== undefined && to !== undefined && from >= to) problems.push('--from: must be before --to');
  return { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
}

export function parseIso(text: string | undefined, flag: string, problems: string[]): number | undefined {
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

/** The configuration from DESKPRINT_* variables and the common flags; problems are collected. */
export function commandConfig(values: { 'data-dir'?: string | undefined; 'site-file'?: string[] | undefined; store?: string | undefined }, problems: string[]): Config | undefined {
  try {
    const flags: ConfigInput = {};
    if (values['data-dir']) flags.dataDir = values['data-dir'];
    if (values['site-file']) flags.sites = values['site-file'];
    if (values.store) flags.store = values.store as ConfigInput['store'];
    return loadConfig(configFromEnv(process.env), flags);
  } catch (err) {
    if (err instanceof ConfigError) problems.push(...err.problems);
    else throw err;
    return undefined;
  }
}

/** The site named by `--site` among the configured site files; problems are collected. */
export function commandSite(config: Config, siteId: string, problems: string[]): SiteFile | undefined {
  try {
    const sites = loadSiteFiles(config.sites);
    const site = sites.find((s) => s.id === siteId);
    if (!site) problems.push(`--site: no site "${siteId}" in ${config.sites.join(', ')} (known: ${sites.map((s) => s.id).join(', ')})`);
    return site;
  } catch (err) {
    if (err instanceof SiteFileError) problems.push(...err.problems.map((p) => `${err.source}: ${p}`));
    else problems.push(`site file: ${(err as Error).message}`);
    return undefined;
  }
}

/** The store the configuration selects, for `createStore`. */
export function storeConfigOf(config: Config, dataDir: string = config.dataDir): StoreConfig {
  return config.store === 'influx'
    ? {
        kind: 'influx',
        url: config.influxUrl!,
        database: config.influxDatabase!,
        dataDir,
        ...(config.influxToken ? { token: config.influxToken } : {}),
        ...(config.influxUsername ? { username: config.influxUsername } : {}),
        ...(config.influxPassword ? { password: config.influxPassword } : {}),
        // The store writer already batches (100 ms); a second 1 s wait in the InfluxDB
        // writer put publish → stored at p99 2.1 s, 10 ms brings it to 128–134 ms
        // (bench/RESULTS.md).
        influx: { flushIntervalMs: 10 },
      }
    : { kind: 'sqlite', dataDir };
}
