/** Child processes of the bench: forked TypeScript entries with a request/reply IPC channel, and external servers. */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../tests/support/influxd.ts';

export const ROOT = path.resolve(import.meta.dirname, '..');

export interface TsChild {
  readonly pid: number;
  /** Sends a command and resolves with the reply; rejects with the child's error. */
  call<T = Record<string, unknown>>(cmd: string, body?: object): Promise<T>;
  /** Resolves with the child's first message (its ready report). */
  ready: Promise<Record<string, unknown>>;
  kill(): void;
}

/** Forks `bench/<file>` under tsx; extra args go to the child's argv. */
export function forkTs(file: string, args: string[] = []): TsChild {
  const child: ChildProcess = fork(path.join(ROOT, 'bin', 'run-ts.js'), [path.join(ROOT, 'bench', file), ...args], {
    cwd: ROOT,
    // Not the parent's node flags (a --cpu-prof of the bench would profile every child).
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 1;
  const waiting = new Map<number, { resolve: (v: never) => void; reject: (e: Error) => void }>();
  let onReady!: (v: Record<string, unknown>) => void;
  let onFail!: (e: Error) => void;
  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    onReady = resolve;
    onFail = reject;
  });
  child.on('message', (m: { id: number; error?: string }) => {
    if (m.id === 0) return m.error ? onFail(new Error(`${file}: ${m.error}`)) : onReady(m);
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.error) w?.reject(new Error(`${file}: ${m.error}`));
    else w?.resolve(m as never);
  });
  child.on('exit', (code) => {
    const err = new Error(`${file} exited (code ${code})`);
    onFail(err);
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  });
  return {
    pid: child.pid!,
    ready,
    call<T>(cmd: string, body: object = {}) {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        waiting.set(id, { resolve: resolve as (v: never) => void, reject });
        child.send({ id, cmd, ...body });
      });
    },
    kill: () => child.kill('SIGKILL'),
  };
}

export async function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export interface Mosquitto {
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Mosquitto's defaults hold at most 20 QoS 1 messages in flight and 1,000 queued per
 * subscriber and drop the rest (QoS 0 included, once the queue is full): a single ingest
 * subscriber taking tens of thousands of messages a second needs more. These are the
 * settings a deployment at that rate needs (mosquitto.conf(5): max_inflight_messages,
 * max_queued_messages), so the bench uses them; the defaults lose messages in the first second.
 */
export const MOSQUITTO_BENCH_CONF = ['max_inflight_messages 1000', 'max_queued_messages 1000000'];

/** Debian `mosquitto` on an ephemeral loopback port with a temp config (MOSQUITTO_BENCH_CONF, defaults otherwise). */
export async function startMosquitto(): Promise<Mosquitto> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'deskprint-bench-mosquitto-'));
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', ...(process.env.BENCH_MOSQUITTO_LOG ? ['log_dest stderr', 'log_type error', 'log_type warning', 'log_type notice'] : ['log_dest none']), ...MOSQUITTO_BENCH_CONF, ''].join('\n'));
  const proc = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr!.on('data', (b: Buffer) => (log = (log + b.toString()).slice(-4000)));
  const deadline = Date.now() + 10_000;
  while (!(await canConnect(port))) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`mosquitto did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    pid: proc.pid!,
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await exited;
      }
      if (process.env.BENCH_MOSQUITTO_LOG) console.error(log);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * CPU seconds (user + system) and RSS of any process, or of one of its threads, from
 * /proc/<pid>[/task/<tid>]/stat (Linux x86-64: 100 ticks/s, 4 KiB pages).
 */
export function procUsage(pid: number, tid?: number): { cpuS: number; rssBytes: number } {
  const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssPages = Number(fields[21]);
  return { cpuS: ticks / 100, rssBytes: rssPages * 4096 };
}
