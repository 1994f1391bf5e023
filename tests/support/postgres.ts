/**
 * A real PostgreSQL for tests: the Debian server binaries (`/usr/lib/postgresql/<major>/bin`,
 * `.ci/run` installs the package `postgresql`) run from a fresh cluster in a temp directory,
 * on 127.0.0.1 and an ephemeral port, with its unix socket in that directory too, so a system
 * cluster on 5432 and parallel test files never collide. Authentication is `trust` for the
 * cluster's one superuser: nothing but loopback can reach it and it lives for one test file.
 *
 * PostgreSQL refuses to run as root ("root execution of the PostgreSQL server is not
 * permitted"). CI runs as root, so there the cluster is owned by and the server run as the
 * `postgres` system user that the Debian package creates (spawn with its uid/gid).
 *
 * `DESKPRINT_TEST_POSTGRES_URL` (a superuser URL of a server started elsewhere, e.g. a
 * container) skips all that: each call then creates and later drops its own database there.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './influxd.ts';

export interface Postgres {
  /** `postgres://user@127.0.0.1:port/database` of a database only this caller uses. */
  readonly url: string;
  /** Creates another empty database on the same server and returns its URL. */
  createDatabase(): Promise<string>;
  /** Stops the server (on an external one: drops the databases made here) and deletes its files. */
  cleanup(): Promise<void>;
}

/** The newest installed Debian PostgreSQL's bin directory. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'initdb'))) : [];
  const newest = majors.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error(`no PostgreSQL server binaries under ${root}/*/bin (install the Debian package postgresql)`);
  return path.join(root, newest, 'bin');
}

/** Who runs the server: ourselves, or as root the Debian `postgres` user. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root, and PostgreSQL refuses root: no `postgres` user (the Debian package postgresql creates it)');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

async function waitForServer(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`postgres exited during start-up:\n${log().slice(-2000)}`);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => {});
    }
    if (Date.now() > deadline) throw new Error(`postgres did not accept connections within 20 s:\n${log().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function onServer(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Creates uniquely named databases on a server, remembering them for the clean-up. */
function databaseMaker(serverUrl: string): { create(): Promise<string>; created: string[] } {
  const created: string[] = [];
  return {
    created,
    async create() {
      const name = `deskprint_test_${process.pid}_${created.length}_${Math.floor(Math.random() * 1e6)}`;
      await onServer(serverUrl, `CREATE DATABASE "${name}"`);
      created.push(name);
      return withDatabase(serverUrl, name);
    },
  };
}

export async function startPostgres(): Promise<Postgres> {
  const external = process.env.DESKPRINT_TEST_POSTGRES_URL;
  if (external) {
    const databases = databaseMaker(external);
    return {
      url: await databases.create(),
      createDatabase: databases.create,
      async cleanup() {
        for (const name of databases.created) await onServer(external, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      },
    };
  }

  const bin = postgresBinDir();
  const user = serverUser();
  const dir = await mkdtemp(path.join(tmpdir(), 'deskprint-postgres-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = path.join(dir, 'data');
  const superuser = 'deskprint';
  const spawnAs = user ? { uid: user.uid, gid: user.gid } : {};

  const init = spawnSync(path.join(bin, 'initdb'), ['-D', data, '-U', superuser, '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync'], {
    ...spawnAs,
    cwd: dir,
    encoding: 'utf8',
  });
  if (init.status !== 0) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (${init.error?.message ?? `exit ${init.status}`}):\n${init.stderr}`);
  }

  const port = await freePort();
  let log = '';
  // fsync off: a test cluster is thrown away, so durability only costs time.
  const child = spawn(
    path.join(bin, 'postgres'),
    ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=100'],
    { ...spawnAs, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const keep = (b: Buffer): void => {
    log = (log + b.toString()).slice(-8_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  async function stop(): Promise<void> {
    if (child.exitCode === null && child.signalCode === null) {
      // SIGINT is PostgreSQL's "fast shutdown": disconnect clients, then exit cleanly.
      child.kill('SIGINT');
      const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(kill);
    }
    await rm(dir, { recursive: true, force: true });
  }

  const serverUrl = `postgres://${superuser}@127.0.0.1:${port}/postgres`;
  const databases = databaseMaker(serverUrl);
  let url: string;
  try {
    await waitForServer(serverUrl, child, () => log);
    url = await databases.create();
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, createDatabase: databases.create, cleanup: stop };
}
