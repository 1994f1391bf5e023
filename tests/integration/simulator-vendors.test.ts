/**
 * The simulator speaks the new ecosystems' own formats to a running deskprint: a The Things
 * Stack and a ChirpStack device publish uplink JSON over real MQTT (embedded aedes over TCP),
 * a Disruptive Technologies desk sensor and a Butlr people counter POST signed webhooks over
 * real HTTP, and each one's readings land in the SQLite file under its registered device.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDeskprint, type DeskprintHandle } from '../../cli/start.ts';
import { parseSiteYaml } from '../../devices/site.ts';
import { startSimulator, type SimulatorHandle } from '../../simulators/demo.ts';
import { readStoredPoints } from '../support/sqlite-file.ts';
import { waitFor } from '../support/wait.ts';

const SITE_YAML = `
id: vendors
name: Vendor sensors office
timezone: Europe/London
area_m2: 300
factors: [{ name: test, year: 2026, basis: test, source: test, electricity: 0.2 }]
zones: [{ id: main, name: Main, area_m2: 300 }]
desks: [{ id: d1, zone: main }, { id: d2, zone: main }, { id: d3, zone: main }]
devices:
  - { id: occ-d1, kind: desk_occupancy, desk: d1, foreign: { ecosystem: tts, id: "coworking-sensors@ttn/vs341-d1" } }
  - { id: occ-d2, kind: desk_occupancy, desk: d2, foreign: { ecosystem: chirpstack, id: 24e124710c450002 } }
  - { id: occ-d3, kind: desk_occupancy, desk: d3, foreign: { ecosystem: disruptive, id: bsimdtdesk3000000000 } }
  - { id: count-main, kind: people_counter, zone: main, foreign: { ecosystem: butlr, id: room_simlounge } }
members: [{ id: ada, name: Ada }, { id: bo, name: Bo }, { id: cy, name: Cy }]
webhooks:
  disruptive: { secret_env: H19_SIM_DT_SECRET }
  butlr: { secret_env: H19_SIM_BUTLR_TOKEN }
`;

let dp: DeskprintHandle;
let sim: SimulatorHandle | undefined;
let workDir: string;

beforeAll(async () => {
  process.env.H19_SIM_DT_SECRET = 'simulated-dt-secret-0123456789';
  process.env.H19_SIM_BUTLR_TOKEN = 'simulated-butlr-token-0123456789';
  workDir = mkdtempSync(path.join(os.tmpdir(), 'deskprint-sim-vendors-'));
  const sitePath = path.join(workDir, 'vendors.yaml');
  writeFileSync(sitePath, SITE_YAML);
  dp = await startDeskprint({
    demo: true, simulate: false, sites: [sitePath], dataDir: path.join(workDir, 'data'),
    httpPort: 0, mqttPort: 0, host: '127.0.0.1', logLevel: 'silent', buildDashboard: false,
  });
});

afterAll(async () => {
  await sim?.stop();
  await dp?.close();
  delete process.env.H19_SIM_DT_SECRET;
  delete process.env.H19_SIM_BUTLR_TOKEN;
  rmSync(workDir, { recursive: true, force: true });
});

function storedMetrics(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const p of readStoredPoints(path.join(workDir, 'data'))) if (p.measurement === 'readings') out.set(p.device, (out.get(p.device) ?? new Set()).add(p.field));
  return out;
}

describe('simulator in vendor formats', () => {
  it('delivers TTS and ChirpStack uplinks over MQTT and Disruptive and Butlr webhooks over HTTP, stored under their devices', async () => {
    // 10× so a 15 s demo cadence reports within seconds; timestamps stay well inside the 5 min future limit.
    sim = await startSimulator({ site: parseSiteYaml(SITE_YAML), mqttUrl: `mqtt://127.0.0.1:${dp.mqttPort}`, webhookUrl: dp.httpUrl, demo: true, seed: 7, speed: 10 });
    await waitFor(
      'readings from all four vendor devices in the store',
      () => {
        const m = storedMetrics();
        return ['occ-d1', 'occ-d2', 'occ-d3'].every((d) => m.get(d)?.has('occupied')) && m.get('count-main')?.has('people_count');
      },
      30_000,
      250,
    );
    const c = dp.ingest.counters.rejectedByReason;
    expect(c.schema ?? 0).toBe(0);
    expect(c.unknown_device ?? 0).toBe(0);
    expect(c.unsupported ?? 0).toBe(0);
  }, 45_000);
});
