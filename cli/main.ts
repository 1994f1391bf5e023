/**
 * The `deskprint` command. Sub-commands wire the parts into processes:
 *   start      everything in one process (embedded broker, ingest, API, dashboard)
 *   simulate   publish a simulated building, or load, to any broker
 *   recompute  recompute footprints from stored raw data
 *   report     write an impact report
 *   users      people who sign in (add, passwd, token, list, delete)
 *   devices    MQTT credentials for devices, bridges and services (add, rotate, revoke, list)
 */
import { parseArgs } from 'node:util';
import { ConfigError, configFromEnv, type ConfigInput } from './config.ts';
import { SiteFileError } from '../devices/site.ts';

const USAGE = `usage: deskprint <command> [options]

commands:
  start [--demo] [--mqtt-port N] [--http-port N] [--data-dir DIR] [--host H]
        [--site FILE]... [--mqtt-url URL] [--store sqlite|influx] [--log-level L]
        Run broker, ingest, API and dashboard in one process (ports accept 0 = ephemeral).
  broker | ingest | api   [same options]
        The same parts as separate processes (docker-compose.yml): the embedded broker alone;
        ingest (and its API) against --mqtt-url; a stateless API following ingest over MQTT.
  simulate --scenario FILE --mqtt URL [--from ISO --to ISO] [--speed max|1x|Nx] [--seed N]
  simulate --load --rate N --devices M [--mqtt URL]
  recompute --site S --from ISO --to ISO [--data-dir DIR]
  report --site S --from ISO --to ISO --format json|csv|pdf --out FILE [--data-dir DIR]
  users add|passwd|token|list|delete …     people and their roles (docs/security.md)
  devices add|rotate|revoke|list …          device credentials (docs/security.md)
  users add NAME --role manager|member|funder --site S [--member M] | passwd NAME | token NAME | list
  devices add --site S --kind K [--desk D | --zone Z] | add --site S --bridge NAME --scope F | rotate ID | revoke ID | list

Every option can also be set as an environment variable: DESKPRINT_<OPTION>, e.g.
DESKPRINT_HTTP_PORT=8080 (see .env.example).`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      return start(rest);
    case 'ingest':
      return start(rest, 'ingest');
    case 'api':
      return start(rest, 'api');
    case 'broker':
      return start(rest, 'broker');
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

async function start(args: string[], role: 'all' | 'ingest' | 'api' | 'broker' = 'all'): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
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
    },
  });
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
    const { startDeskprint } = await import('./start.ts');
    handle = await startDeskprint(role === 'all' ? input : { ...input, role });
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
