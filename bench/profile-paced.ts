/**
 * A CPU profile of the embedded default under a paced load (the sustained section's run):
 *
 *   node bin/run-ts.js bench/profile-paced.ts [rate=40000] [seconds=20] [qos=0] [out=paced.cpuprofile] [broker=aedes|mosquitto]
 *   node bin/run-ts.js bench/profile-summary.ts paced.cpuprofile
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { latencyRun, type BrokerKind } from './scenarios.ts';
import { writeBenchSites } from './site.ts';

const [rate = '40000', seconds = '20', qos = '0', out = 'paced.cpuprofile', broker = 'aedes'] = process.argv.slice(2);
const siteFiles = writeBenchSites(mkdtempSync(path.join(os.tmpdir(), 'deskprint-prof-')), 1, 1_001);
const r = await latencyRun({
  broker: broker as BrokerKind, qos: Number(qos) as 0 | 1, store: 'sqlite', siteFiles, devicesPerSite: 999, connections: 100,
  rate: Number(rate), durationS: Number(seconds), probeEveryMs: 0, profileFile: path.resolve(out), sampleEveryS: 5,
});
console.log(`published ${r.load.rate.toFixed(0)} msg/s; stored p50 ${r.stored.p50} p99 ${r.stored.p99} ms; lost ${r.lost}; CPU ${r.sutCpu.toFixed(2)}`);
for (const s of r.samples) console.log(`${s.atS.toFixed(0)} s: stored ${s.stored}, RSS ${s.rssMb.toFixed(0)} MB, heap ${s.heapMb.toFixed(0)} MB, CPU ${s.cpu.toFixed(2)}`);
