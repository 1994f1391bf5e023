/**
 * A bucket's session after the broker lost it: Mosquitto restarted without persistence
 * answers the reconnecting `deskprint ingest` with no session present. The session must
 * subscribe again, or its sites' messages would never arrive while ingest looks connected.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDeskprint, type DeskprintHandle } from '../../cli/start.ts';
import { freePort } from '../support/influxd.ts';
import { launchMosquitto, type MosquittoProcess } from '../support/mosquitto.ts';
import { waitFor } from '../support/wait.ts';

let dir: string;
let port: number;
let conf: string;
let broker: MosquittoProcess;
let dp: DeskprintHandle;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'deskprint-broker-restart-'));
  port = await freePort();
  conf = path.join(dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  broker = await launchMosquitto(conf, port);
  dp = await startDeskprint({
    role: 'ingest', mqttUrl: `mqtt://127.0.0.1:${port}`, dataDir: path.join(dir, 'data'), buckets: 2,
    httpPort: 0, host: '127.0.0.1', logLevel: 'silent', buildDashboard: false,
  });
  await waitFor('both buckets consuming', () => dp.health().cluster?.consuming.length === 2, 30_000, 100);
}, 60_000);

afterAll(async () => {
  await dp?.close();
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function publishUntilStored(value: number): Promise<void> {
  const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: `plug-${value}`, reconnectPeriod: 0 });
  try {
    const before = dp.health().ingest.readings;
    await waitFor(`reading ${value} stored`, async () => {
      await device.publishAsync('deskprint/demo/plug-n01/telemetry', JSON.stringify({ power_w: value }), { qos: 1 });
      return dp.health().ingest.readings > before;
    }, 20_000, 500);
  } finally {
    await device.endAsync(true);
  }
}

describe('a broker restarted without its sessions', () => {
  it('still delivers the sites’ messages to ingest once it is back', async () => {
    await publishUntilStored(41);
    await broker.stop();
    broker = await launchMosquitto(conf, port);
    await publishUntilStored(42);
    expect(dp.health().ingest.readings).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
