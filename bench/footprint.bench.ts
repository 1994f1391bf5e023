/**
 * Footprint engine throughput and memory (issue 3): generated demo-site readings fed
 * straight into the live stream (reorder buffer + engine), no MQTT, no store.
 *
 *   node bin/run-ts.js bench/footprint.bench.ts [days=10]
 *
 * Target: ≥ 100,000 readings/s on one core, and a heap that does not grow with the days
 * streamed (only open intervals and the month's accumulators are held).
 */
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
import path from 'node:path';
import { parseSiteYaml } from '../devices/site.ts';
import type { EnrichedCheckin, EnrichedReading } from '../ingest/types.ts';
import { SiteFootprintStream } from '../footprint/stream.ts';

const days = Number(process.argv[2] ?? 10);
const site = parseSiteYaml(readFileSync(path.resolve('sites/demo.yaml'), 'utf8'));
const stream = new SiteFootprintStream(site);
// A full GC before each heap reading, so the figures show what the engine holds rather
// than garbage waiting for collection; works without `node --expose-gc`.
v8.setFlagsFromString('--expose-gc');
const gc = (globalThis as { gc?: () => void }).gc ?? (vm.runInNewContext('gc') as (() => void) | undefined);

/** A small deterministic PRNG so runs compare. */
let seed = 42;
const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);

const START = Date.parse('2025-03-03T00:00:00Z');
const DAY = 86_400_000;
const counters = new Map<string, number>();

/** One day of the demo building at each device's cadence, slightly out of order. */
function generateDay(day: number): { readings: EnrichedReading[]; checkins: EnrichedCheckin[] } {
  const d0 = START + day * DAY;
  const readings: EnrichedReading[] = [];
  for (const dev of site.devices) {
    const base = { site: site.id, device: dev.id, kind: dev.kind, ...(dev.desk ? { desk: dev.desk } : {}), ...(dev.zone ? { zone: dev.zone } : {}), ...(dev.carrier ? { carrier: dev.carrier } : {}) };
    const cadence = dev.kind === 'desk_occupancy' ? 60_000 : dev.kind === 'badge_reader' ? 0 : 30_000;
    if (cadence === 0) continue;
    for (let t = d0 + Math.floor(rand() * cadence); t < d0 + DAY; t += cadence) {
      const hour = ((t - d0) / 3_600_000) | 0;
      const working = hour >= 8 && hour < 18;
      if (dev.kind === 'desk_occupancy') {
        readings.push({ ...base, metric: 'occupied', value: working && rand() < 0.6 ? 1 : 0, ts: t });
        continue;
      }
      const watts = dev.category === 'main' || dev.id.startsWith('meter-main') ? 3000 + rand() * 2000 : working ? 20 + rand() * 200 : rand() * 5;
      const wh = (counters.get(dev.id) ?? 0) + (watts * cadence) / 3_600_000;
      counters.set(dev.id, wh);
      readings.push({ ...base, metric: 'power_w', value: watts, ts: t });
      readings.push({ ...base, metric: 'energy_wh', value: wh, ts: t });
    }
  }
  const checkins: EnrichedCheckin[] = [];
  site.members.forEach((m, i) => {
    if (rand() < 0.3) return;
    const desk = site.desks[i % site.desks.length]!.id;
    const tIn = d0 + (8 + rand() * 2) * 3_600_000;
    checkins.push({ site: site.id, device: 'badge-entrance', member: m.id, action: 'check_in', desk, ts: Math.round(tIn) });
    checkins.push({ site: site.id, device: 'badge-entrance', member: m.id, action: 'check_out', ts: Math.round(tIn + (3 + rand() * 6) * 3_600_000) });
  });
  // Arrival order: jitter of up to 2 minutes, as gateways and networks deliver them.
  readings.sort((a, b) => a.ts - b.ts);
  for (let i = 0; i + 1 < readings.length; i += 7) {
    if (rand() < 0.3) [readings[i], readings[i + 1]] = [readings[i + 1]!, readings[i]!];
  }
  return { readings, checkins };
}

function heapMb(): number {
  gc?.();
  return process.memoryUsage().heapUsed / 1_048_576;
}

let fed = 0;
let points = 0;
let busyMs = 0;

/** Feeds one generated day; returns how many readings. The day's arrays die with the call. */
function feedDay(day: number): number {
  const { readings, checkins } = generateDay(day);
  checkins.sort((a, b) => a.ts - b.ts);
  let k = 0;
  const t0 = performance.now();
  for (let i = 0; i < readings.length; i += 1000) {
    const end = Math.min(i + 1000, readings.length);
    for (let j = i; j < end; j++) {
      const r = readings[j]!;
      // Badges arrive when they happen, among the readings.
      while (k < checkins.length && checkins[k]!.ts <= r.ts) stream.push({ type: 'checkin', ts: checkins[k]!.ts, checkin: checkins[k++]! });
      stream.push({ type: 'reading', ts: r.ts, reading: r });
    }
    stream.release();
    points += stream.engine.drainPoints().length;
  }
  busyMs += performance.now() - t0;
  return readings.length;
}

const heap: { day: number; mb: number }[] = [{ day: 0, mb: heapMb() }];
for (let day = 0; day < days; day++) {
  fed += feedDay(day);
  if (day === 0 || day === days - 1 || day % 5 === 4) heap.push({ day: day + 1, mb: heapMb() });
}

const rate = fed / (busyMs / 1000);
console.log(`footprint engine: ${fed.toLocaleString('en')} readings over ${days} days (demo site, ${site.devices.length} devices)`);
console.log(`  ${Math.round(rate).toLocaleString('en')} readings/s on one core (${(busyMs / 1000).toFixed(2)} s busy), ${points.toLocaleString('en')} points out`);
console.log(`  heap${gc ? '' : ' (no --expose-gc: approximate)'}: ${heap.map((h) => `day ${h.day}: ${h.mb.toFixed(1)} MB`).join(', ')}`);
console.log(`  held at the end: ${JSON.stringify(stream.engine.held)}, reorder buffer ${stream.pending}, late ${stream.lateEvents}`);
console.log(rate >= 100_000 ? '  target ≥ 100,000 readings/s: met' : '  target ≥ 100,000 readings/s: NOT met');
