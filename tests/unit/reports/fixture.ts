/**
 * Report test data: a simulated building run through the real path, minus MQTT. The
 * simulator (accelerated) produces device messages, the native adapter decodes them, the
 * registry's device context enriches them as ingest does, the raw points go into a real
 * SQLite store, and the footprint engine's batch recompute writes the footprint series
 * that reports read.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeAdapter } from '../../../devices/native/adapter.ts';
import { deviceCategory, parseSiteYaml, type SiteFile } from '../../../devices/site.ts';
import { checkinToPoint, readingToPoint } from '../../../footprint/events.ts';
import { recompute } from '../../../footprint/recompute.ts';
import type { EnrichedCheckin, EnrichedReading } from '../../../ingest/types.ts';
import { CaptureSink, runScenario } from '../../../simulators/run.ts';
import { defaultScenario } from '../../../simulators/scenario.ts';
import { SqliteStore } from '../../../store/sqlite.ts';
import type { Point } from '../../../store/types.ts';

export const repoPath = (rel: string) => fileURLToPath(new URL(`../../../${rel}`, import.meta.url));

export function demoSite(): SiteFile {
  return parseSiteYaml(readFileSync(repoPath('sites/demo.yaml'), 'utf8'), 'sites/demo.yaml');
}

export interface SimulatedStore {
  store: SqliteStore;
  dataDir: string;
  site: SiteFile;
  readings: number;
}

/**
 * Simulates `site` over [from, to) and computes its footprint as of `now`. Devices report
 * every `cadenceS` seconds (the demo's 30–60 s cadence costs ten times more and changes no
 * report figure's meaning).
 */
export async function simulateIntoStore(o: { site: SiteFile; from: string; to: string; now: string; seed?: number; cadenceS?: number; dataDir?: string }): Promise<SimulatedStore> {
  const base = defaultScenario(o.site);
  const cadence = o.cadenceS ?? 300;
  const scenario = {
    ...base,
    step_s: 60,
    devices: {
      ...base.devices,
      cadence_s: { ...base.devices.cadence_s, desk_plug: cadence, meter: cadence, zone_heating: cadence, zone_lighting: cadence, desk_occupancy: cadence, environment: 3600 },
    },
  };
  const sink = new CaptureSink();
  const from = Date.parse(o.from);
  const to = Date.parse(o.to);
  await runScenario({ scenario, from, to, speed: 'max', sink, batchS: 3600, seed: o.seed ?? 7 });

  const points = decodeToPoints(o.site, sink.messages);
  const dataDir = o.dataDir ?? mkdtempSync(path.join(tmpdir(), 'deskprint-report-'));
  const store = new SqliteStore({ file: path.join(dataDir, 'timeseries.db') });
  await store.init();
  await store.write(points);
  await recompute({ store, site: o.site, from, to, now: Date.parse(o.now) });
  return { store, dataDir, site: o.site, readings: points.length };
}

/** Decodes simulator messages and enriches them from the site file, as ingest does. */
export function decodeToPoints(site: SiteFile, messages: readonly { topic: string; payload: string; at: number }[]): Point[] {
  const devices = new Map(site.devices.map((d) => [d.id, d]));
  const deskZone = new Map(site.desks.map((d) => [d.id, d.zone]));
  const encoder = new TextEncoder();
  const out: Point[] = [];
  for (const m of messages) {
    const r = nativeAdapter.decode(m.topic, encoder.encode(m.payload), { receivedAt: m.at });
    if (!r.ok || r.identity.device === undefined) continue;
    const d = devices.get(r.identity.device);
    if (!d) continue;
    const zone = d.desk !== undefined ? deskZone.get(d.desk) : d.zone;
    const category = deviceCategory(d);
    const ctx = {
      site: site.id, device: d.id, kind: d.kind,
      ...(zone !== undefined ? { zone } : {}), ...(d.desk !== undefined ? { desk: d.desk } : {}),
      ...(category !== null && category !== undefined ? { category } : {}), ...(d.carrier !== undefined ? { carrier: d.carrier } : {}),
    };
    for (const x of r.readings) out.push(readingToPoint({ ...ctx, ...x } as EnrichedReading));
    for (const c of r.checkins) {
      // As ingest/pipeline.ts: the payload's desk, else the badge reader's; the zone follows the desk.
      const desk = c.desk ?? d.desk;
      const checkinZone = desk !== undefined ? deskZone.get(desk) : d.zone;
      const checkin: EnrichedCheckin = { site: site.id, device: d.id, member: c.member, action: c.action, ts: c.ts };
      if (desk !== undefined) checkin.desk = desk;
      if (checkinZone !== undefined) checkin.zone = checkinZone;
      out.push(checkinToPoint(checkin));
    }
  }
  return out;
}
