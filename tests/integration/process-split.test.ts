/**
 * The separate-process shape of docker-compose.yml, with real parts on loopback:
 * `deskprint broker` (embedded aedes with device authentication), `deskprint ingest`
 * against it as an external broker, and a stateless `deskprint api` that follows ingest's
 * live snapshots over MQTT. A device with its own credential publishes; the reading is
 * stored by ingest and visible through the separate API.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrokerProcess, type BrokerProcess } from '../../cli/broker.ts';
import { startApiProcess, startDeskprint, type DeskprintHandle, type ProcessHandle } from '../../cli/start.ts';
import type { Health, IngestHealth, LiveSnapshot } from '../../devices/api-types.ts';
import { Accounts } from '../../accounts/accounts.ts';
import { apiToken, bearer } from '../support/auth.ts';
import { getJson, waitFor } from '../support/wait.ts';

let dataDir: string;
let broker: BrokerProcess;
let ingest: DeskprintHandle;
let api: ProcessHandle;
/** A second API process: any number of them serve the same figures. */
let api2: ProcessHandle;
let deviceSecret: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'deskprint-split-'));
  // Credentials as an operator would create them with `deskprint devices add`.
  const accounts = new Accounts({ file: path.join(dataDir, 'accounts.db') });
  const svc = await accounts.addCredential({ username: 'svc-ingest', type: 'service', site: null });
  const svcApi = await accounts.addCredential({ username: 'svc-api', type: 'service', site: null });
  const svcApi2 = await accounts.addCredential({ username: 'svc-api-2', type: 'service', site: null });
  deviceSecret = (await accounts.addCredential({ username: 'plug-n01', type: 'device', site: 'demo' })).secret;
  accounts.close();

  const common = { dataDir, host: '127.0.0.1', logLevel: 'silent', buildDashboard: false, httpPort: 0 } as const;
  broker = await startBrokerProcess({ ...common, mqttPort: 0 });
  const mqttUrl = `mqtt://127.0.0.1:${broker.mqttPort}`;
  ingest = await startDeskprint({ ...common, role: 'ingest', mqttUrl, mqttUsername: 'svc-ingest', mqttPassword: svc.secret });
  api = await startApiProcess({ ...common, mqttUrl, mqttUsername: 'svc-api', mqttPassword: svcApi.secret });
  api2 = await startApiProcess({ ...common, mqttUrl, mqttUsername: 'svc-api-2', mqttPassword: svcApi2.secret });
});

afterAll(async () => {
  await api2?.close();
  await api?.close();
  await ingest?.close();
  await broker?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('broker, ingest and api as separate processes', () => {
  it('refuses anonymous devices at the standalone broker', async () => {
    await expect(mqtt.connectAsync(`mqtt://127.0.0.1:${broker.mqttPort}`, { reconnectPeriod: 0, connectTimeout: 3_000 })).rejects.toThrow();
  });

  it('stores a device reading in ingest and shows it through the separate API', async () => {
    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.mqttPort}`, { username: 'plug-n01', password: deviceSecret, clientId: 'plug-n01' });
    const auth = bearer(await apiToken(api));
    try {
      const publish = () => device.publishAsync('deskprint/demo/plug-n01/telemetry', JSON.stringify({ power_w: 57.5 }), { qos: 1 });
      await publish();
      await waitFor('the reading stored by ingest', () => ingest.writer.stored >= 1);
      const live = await waitFor('the desk power in the API process', async () => {
        await publish(); // live state ages readings out; keep the plug talking
        const { body } = await getJson<LiveSnapshot>(`${api.httpUrl}/api/sites/demo/live`, auth);
        return body?.desk_states?.find((d) => d.id === 'n01')?.power_w === 57.5 ? body : null;
      });
      expect(live.power_w.by_category.desk).toBeGreaterThanOrEqual(57.5);
      // The second API process holds nothing of its own either: it shows the same desk, and
      // the sign-in made through the first (the shared accounts database) is valid there.
      await waitFor('the desk power in the second API process', async () => {
        await publish();
        const { body } = await getJson<LiveSnapshot>(`${api2.httpUrl}/api/sites/demo/live`, auth);
        return body?.desk_states?.find((d) => d.id === 'n01')?.power_w === 57.5;
      });
      const apiHealth = (await getJson<Health>(`${api.httpUrl}/api/health`)).body;
      // An API process runs no ingest: it says so rather than showing zero counters.
      expect(apiHealth.ingest).toBeNull();
      const ingestHealth = (await getJson<IngestHealth>(`${ingest.httpUrl}/api/health`)).body;
      expect(ingestHealth.ingest.received).toBeGreaterThanOrEqual(1);
      // Stored series are read by the API process from the shared store.
      await waitFor('the stored series read by the API process', async () => {
        const series = await getJson<{ series: { points: [number, number][] }[] }>(`${api.httpUrl}/api/sites/demo/series?metric=power_w&device=plug-n01&every=1s&from=now-1m`, auth);
        return series.body.series[0]?.points.some(([, w]) => w === 57.5);
      });
    } finally {
      await device.endAsync();
    }
  });
});
