/**
 * A real InfluxDB for tests: the Debian `influxd` (1.6.x) on ephemeral loopback ports with
 * its own config and data directory, which the test can stop and start again (outages) and
 * must clean up. `.ci/run` installs it with `apt-get install influxdb`.
 *
 * Both listeners are moved off their fixed defaults (HTTP 8086, RPC 8088) so that parallel
 * test files and a system influxd never collide.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const INFLUXD_BIN = process.env.DESKPRINT_TEST_INFLUXD ?? '/usr/bin/influxd';

export interface Influxd {
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:40123. */
  readonly url: string;
  readonly database: string;
  readonly running: boolean;
  /** Starts the stopped server again on the same ports and data. */
  start(): Promise<void>;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s); its data stays. */
  stop(): Promise<void>;
  /** Freezes the server (SIGSTOP): it keeps its sockets but answers nothing, a hung InfluxDB. */
  hang(): void;
  /** Lets a frozen server run again (SIGCONT). */
  unhang(): void;
  /** Runs InfluxQL against the database and returns the parsed JSON body. */
  query(influxql: string): Promise<InfluxQueryBody>;
  /** Stops the server and deletes its directory. */
  cleanup(): Promise<void>;
}

export interface InfluxQueryBody {
  results: { statement_id: number; error?: string; series?: { name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }[] }[];
  error?: string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface StartInfluxdOptions {
  database?: string;
  /** `[http] max-body-size` in bytes; small values provoke 413 responses. */
  maxBodySize?: number;
  /** Turns on authentication with this admin user; the harness signs in as it. */
  admin?: { username: string; password: string };
}

export async function startInfluxd(opts: StartInfluxdOptions = {}): Promise<Influxd> {
  const database = opts.database ?? 'deskprint_test';
  const dir = await mkdtemp(path.join(tmpdir(), 'deskprint-influxd-'));
  const httpPort = await freePort();
  const rpcPort = await freePort();
  const url = `http://127.0.0.1:${httpPort}`;
  const configFile = path.join(dir, 'influxdb.conf');
  await writeFile(
    configFile,
    `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = "${dir}/meta"
  logging-enabled = false

[data]
  dir = "${dir}/data"
  wal-dir = "${dir}/wal"
  query-log-enabled = false
  trace-logging-enabled = false

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  log-enabled = false
  max-body-size = ${opts.maxBodySize ?? 25_000_000}
  auth-enabled = ${opts.admin ? 'true' : 'false'}

[logging]
  level = "warn"

[continuous_queries]
  enabled = false
`,
  );

  let child: ChildProcess | null = null;
  let log = '';
  let spawnError: Error | null = null;

  const authorization: Record<string, string> = opts.admin
    ? { authorization: `Basic ${Buffer.from(`${opts.admin.username}:${opts.admin.password}`).toString('base64')}` }
    : {};

  async function query(q: string): Promise<InfluxQueryBody> {
    const res = await fetch(`${url}/query?db=${encodeURIComponent(database)}&epoch=ms`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...authorization },
      body: new URLSearchParams({ q }).toString(),
    });
    const body = (await res.json()) as InfluxQueryBody;
    const err = body.error ?? body.results?.find((r) => r.error)?.error;
    if (!res.ok || err) throw new Error(`influxd query failed (${res.status}): ${err ?? 'no body'} — ${q}`);
    return body;
  }

  async function waitForPing(deadline: number): Promise<void> {
    for (;;) {
      if (spawnError) throw new Error(`cannot run ${INFLUXD_BIN} (install the Debian package influxdb): ${spawnError.message}`);
      if (!child || child.exitCode !== null) throw new Error(`influxd exited during start-up:\n${log.slice(-2000)}`);
      try {
        const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(500) });
        if (res.status === 204) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`influxd did not answer /ping within 20 s:\n${log.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function start(): Promise<void> {
    if (child) return;
    log = '';
    spawnError = null;
    child = spawn(INFLUXD_BIN, ['run', '-config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (b: Buffer): void => {
      log = (log + b.toString()).slice(-8_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.on('error', (err) => {
      spawnError = err;
    });
    await waitForPing(Date.now() + 20_000);
  }

  async function stop(): Promise<void> {
    const c = child;
    if (!c) return;
    child = null;
    c.kill('SIGCONT'); // a hung (stopped) server cannot act on SIGTERM
    if (spawnError || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => c.kill('SIGKILL'), 5_000);
      c.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      c.kill('SIGTERM');
    });
  }

  try {
    await start();
    if (opts.admin) {
      // With auth on and no user yet, InfluxDB 1.x accepts exactly this one statement unauthenticated.
      const { username, password } = opts.admin;
      await query(`CREATE USER "${username}" WITH PASSWORD '${password.replace(/'/g, "\\'")}' WITH ALL PRIVILEGES`);
    }
    await query(`CREATE DATABASE "${database}"`);
  } catch (err) {
    await stop();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    url,
    database,
    get running() {
      return child !== null;
    },
    start,
    stop,
    hang: () => void child?.kill('SIGSTOP'),
    unhang: () => void child?.kill('SIGCONT'),
    query,
    async cleanup() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Count of one field's values in a measurement, by InfluxQL. */
export async function countPoints(influxd: Pick<Influxd, 'query'>, measurement: string, field: string): Promise<number> {
  const body = await influxd.query(`SELECT count("${field}") FROM "${measurement}"`);
  const v = body.results[0]?.series?.[0]?.values[0]?.[1];
  return typeof v === 'number' ? v : 0;
}
