/**
 * `npm start` twice on the same data directory: the demo's meters must not look reset at the
 * second start. A counter that drops counts as a reset (METHODOLOGY §1: the new reading is
 * the energy since the reset), so a demo whose counters restarted from their seeded values
 * would invent up to hundreds of kWh per device at every restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDeskprint } from '../../cli/start.ts';
import { waitFor } from '../support/wait.ts';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'deskprint-restart-'));
const config = { demo: true, httpPort: 0, mqttPort: 0, host: '127.0.0.1', dataDir, logLevel: 'silent', buildDashboard: false } as const;

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('restarting the demo', () => {
  it('carries today’s energy on without inventing any at the restart', async () => {
    let dp = await startDeskprint(config);
    const first = await waitFor('some energy today', () => {
      const t = dp.footprint.today('demo');
      return t && t.kwh > 0 ? t : null;
    });
    await new Promise((r) => setTimeout(r, 2_000));
    const beforeStop = dp.footprint.today('demo')!.kwh;
    await dp.close();

    dp = await startDeskprint(config);
    try {
      await new Promise((r) => setTimeout(r, 6_000));
      const after = dp.footprint.today('demo')!;
      // The demo building draws about 40 kW: a few seconds add well under 1 kWh. A counter
      // mistaken for a reset would add its whole reading (tens to hundreds of kWh).
      expect(first.kwh).toBeGreaterThan(0);
      expect(after.kwh).toBeGreaterThanOrEqual(beforeStop);
      expect(after.kwh - beforeStop).toBeLessThan(1);
    } finally {
      await dp.close();
    }
  }, 60_000);
});
