/**
 * Several `deskprint ingest` processes on shared real parts, as past one machine (issue 20):
 * the Debian Mosquitto as the broker, InfluxDB 1.6.7 as the store, PostgreSQL for the bucket
 * leases, and any number of sites made from the demo building under other ids. Each ingest
 * process is a real child process (`bin/deskprint.js ingest`), so `kill -9` is real.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { IngestHealth } from '../../devices/api-types.ts';
import { startMosquitto, type Mosquitto } from './durability.ts';
import { freePort, startInfluxd, type Influxd } from './influxd.ts';
import { startPostgres, type Postgres } from './postgres.ts';
import { getJson, waitFor } from './wait.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface IngestProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly httpUrl: string;
  health(): Promise<IngestHealth>;
  output(): string;
  exited: Promise<unknown>;
}

export interface Cluster {
  readonly dir: string;
  readonly mosquitto: Mosquitto;
  readonly influxd: Influxd;
  readonly postgres: Postgres;
  /** Ids of the sites every process loads. */
  readonly sites: string[];
  readonly buckets: number;
  spawnIngest(name: string, env?: Record<string, string>): Promise<IngestProcess>;
  cleanup(): Promise<void>;
}

/** The demo building under `count` site ids `hub-01`, `hub-02`, …, one file each. */
export function writeSites(dir: string, count: number): { ids: string[]; files: string[] } {
  const demo = readFileSync(path.join(ROOT, 'sites', 'demo.yaml'), 'utf8');
  const ids: string[] = [];
  const files: string[] = [];
  for (let i = 1; i <= count; i++) {
    const id = `hub-${String(i).padStart(2, '0')}`;
    const file = path.join(dir, `${id}.yaml`);
    writeFileSync(file, demo.replace(/^id: demo$/m, `id: ${id}`).replace(/^name: .*$/m, `name: Hub ${i}`));
    ids.push(id);
    files.push(file);
  }
  return { ids, files };
}

export interface ClusterOptions {
  /** Sites made from the demo building (`writeSites`), or `siteFiles` written by the caller into `dir`. */
  sites: number | ((dir: string) => { ids: string[]; files: string[] });
  buckets: number;
  leaseTtlMs: number;
}

export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'deskprint-cluster-'));
  const { ids, files } = typeof opts.sites === 'number' ? writeSites(dir, opts.sites) : opts.sites(dir);
  const mosquitto = await startMosquitto(dir);
  const influxd = await startInfluxd({ database: 'deskprint_cluster' });
  const postgres = await startPostgres();
  const processes: IngestProcess[] = [];
  return {
    dir,
    mosquitto,
    influxd,
    postgres,
    sites: ids,
    buckets: opts.buckets,
    async spawnIngest(name, env = {}) {
      // A data directory of its own, as on a host of its own: only the broker, InfluxDB and
      // PostgreSQL are shared.
      const dataDir = path.join(dir, name);
      mkdirSync(dataDir, { recursive: true });
      const httpPort = await freePort();
      const child = spawn(process.execPath, [path.join(ROOT, 'bin/deskprint.js'), 'ingest'], {
        cwd: ROOT,
        env: {
          ...process.env,
          DESKPRINT_DATA_DIR: dataDir,
          DESKPRINT_HOST: '127.0.0.1',
          DESKPRINT_HTTP_PORT: String(httpPort),
          DESKPRINT_BUILD_DASHBOARD: 'false',
          DESKPRINT_LOG_LEVEL: 'warn',
          DESKPRINT_MQTT_URL: mosquitto.url,
          DESKPRINT_STORE: 'influx',
          DESKPRINT_INFLUX_URL: influxd.url,
          DESKPRINT_INFLUX_DATABASE: influxd.database,
          DESKPRINT_REGISTRY_URL: postgres.url,
          DESKPRINT_BUCKETS: String(opts.buckets),
          DESKPRINT_LEASE_TTL_MS: String(opts.leaseTtlMs),
          DESKPRINT_SITES: files.join(','),
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const httpUrl = `http://127.0.0.1:${httpPort}`;
      const proc: IngestProcess = {
        name,
        child,
        httpUrl,
        health: async () => (await getJson<IngestHealth>(`${httpUrl}/api/health`)).body,
        output: () => out,
        exited,
      };
      processes.push(proc);
      await waitFor(`ingest ${name} to answer /api/health`, async () => {
        if (child.exitCode !== null) throw new Error(`ingest ${name} exited:\n${out}`);
        return (await fetch(`${httpUrl}/api/health`).catch(() => null))?.ok ?? false;
      }, 60_000, 100);
      return proc;
    },
    async cleanup() {
      for (const p of processes) {
        if (p.child.exitCode === null && p.child.signalCode === null) {
          p.child.kill('SIGTERM');
          await Promise.race([p.exited, new Promise((r) => setTimeout(r, 20_000))]);
          if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
        }
      }
      await mosquitto.stop();
      await influxd.cleanup();
      await postgres.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Each live process's buckets, by process name, as its /api/health says: those whose lease
 * it holds (`owned`), or those it is taking messages for (`consuming`, warm and subscribed).
 */
export async function ownedBuckets(processes: readonly IngestProcess[], which: 'owned' | 'consuming' = 'owned'): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const p of processes) out.set(p.name, (await p.health().catch(() => null))?.cluster?.[which] ?? []);
  return out;
}

/** Buckets two processes both say they own (empty once ownership has settled). */
export function heldTwice(owned: ReadonlyMap<string, number[]>): number[] {
  const seen = new Set<number>();
  const twice = new Set<number>();
  for (const list of owned.values()) for (const b of list) (seen.has(b) ? twice : seen).add(b);
  return [...twice];
}
