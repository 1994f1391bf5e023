/**
 * The `deskprint` command. Sub-commands wire the parts into processes:
 *   start      everything in one process (embedded broker, ingest, API, dashboard)
 *   simulate   publish a simulated building, or load, to any broker
 *   recompute  recompute footprints from stored raw data
 *   report     write an impact report
 *   users      people who sign in (add, passwd, token, list, delete)
 *   devices    MQTT credentials for devices, bridges and services (add, rotate, revoke, list)
 */
import { ConfigError, configFromEnv, type ConfigInput } from './config.ts';
import { SiteFileError } from '../devices/site.ts';
import { USAGE, startUsage } from './usage.ts';
import { parseCommandArgs } from './commands/common.ts';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
    case 'ingest':
    case 'api':
    case 'broker':
      return start(command, rest);
    case 'simulate': {
      const { runSimulate } = await import('./commands/simulate.ts');
      return runSimulate(rest);
    }
    case 'report': {
      const { runReport } = await import('./commands/report.ts');
      return runReport(rest);
    }
    case 'recompute': {
      const { runRecompute } = await import('./commands/recompute.ts');
      return runRecompute(rest);
    }
    case 'users': {
      const { runUsers } = await import('./commands/users.ts');
      return runUsers(rest);
    }
    case 'devices': {
      const { runDevices } = await import('./commands/devices.ts');
      return runDevices(rest);
    }
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`deskprint: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}
const START_OPTIONS = {
  demo: { type: 'boolean' },
  'mqtt-port': { type: 'string' },
  'http-port': { type: 'string' },
  'data-dir': { type: 'string' },
  host: { type: 'string' },
  site: { type: 'string', multiple: true },
  'mqtt-url': { type: 'string' },
  store: { type: 'string' },
  'log-level': { type: 'string' },
  'no-simulate': { type: 'boolean' },
} as const;

async function start(command: 'start' | 'ingest' | 'api' | 'broker', args: string[]): Promise<number> {
  const parsed = parseCommandArgs(command, startUsage(command), args, START_OPTIONS);
  if ('exit' in parsed) return parsed.exit;
  const { values } = parsed;
  const role = command === 'start' ? 'all' : command;
  const flags: Record<string, unknown> = {
    demo: values.demo,
    mqttPort: values['mqtt-port'],
    httpPort: values['http-port'],
    dataDir: values['data-dir'],
    host: values.host,
    sites: values.site,
    mqttUrl: values['mqtt-url'],
    store: values.store,
    logLevel: values['log-level'],
    simulate: values['no-simulate'] ? false : undefined,
  };
  const input = { ...configFromEnv(process.env), ...stripUndefined(flags) } as ConfigInput;
  let handle: { close(): Promise<void> };
  if (role === 'broker') {
    const { startBrokerProcess } = await import('./broker.ts');
    handle = await startBrokerProcess(input);
  } else {
    const { startDeskprint, startApiProcess } = await import('./start.ts');
    handle = role === 'api' ? await startApiProcess(input) : await startDeskprint(role === 'all' ? input : { ...input, role });
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${signal}: stopping deskprint…\n`);
    await handle.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  return new Promise<number>(() => {}); // runs until a signal
}

function stripUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError || err instanceof SiteFileError) console.error(`deskprint: ${err.message}`);
    else if (err instanceof TypeError && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) console.error(`deskprint: ${err.message}\n\n${USAGE}`);
    else console.error(err);
    process.exitCode = 2;
  },
);
