/**
 * What `deskprint --help` and `deskprint start|broker|ingest|api --help` print. The other
 * commands keep their usage beside their code (cli/commands/*.ts). COMMAND_NAMES lists every
 * command main.ts dispatches; tests/integration/cli-help.test.ts runs `--help` and `-h` on
 * each and requires exit 0 and the command's options.
 */

export const COMMAND_NAMES = ['start', 'broker', 'ingest', 'api', 'simulate', 'recompute', 'report', 'users', 'devices'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

export const USAGE = `usage: deskprint <command> [options]       deskprint <command> --help for its options

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

Every option can also be set as an environment variable: DESKPRINT_<OPTION>, e.g.
DESKPRINT_HTTP_PORT=8080 (see .env.example).`;

const ROLE: Record<'start' | 'broker' | 'ingest' | 'api', string> = {
  start: 'Runs the embedded MQTT broker, ingest, the footprint engine, the API and the dashboard in one process.',
  broker: 'Runs the embedded MQTT broker alone (docker-compose.yml splits the parts into processes).',
  ingest: 'Runs ingest, the footprint engine and its API against the broker at --mqtt-url.',
  api: 'Runs a stateless API and dashboard that follow ingest over MQTT (--mqtt-url).',
};

/** The usage of the process commands, which share their options. */
export function startUsage(command: 'start' | 'broker' | 'ingest' | 'api'): string {
  return `usage: deskprint ${command} [options]

${ROLE[command]}

options (each also DESKPRINT_<OPTION>, see .env.example):
  --demo               the demo site with its simulated building, demo sign-ins, public live view
  --no-simulate        with --demo: the demo site and sign-ins, but no simulator publishing
  --mqtt-port N        MQTT TCP port of the embedded broker (default 1883; 0 = ephemeral)
  --http-port N        API and dashboard port (default 8080; 0 = ephemeral)
  --host H             address to bind (default 0.0.0.0)
  --data-dir DIR       SQLite store, accounts and spool (default ./data)
  --site FILE          a site file; repeat for more (default sites/demo.yaml)
  --mqtt-url URL       an external broker instead of the embedded one (mqtt://, mqtts://, ws://, wss://)
  --store sqlite|influx  time-series store (influx needs DESKPRINT_INFLUX_URL and _DATABASE)
  --log-level L        fatal, error, warn, info (default), debug, trace or silent
  -h, --help           this help`;
}
