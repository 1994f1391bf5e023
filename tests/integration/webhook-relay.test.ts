/**
 * Past one machine, a vendor's webhook can reach any ingest process (a load balancer does
 * not know which owns the site). Two `deskprint ingest` processes own one site each; a
 * Butlr webhook for the first site is POSTed to the process owning the other. It must end
 * up with the site's owner (in the owner's own store and engine), not be kept where it
 * arrived, where the site's footprint would never see it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketOf } from '../../ingest/buckets.ts';
import { ownedBuckets, startCluster, type Cluster, type IngestProcess } from '../support/cluster.ts';
import { readStoredPoints } from '../support/sqlite-file.ts';
import { waitFor } from '../support/wait.ts';

const BUCKETS = 2;
const TOKEN = 'butlr-token-for-the-relay-test';
const FIXTURE = path.resolve(import.meta.dirname, '../../devices/butlr/fixtures/room-occupancy-vendor-sample/payload.json');
const ROOM = 'room_2oUDDps5iKHHo6RwlMgGVihmTlq';

/** Two site ids in different buckets, so each process owns one. */
function twoSites(): [string, string] {
  const ids = Array.from({ length: 20 }, (_, i) => `space-${i + 1}`);
  const first = ids[0]!;
  return [first, ids.find((id) => bucketOf(id, BUCKETS) !== bucketOf(first, BUCKETS))!];
}

/** A foreign id is registered at one site only: the fixture's room at the first site. */
function siteYaml(id: string): string {
  const room = id === EAST ? ROOM : `${ROOM}-${id}`;
  return [
    `id: ${id}`,
    `name: Space ${id}`,
    'timezone: Europe/London',
    'area_m2: 200',
    'factors: [{ name: test, year: 2024, basis: test, source: test, electricity: 0.2, gas: 0.18, heat: 0.15 }]',
    'zones: [{ id: main, name: Main, area_m2: 200 }]',
    'desks: [{ id: d1, zone: main }]',
    'devices:',
    `  - { id: counter-1, kind: people_counter, zone: main, foreign: { ecosystem: butlr, id: ${room} } }`,
    'members: [{ id: m1, name: M1 }]',
    'webhooks:',
    '  butlr: { secret_env: RELAY_TEST_BUTLR_TOKEN }',
    '',
  ].join('\n');
}

let cluster: Cluster;
let procs: IngestProcess[];
const [EAST, WEST] = twoSites();

beforeAll(async () => {
  cluster = await startCluster({
    sites: (dir) => {
      const files = [EAST, WEST].map((id) => {
        const file = path.join(dir, `${id}.yaml`);
        writeFileSync(file, siteYaml(id));
        return file;
      });
      return { ids: [EAST, WEST], files };
    },
    buckets: BUCKETS,
    leaseTtlMs: 4_000,
    store: 'sqlite',
  });
  procs = [];
  for (const name of ['ingest-a', 'ingest-b']) procs.push(await cluster.spawnIngest(name, { RELAY_TEST_BUTLR_TOKEN: TOKEN }));
}, 120_000);

afterAll(async () => {
  await cluster?.cleanup();
}, 60_000);

describe('a webhook reaching a process that does not own its site', () => {
  it('is answered once the broker has it, and stored and counted by the site’s owner', async () => {
    const owned = await waitFor('one bucket each', async () => {
      const o = await ownedBuckets(procs, 'consuming');
      return [...o.values()].every((l) => l.length === 1) ? o : null;
    }, 60_000, 200);
    const ownerOf = (site: string) => procs.find((p) => owned.get(p.name)![0] === bucketOf(site, BUCKETS))!;
    const owner = ownerOf(EAST);
    const other = ownerOf(WEST);
    expect(owner).not.toBe(other);

    const res = await fetch(`${other.httpUrl}/api/webhooks/butlr/${EAST}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: readFileSync(FIXTURE) });
    expect(res.status).toBe(200);

    const stored = await waitFor('the reading in the owner’s store', () => {
      const points = readStoredPoints(owner.dataDir).filter((p) => p.measurement === 'readings' && p.site === EAST && p.device === 'counter-1' && p.field === 'people_count');
      return points.length ? points : null;
    }, 20_000, 200);
    expect(stored[0]!.value).toBe(4);
    expect((await owner.health()).ingest.readings).toBeGreaterThanOrEqual(1);
    // Where it arrived, nothing of it: that process does not speak for the site.
    expect(readStoredPoints(other.dataDir).filter((p) => p.site === EAST)).toEqual([]);
    // A wrong token is still refused where it arrives.
    const bad = await fetch(`${other.httpUrl}/api/webhooks/butlr/${EAST}`, { method: 'POST', headers: { authorization: 'Bearer wrong' }, body: readFileSync(FIXTURE) });
    expect(bad.status).toBe(401);
  }, 90_000);
});
