/**
 * Acknowledged means stored (issue 17, DESIGN "Acknowledged means stored"): a QoS 1 reading
 * whose PUBACK reached its device is in the store, whatever happens to the process next.
 *
 * Each scenario runs a real `deskprint start` process, a load of its own that counts the
 * PUBACKs it got (tests/support/durability.ts), and reads the store directly afterwards —
 * the SQLite file, or InfluxDB's HTTP API — never deskprint's own counters.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AckCountingLoad, freePorts, lost, spawnDeskprint, startMosquitto, storedInInflux, storedInSqlite, type DeskprintProcess } from '../support/durability.ts';
import { startInfluxd, type Influxd } from '../support/influxd.ts';
import { getJson, waitFor } from '../support/wait.ts';
import type { Health } from '../../devices/api-types.ts';

/** Eight desk plugs of the demo site at 8 readings a second each: 64 msg/s, as in the issue. */
const DEVICES = ['plug-n01', 'plug-n02', 'plug-n03', 'plug-n04', 'plug-n05', 'plug-n06', 'plug-n07', 'plug-n08'];
const HZ = 8;

const dirs: string[] = [];
function dataDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'deskprint-acked-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Stops a process that may already be gone. */
async function ensureGone(p: DeskprintProcess | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.kill('SIGKILL');
  await p.exited;
}

describe('acknowledged means stored, SQLite (the one-process default)', () => {
  it('loses no acknowledged reading to SIGKILL under a steady load, three kills in a row', async () => {
    const dir = dataDir();
    const ports = await freePorts();
    for (let round = 0; round < 3; round++) {
      const dp = await spawnDeskprint(dir, ports);
      const load = new AckCountingLoad(dp.mqttUrl, DEVICES);
      try {
        await load.start(HZ);
        await waitFor('readings being acknowledged', () => load.acked.size >= 50, 30_000, 20);
        await sleep(1_000 + Math.random() * 1_000);
        dp.kill('SIGKILL');
        await dp.exited;
        // Nothing can be acknowledged once the process is dead: this set is final.
        const acked = new Set(load.acked);
        await load.stop();
        const stored = storedInSqlite(dir);
        expect(acked.size).toBeGreaterThanOrEqual(50);
        expect(lost(acked, stored), `round ${round}: acknowledged but not stored`).toEqual([]);
      } finally {
        await load.stop();
        await ensureGone(dp);
      }
    }
  }, 120_000);
});

describe('acknowledged means stored, external broker (Mosquitto)', () => {
  it('delivers every reading Mosquitto acknowledged, through a SIGKILL of ingest and the time it was away', async () => {
    const dir = dataDir();
    const mosquitto = await startMosquitto(dir);
    const ports = await freePorts();
    const env = { DESKPRINT_MQTT_URL: mosquitto.url };
    let dp = await spawnDeskprint(dir, ports, env);
    // The devices publish to Mosquitto, which acknowledges them itself: what counts is that
    // ingest acknowledges to Mosquitto only what it stored, and resumes its session.
    const load = new AckCountingLoad(mosquitto.url, DEVICES);
    try {
      await load.start(HZ);
      await waitFor('readings being stored', () => storedInSqlite(dir).size >= 50, 30_000, 100);
      dp.kill('SIGKILL');
      await dp.exited;
      await sleep(2_000); // Mosquitto queues the session's messages meanwhile
      dp = await spawnDeskprint(dir, ports, env);
      await sleep(1_000);
      load.pause();
      await waitFor('every reading to be acknowledged', () => load.acked.size === load.sent, 20_000, 100);
      const acked = new Set(load.acked);
      await waitFor('every acknowledged reading in the store', () => lost(acked, storedInSqlite(dir)).length === 0, 30_000, 200).catch(() => undefined);
      expect(lost(acked, storedInSqlite(dir))).toEqual([]);
    } finally {
      await load.stop();
      await ensureGone(dp);
      await mosquitto.stop();
    }
  }, 120_000);
});

describe('acknowledged means stored, InfluxDB', () => {
  let influxd: Influxd;
  beforeAll(async () => {
    influxd = await startInfluxd({ database: 'acked' });
  }, 60_000);
  afterAll(async () => {
    await influxd?.cleanup();
  });

  const influxEnv = () => ({ DESKPRINT_STORE: 'influx', DESKPRINT_INFLUX_URL: influxd.url, DESKPRINT_INFLUX_DATABASE: 'acked' });

  /** Restarts deskprint on the same data directory and waits until its spool is replayed. */
  async function replaySpool(dir: string, ports: { http: number; mqtt: number }): Promise<void> {
    const dp = await spawnDeskprint(dir, ports, influxEnv());
    try {
      await waitFor('the spool to be replayed', async () => {
        const { body } = await getJson<{ store: { queue_depth: number; spool_bytes: number; state: string } }>(`${dp.httpUrl}/api/health`);
        return body.store.state === 'ok' && body.store.queue_depth === 0 && body.store.spool_bytes === 0;
      }, 60_000, 200);
    } finally {
      dp.kill('SIGTERM');
      await dp.exited;
    }
  }

  it('loses no acknowledged reading to SIGTERM while InfluxDB hangs', async () => {
    const dir = dataDir();
    const ports = await freePorts();
    const dp = await spawnDeskprint(dir, ports, influxEnv());
    const load = new AckCountingLoad(dp.mqttUrl, DEVICES);
    try {
      await load.start(HZ);
      await waitFor('readings being acknowledged', () => load.acked.size >= 50, 30_000, 20);
      influxd.hang();
      await sleep(1_500);
      const stopAsked = Date.now();
      dp.kill('SIGTERM');
      const exit = await dp.exited;
      const stopMs = Date.now() - stopAsked;
      const acked = new Set(load.acked);
      await load.stop();
      influxd.unhang();
      expect(exit.code, dp.output()).toBe(0);
      // It spools what InfluxDB will not take instead of waiting on it.
      expect(stopMs).toBeLessThan(20_000);
      await replaySpool(dir, ports);
      const stored = await storedInInflux((q) => influxd.query(q));
      expect(acked.size).toBeGreaterThanOrEqual(50);
      expect(lost(acked, stored)).toEqual([]);
    } finally {
      influxd.unhang();
      await load.stop();
      await ensureGone(dp);
    }
  }, 120_000);

  it('loses no acknowledged reading to SIGKILL during an InfluxDB outage', async () => {
    const dir = dataDir();
    const ports = await freePorts();
    const dp = await spawnDeskprint(dir, ports, influxEnv());
    const load = new AckCountingLoad(dp.mqttUrl, DEVICES);
    try {
      await load.start(HZ);
      await waitFor('readings being acknowledged', () => load.acked.size >= 50, 30_000, 20);
      await influxd.stop();
      await sleep(2_500);
      dp.kill('SIGKILL');
      await dp.exited;
      const acked = new Set(load.acked);
      await load.stop();
      await influxd.start();
      await replaySpool(dir, ports);
      const stored = await storedInInflux((q) => influxd.query(q));
      expect(acked.size).toBeGreaterThanOrEqual(50);
      expect(lost(acked, stored)).toEqual([]);
    } finally {
      if (!influxd.running) await influxd.start();
      await load.stop();
      await ensureGone(dp);
    }
  }, 120_000);

  it('restarts at once during an InfluxDB hang, and devices replaying their backlog are not cut off as floods', async () => {
    const dir = dataDir();
    const ports = await freePorts();
    let dp = await spawnDeskprint(dir, ports, influxEnv());
    // Eight readings a second each, under the default rate limit (10/s, burst 100): only the
    // replay after the restart goes over it.
    const load = new AckCountingLoad(dp.mqttUrl, DEVICES);
    try {
      await load.start(HZ);
      await waitFor('readings being acknowledged', () => load.acked.size >= 50, 30_000, 20);
      influxd.hang();
      dp.kill('SIGTERM');
      await dp.exited;
      // Down for a while: each device queues well over 100 readings (the burst).
      await sleep(10_000);
      const disconnectsBefore = load.disconnects;
      const healthyStartMs = dp.listenedAfterMs;
      dp = await spawnDeskprint(dir, ports, influxEnv());
      // Before issue 17 MQTT listened only after InfluxDB's requests timed out: 25–33 s, 22–30 s
      // more than a healthy start. Now it waits at most the InfluxDB store's start grace (1 s)
      // longer; the bound leaves room for a loaded CI machine (a full-suite run on a clean
      // clone measured 12.2 s against a healthy 3.4 s) and still fails the old behaviour.
      expect(dp.listenedAfterMs, `MQTT must not wait on a hung InfluxDB (a healthy start took ${healthyStartMs} ms)`).toBeLessThan(healthyStartMs + 15_000);
      await sleep(1_000);
      load.pause();
      // InfluxDB still hangs: the first write waits out its timeout (10 s), then everything is
      // spooled and acknowledged.
      await waitFor('every reading to be acknowledged', () => load.acked.size === load.sent, 60_000, 100);
      // Each device reconnected once after the restart; none was thrown off again as a flood.
      expect(load.disconnects - disconnectsBefore).toBe(0);
      const { body } = await getJson<Health>(`${dp.httpUrl}/api/health`);
      expect(body.broker!.flood_disconnects).toBe(0);
      // The backlog went over the burst and was let through as a replay.
      expect(body.broker!.replayed).toBeGreaterThan(0);
      influxd.unhang();
      dp.kill('SIGTERM');
      await dp.exited;
      const acked = new Set(load.acked);
      await load.stop();
      await replaySpool(dir, ports);
      const stored = await storedInInflux((q) => influxd.query(q));
      expect(acked.size).toBeGreaterThan(DEVICES.length * 8);
      expect(lost(acked, stored)).toEqual([]);
    } finally {
      influxd.unhang();
      await load.stop();
      await ensureGone(dp);
    }
  }, 180_000);
});
