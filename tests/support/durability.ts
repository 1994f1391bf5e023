/**
 * Independent counting for "acknowledged means stored" (issue 17): a deskprint process of its
 * own (`bin/deskprint.js`, so SIGKILL and SIGTERM are real), a QoS 1 load of its own that
 * counts the PUBACKs it received, and the store read directly afterwards — never through
 * deskprint's own counters.
 */
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { freePort } from './influxd.ts';
import { waitFor } from './wait.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface DeskprintProcess {
  readonly child: ChildProcess;
  readonly mqttUrl: string;
  readonly httpUrl: string;
  /** Milliseconds from spawn until the MQTT port accepted a connection. */
  readonly listenedAfterMs: number;
  /** Everything the process wrote to stdout and stderr. */
  output(): string;
  /** Resolves with the exit code (or signal) once the process is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

export interface Ports {
  http: number;
  mqtt: number;
}

export async function freePorts(): Promise<Ports> {
  return { http: await freePort(), mqtt: await freePort() };
}

/**
 * Spawns `deskprint start --demo --no-simulate` on the demo site: anonymous devices may
 * publish (the demo rule), and nothing but the test's own load publishes. With
 * `DESKPRINT_MQTT_URL` in `env` it ingests from that broker instead of its own.
 */
export async function spawnDeskprint(dataDir: string, ports: Ports, env: Record<string, string> = {}): Promise<DeskprintProcess> {
  const external = env.DESKPRINT_MQTT_URL;
  const t0 = Date.now();
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/deskprint.js'), 'start', '--demo', '--no-simulate'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DESKPRINT_DATA_DIR: dataDir,
      DESKPRINT_HOST: '127.0.0.1',
      DESKPRINT_HTTP_PORT: String(ports.http),
      DESKPRINT_MQTT_PORT: String(ports.mqtt),
      DESKPRINT_BUILD_DASHBOARD: 'false',
      DESKPRINT_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let gone = false;
  void exited.then(() => (gone = true));
  const mqttUrl = external ?? `mqtt://127.0.0.1:${ports.mqtt}`;
  const httpUrl = `http://127.0.0.1:${ports.http}`;
  await waitFor(
    external ? 'deskprint to answer /api/health' : 'deskprint to accept MQTT connections',
    async () => {
      if (gone) throw new Error(`deskprint exited before listening:\n${out}`);
      if (external) return (await fetch(`${httpUrl}/api/health`).catch(() => null))?.ok ?? false;
      const c = await mqtt.connectAsync(mqttUrl, { reconnectPeriod: 0, connectTimeout: 500, clientId: `probe-${Math.random().toString(16).slice(2)}` }).catch(() => null);
      if (!c) return false;
      await c.endAsync(true);
      return true;
    },
    60_000,
    50,
  );
  return {
    child,
    mqttUrl,
    httpUrl,
    listenedAfterMs: Date.now() - t0,
    output: () => out,
    exited,
    kill: (signal) => child.kill(signal),
  };
}

/**
 * Devices publishing QoS 1 readings at a steady rate, each reading with its own timestamp,
 * counting what the broker acknowledged. Like real devices they keep a persistent session
 * (fixed client id, clean=false) and resend what was not acknowledged after a reconnect.
 */
export class AckCountingLoad {
  /** `device:ts` of every reading whose PUBACK arrived. */
  readonly acked = new Set<string>();
  /** Readings handed to the MQTT client (acknowledged or not). */
  sent = 0;
  /** Connections the broker closed under the devices (e.g. as floods). */
  disconnects = 0;
  #clients: MqttClient[] = [];
  #timers: NodeJS.Timeout[] = [];
  #seq = 0;

  constructor(
    readonly mqttUrl: string,
    readonly devices: readonly string[],
    readonly site = 'demo',
  ) {}

  /** Connects every device and publishes `perDeviceHz` readings a second from each. */
  async start(perDeviceHz: number): Promise<void> {
    for (const device of this.devices) {
      const client = mqtt.connect(this.mqttUrl, { clientId: `load-${this.site}-${device}`, clean: false, reconnectPeriod: 250, connectTimeout: 2_000, log: () => {} });
      client.on('error', () => {});
      // Counted once per lost connection, not per failed reconnect attempt.
      let up = false;
      client.on('connect', () => (up = true));
      client.on('close', () => {
        if (up) this.disconnects++;
        up = false;
      });
      this.#clients.push(client);
      await new Promise<void>((resolve) => client.once('connect', () => resolve()));
      let last = 0;
      const tick = () => {
        // A distinct, increasing timestamp per reading: the store keys points by series and ts.
        last = Math.max(Date.now(), last + 1);
        this.publish(client, device, last, ++this.#seq);
      };
      this.#timers.push(setInterval(tick, 1000 / perDeviceHz));
    }
  }

  publish(client: MqttClient, device: string, ts: number, value: number): void {
    this.sent++;
    client.publish(`deskprint/${this.site}/${device}/telemetry`, JSON.stringify({ power_w: value, ts }), { qos: 1 }, (err) => {
      if (!err) this.acked.add(`${device}:${ts}`);
    });
  }

  /** Stops publishing; the clients stay connected so unacknowledged readings still go out. */
  pause(): void {
    for (const t of this.#timers.splice(0)) clearInterval(t);
  }

  async stop(): Promise<void> {
    this.pause();
    await Promise.all(this.#clients.splice(0).map((c) => c.endAsync(true)));
  }
}

/** `device:ts` of every stored `power_w` reading, read from the SQLite file itself. */
export function storedInSqlite(dataDir: string, site = 'demo'): Set<string> {
  const file = path.join(dataDir, 'timeseries.db');
  if (!existsSync(file)) return new Set();
  const db = new Database(file);
  try {
    const rows = db
      .prepare(
        `SELECT s.tags AS tags, p.ts AS ts FROM points p JOIN series s ON s.id = p.series JOIN fields f ON f.id = p.field
         WHERE s.measurement = 'readings' AND f.name = 'power_w'`,
      )
      .all() as { tags: string; ts: number }[];
    const out = new Set<string>();
    for (const r of rows) {
      const tags = JSON.parse(r.tags) as Record<string, string>;
      if (tags.site === site) out.add(`${tags.device}:${r.ts}`);
    }
    return out;
  } finally {
    db.close();
  }
}

/** `device:ts` of every stored `power_w` reading, read from InfluxDB itself. */
export async function storedInInflux(query: (q: string) => Promise<{ results: { series?: { tags?: Record<string, string>; values: unknown[][] }[] }[] }>, site = 'demo'): Promise<Set<string>> {
  const body = await query(`SELECT power_w FROM readings WHERE site = '${site}' GROUP BY device`);
  const out = new Set<string>();
  for (const s of body.results[0]?.series ?? []) for (const [ts] of s.values) out.add(`${s.tags!.device}:${Number(ts)}`);
  return out;
}

/** Acknowledged readings that are not in `stored`. */
export function lost(acked: ReadonlySet<string>, stored: ReadonlySet<string>): string[] {
  return [...acked].filter((k) => !stored.has(k));
}

export interface Mosquitto {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * The Debian `mosquitto` on an ephemeral loopback port, in memory, with the queue limits of
 * docker/mosquitto/mosquitto.conf: its default of 1,000 queued messages a session drops QoS 1
 * messages beyond it while ingest is away.
 */
export async function startMosquitto(dir: string): Promise<Mosquitto> {
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_inflight_messages 1000\nmax_queued_messages 1000000\n`);
  let log = '';
  const child = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  const url = `mqtt://127.0.0.1:${port}`;
  await waitFor(`mosquitto on ${port}`, async () => {
    if (child.exitCode !== null) throw new Error(`mosquitto exited: ${log}`);
    const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 500 }).catch(() => null);
    if (!c) return false;
    await c.endAsync(true);
    return true;
  }, 10_000, 50);
  return {
    url,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
