/**
 * An InfluxDB outage through the whole pipeline, with real parts: devices publish over
 * MQTT at a steady rate into deskprint (embedded aedes, ingest, InfluxDB store), a real
 * influxd is stopped for 20 s and started again, and an independent count of points in
 * InfluxDB equals the count published. Then InfluxDB is stopped, deskprint is stopped with
 * readings still spooled, and both are started again: nothing is lost.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDeskprint, type DeskprintHandle } from '../../cli/start.ts';
import { countPoints, startInfluxd, type Influxd } from '../support/influxd.ts';
import { waitFor } from '../support/wait.ts';

const PLUGS = ['plug-n01', 'plug-n02', 'plug-n03', 'plug-n04', 'plug-s01', 'plug-s02'];
/** Each plug publishes every 250 ms: 24 messages/s in all, under the broker's per-client limit. */
const PERIOD_MS = 250;

let influxd: Influxd;
let dataDir: string;
let dp: DeskprintHandle | undefined;
/** Readings acknowledged by the broker so far, across both tests. */
let publishedTotal = 0;

function start(): Promise<DeskprintHandle> {
  return startDeskprint({
    demo: true, simulate: false, httpPort: 0, mqttPort: 0, host: '127.0.0.1', dataDir, logLevel: 'silent', buildDashboard: false,
    store: 'influx', influxUrl: influxd.url, influxDatabase: influxd.database,
  });
}

/** Publishes power readings from every plug at a steady rate; returns how many were acknowledged. */
async function publishFor(handle: DeskprintHandle, ms: number, seq: { n: number; t0: number }): Promise<number> {
  const clients: MqttClient[] = await Promise.all(PLUGS.map((id) => mqtt.connectAsync(handle.mqttUrl, { clientId: `${id}-${seq.n}` })));
  let acked = 0;
  const until = Date.now() + ms;
  try {
    while (Date.now() < until) {
      const i = seq.n++;
      // Distinct, increasing timestamps per plug, so no reading overwrites another.
      const ts = seq.t0 + i * PERIOD_MS;
      await Promise.all(clients.map((c, k) => c.publishAsync(`deskprint/demo/${PLUGS[k]}/telemetry`, JSON.stringify({ ts, power_w: 40 + (i % 20) }), { qos: 1 }).then(() => acked++)));
      await new Promise((r) => setTimeout(r, Math.max(0, seq.t0 + (i + 1) * PERIOD_MS - Date.now())));
    }
  } finally {
    await Promise.all(clients.map((c) => c.endAsync()));
  }
  return acked;
}

beforeAll(async () => {
  influxd = await startInfluxd();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'deskprint-influx-outage-'));
});

afterAll(async () => {
  await dp?.close();
  await influxd?.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('InfluxDB outage through ingest', () => {
  it('keeps ingesting through a 20 s outage; every published reading is in InfluxDB exactly once', async () => {
    dp = await start();
    const handle = dp;
    const seq = { n: 0, t0: Date.now() };
    let published = await publishFor(handle, 3_000, seq);
    await influxd.stop();
    const outage = publishFor(handle, 20_000, seq);
    await waitFor('the store to notice the outage', () => handle.store.health().state !== 'ok', 15_000);
    published += await outage;
    expect(handle.store.health().spoolBytes + handle.store.health().queueDepth).toBeGreaterThan(0);
    await influxd.start();
    published += await publishFor(handle, 2_000, seq);
    await waitFor('every reading in InfluxDB', async () => (await countPoints(influxd, 'readings', 'power_w')) === published, 30_000, 500);
    expect(published).toBeGreaterThan(PLUGS.length * 90);
    // The same process took in all of it: its own count since start is every reading.
    expect(handle.health().ingest.readings).toBe(published);
    expect(handle.health().ingest.rejected).toBe(0);
    publishedTotal = published;
  }, 90_000);

  it('loses nothing when deskprint stops with readings still spooled and both start again', async () => {
    const before = publishedTotal;
    expect(before).toBeGreaterThan(0);
    await influxd.stop();
    const seq = { n: 0, t0: Date.now() };
    const more = await publishFor(dp!, 3_000, seq);
    await dp!.close(); // the spool stays on disk
    dp = undefined;
    await influxd.start();
    dp = await start();
    await waitFor('the spool replayed after restart', async () => (await countPoints(influxd, 'readings', 'power_w')) === before + more, 30_000, 500);
  }, 90_000);
});
