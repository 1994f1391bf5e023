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
import cliProgress from 'cli-progress';
import { recompute } from '../../footprint/recompute.ts';
import { createStore } from '../../store/index.ts';
import { PERIOD_COMMAND_OPTIONS, commandConfig, commandPeriod, commandSite, parseCommandArgs, storeConfigOf } from './common.ts';


const USAGE = `usage: deskprint recompute --site S --from ISO --to ISO [--data-dir DIR] [--site-file FILE]...
                           [--store sqlite|influx] [--quiet]

Recomputes the footprint of every local calendar month that [from, to) touches, from the
raw data in the store. A month not yet ended is computed up to now and stays provisional.`;

export async function runRecompute(args: string[]): Promise<number> {
  const parsed = parseCommandArgs('recompute', USAGE, args, PERIOD_COMMAND_OPTIONS);
  if ('exit' in parsed) return parsed.exit;
  const { values } = parsed;
  const problems: string[] = [];
  const { from, to } = commandPeriod(values, problems);

  const config = commandConfig(values, problems);
  const site = config && values.site ? commandSite(config, values.site, problems) : undefined;
  if (problems.length || !config || !site || from === undefined || to === undefined) {
    console.error(`deskprint recompute: invalid arguments\n${problems.map((p) => `  ${p}`).join('\n')}\n\n${USAGE}`);
    return 2;
  }

  const store = createStore(storeConfigOf(config));

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

