/**
 * Duplicates as docs/errors.md says (issue 17): a QoS 1 re-delivery is acknowledged and
 * counted as a duplicate, not as a new reading; the same timestamp with another value is
 * stored (the later value wins) and counted. Real aedes over TCP, the SQLite file read back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDeskprint, type DeskprintHandle } from '../../cli/start.ts';
import { storedInSqlite } from '../support/durability.ts';
import { waitFor } from '../support/wait.ts';

let dp: DeskprintHandle;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'deskprint-dup-'));
  dp = await startDeskprint({ demo: true, simulate: false, httpPort: 0, mqttPort: 0, host: '127.0.0.1', dataDir, logLevel: 'silent', buildDashboard: false });
});
afterAll(async () => {
  await dp?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('re-deliveries', () => {
  it('acknowledges an identical re-delivery without counting it as a reading, and counts a changed value at the same time', async () => {
    const device = await mqtt.connectAsync(dp.mqttUrl, { clientId: 'dup-plug-n07' });
    try {
      const ts = Date.now() - 5_000;
      const topic = 'deskprint/demo/plug-n07/telemetry';
      const before = dp.health().ingest;
      await device.publishAsync(topic, JSON.stringify({ power_w: 30, ts }), { qos: 1 });
      // The same message again, as a device sends it when the first PUBACK was lost: acknowledged too.
      await device.publishAsync(topic, JSON.stringify({ power_w: 30, ts }), { qos: 1 });
      await device.publishAsync(topic, JSON.stringify({ power_w: 31, ts }), { qos: 1 });
      const after = dp.health().ingest;
      expect(after.readings - before.readings).toBe(2);
      expect(after.duplicate_readings - before.duplicate_readings).toBe(1);
      expect(after.conflicting_readings - before.conflicting_readings).toBe(1);
      expect((after.rejected_by_reason.duplicate ?? 0) - (before.rejected_by_reason.duplicate ?? 0)).toBe(1);
      // One point at that time, with the later value.
      await waitFor('the point in the store', () => storedInSqlite(dataDir).has(`plug-n07:${ts}`), 5_000, 50);
      const points = await dp.store.queryRaw({ measurement: 'readings', from: ts, to: ts + 1, where: { site: 'demo', device: 'plug-n07' } });
      expect(points.map((p) => p.fields.power_w)).toEqual([31]);
    } finally {
      await device.endAsync();
    }
  });
});
