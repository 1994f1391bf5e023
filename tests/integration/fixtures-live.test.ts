/**
 * Every golden fixture case of every adapter, through a running deskprint: MQTT cases are
 * published to its embedded aedes over TCP, webhook cases (Disruptive Technologies, Butlr)
 * POSTed to its HTTP webhook route, signed as the vendor signs them. Each decoded reading
 * must be in the SQLite store file with its value and timestamp exactly (read with
 * better-sqlite3, not through deskprint), and every message must leave a counter: stored,
 * ignored, or rejected under the reason its fixture names (issue 19: no silent loss).
 *
 * The site file is built from the fixtures: one registered device per foreign identity
 * that sends readings, of the kind that allows the most of its metrics; metrics the kind
 * does not report must be counted as dropped and not stored.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDeskprint, type DeskprintHandle } from '../../cli/start.ts';
import type { Adapter, DecodeResult, Decoded } from '../../devices/adapter.ts';
import { signDtBody } from '../../devices/disruptive/adapter.ts';
import { ADAPTERS } from '../../devices/index.ts';
import { DEVICE_KINDS, DEVICE_KIND_KEYS, type DeviceKind } from '../../devices/kinds.ts';
import { topicMatchesFilter } from '../../devices/topics.ts';
import { UNSUPPORTED_FILTERS } from '../../devices/unsupported.ts';
import { loadFixtures, type AdapterFixture } from '../unit/adapters/fixture-loader.ts';
import { readStoredPoints } from '../support/sqlite-file.ts';
import { waitFor } from '../support/wait.ts';

const SITE = 'demo';
const DT_SECRET = 'dt-signature-secret-for-the-fixtures-test';
const BUTLR_TOKEN = 'butlr-webhook-token-for-the-fixtures-test';

const fixtures = loadFixtures();
const adapterOf = (f: AdapterFixture) => ADAPTERS.find((a) => a.name === f.ecosystem)!;

/** What ingest will do with a message: decodeAll when the adapter has it, as ingest does. */
function decodeLive(adapter: Adapter, f: AdapterFixture, receivedAt: number): DecodeResult[] {
  return adapter.decodeAll ? adapter.decodeAll(f.topic, f.payload, { receivedAt }) : [adapter.decode(f.topic, f.payload, { receivedAt })];
}

/** Whether ingest's subscriptions (the adapters' and the known-unsupported layouts') deliver a topic. */
function delivered(adapter: Adapter, topic: string): boolean {
  return adapter.webhook === true || [...ADAPTERS.flatMap((a) => a.subscriptions), ...UNSUPPORTED_FILTERS].some((s) => topicMatchesFilter(s, topic));
}

const resultsNow = (adapter: Adapter, f: AdapterFixture) => decodeLive(adapter, f, Date.now());

const keyOf = (r: Decoded) => (r.identity.foreignId === undefined ? `native:${r.identity.device}` : `${r.identity.ecosystem}:${r.identity.foreignId}`);

interface Planned {
  id: string;
  kind: DeviceKind;
  foreign?: { ecosystem: string; id: string };
}

/** One registered device per identity that sends readings or check-ins; the kind allowing most of its metrics. */
function plan(): { devices: Map<string, Planned>; members: Set<string>; desks: Set<string> } {
  const metrics = new Map<string, Set<string>>();
  const checkins = new Set<string>();
  const members = new Set<string>();
  const desks = new Set<string>();
  const identities = new Map<string, Decoded['identity']>();
  for (const f of fixtures) {
    for (const r of decodeLive(adapterOf(f), f, Date.now())) {
      if (!r.ok || (r.readings.length === 0 && r.checkins.length === 0)) continue;
      const key = keyOf(r);
      identities.set(key, r.identity);
      const m = metrics.get(key) ?? new Set<string>();
      for (const x of r.readings) m.add(x.metric);
      metrics.set(key, m);
      for (const c of r.checkins) {
        checkins.add(key);
        members.add(c.member);
        if (c.desk) desks.add(c.desk);
      }
    }
  }
  const devices = new Map<string, Planned>();
  let n = 0;
  for (const [key, m] of metrics) {
    const candidates = checkins.has(key) ? (['badge_reader'] as DeviceKind[]) : DEVICE_KIND_KEYS.filter((k) => !DEVICE_KINDS[k].checkins && k !== 'grid_feed');
    const kind = candidates.reduce((best, k) => (coverage(k, m) > coverage(best, m) ? k : best), candidates[0]!);
    const id = identities.get(key)!;
    devices.set(key, id.foreignId === undefined ? { id: id.device, kind } : { id: `dev-${++n}`, kind, foreign: { ecosystem: id.ecosystem, id: id.foreignId } });
  }
  return { devices, members, desks };
}

function coverage(kind: DeviceKind, metrics: Set<string>): number {
  return [...metrics].filter((m) => (DEVICE_KINDS[kind].metrics as readonly string[]).includes(m)).length;
}

function siteYaml(p: ReturnType<typeof plan>): string {
  const deskIds = new Set(p.desks);
  const lines: string[] = [];
  let desk = 0;
  for (const d of p.devices.values()) {
    const k = DEVICE_KINDS[d.kind];
    const parts = [`id: ${d.id}`, `kind: ${d.kind}`];
    if (k.scope === 'desk') {
      const deskId = `fx-${++desk}`;
      deskIds.add(deskId);
      parts.push(`desk: ${deskId}`);
    } else if (k.scope === 'zone') parts.push('zone: main');
    if (d.kind === 'meter') parts.push('category: common');
    if (k.metrics.includes('power_w' as never) || k.metrics.includes('energy_wh' as never)) parts.push(`carrier: ${d.kind === 'zone_heating' ? 'gas' : 'electricity'}`);
    if (d.foreign) parts.push(`foreign: { ecosystem: ${d.foreign.ecosystem}, id: ${JSON.stringify(d.foreign.id)} }`);
    lines.push(`  - { ${parts.join(', ')} }`);
  }
  return [
    `id: ${SITE}`,
    'name: Fixture office',
    'timezone: Europe/London',
    'area_m2: 400',
    'factors: [{ name: test, year: 2026, basis: test, source: test, electricity: 0.2, gas: 0.18, heat: 0.15 }]',
    'zones: [{ id: main, name: Main, area_m2: 400 }]',
    `desks: [${[...deskIds].map((d) => `{ id: ${d}, zone: main }`).join(', ')}]`,
    'devices:',
    ...lines,
    `members: [${[...p.members].map((m) => `{ id: ${m}, name: ${m} }`).join(', ')}]`,
    'webhooks:',
    '  disruptive: { secret_env: H19_FIXTURES_DT_SECRET }',
    '  butlr: { secret_env: H19_FIXTURES_BUTLR_TOKEN }',
    '',
  ].join('\n');
}

let dp: DeskprintHandle;
let client: MqttClient;
let workDir: string;
const planned = plan();

beforeAll(async () => {
  process.env.H19_FIXTURES_DT_SECRET = DT_SECRET;
  process.env.H19_FIXTURES_BUTLR_TOKEN = BUTLR_TOKEN;
  workDir = mkdtempSync(path.join(os.tmpdir(), 'deskprint-fixtures-live-'));
  const sitePath = path.join(workDir, 'site.yaml');
  writeFileSync(sitePath, siteYaml(planned));
  dp = await startDeskprint({
    demo: true, simulate: false, sites: [sitePath], dataDir: path.join(workDir, 'data'),
    httpPort: 0, mqttPort: 0, host: '127.0.0.1', logLevel: 'silent', buildDashboard: false, mqttRateLimit: 0,
  });
  client = await mqtt.connectAsync(`mqtt://127.0.0.1:${dp.mqttPort}`, { clientId: 'fixture-devices' });
});

afterAll(async () => {
  await client?.endAsync();
  await dp?.close();
  delete process.env.H19_FIXTURES_DT_SECRET;
  delete process.env.H19_FIXTURES_BUTLR_TOKEN;
  rmSync(workDir, { recursive: true, force: true });
});

async function deliver(f: AdapterFixture): Promise<void> {
  const adapter = adapterOf(f);
  if (!adapter.webhook) {
    await client.publishAsync(f.topic, Buffer.from(f.payload), { qos: 1 });
    return;
  }
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (adapter.name === 'disruptive') headers['x-dt-signature'] = signDtBody(f.payload, DT_SECRET, Date.now());
  else headers.authorization = `Bearer ${BUTLR_TOKEN}`;
  const res = await fetch(`${dp.httpUrl}/api/webhooks/${adapter.name}/${SITE}`, { method: 'POST', headers, body: Buffer.from(f.payload) });
  expect(res.status, `${f.ecosystem}/${f.name}: webhook answer`).toBe(200);
}

interface Expectation {
  label: string;
  device: string;
  measurement: 'readings' | 'checkins';
  field: string;
  value: number;
  /** Exact time, or a window when the reading takes the receive time. */
  ts: number | [number, number];
}

describe('every adapter fixture through a running deskprint', () => {
  it('stores each decoded reading exactly, counts every message, and drops only what the kind does not report', async () => {
    const expectations: Expectation[] = [];
    const droppedExpected: Record<string, number> = {};
    for (const f of fixtures) {
      const adapter = adapterOf(f);
      const before = structuredClone(dp.ingest.counters);
      const sentAt = Date.now();
      await deliver(f);
      if (!delivered(adapter, f.topic)) {
        // No subscription covers it (Tasmota INFO1, Shelly Gen2 `sys` under a prefix ingest does not subscribe to): never reaches ingest.
        expect(resultsNow(adapter, f).some((r) => r.ok && (r.readings.length > 0 || r.checkins.length > 0 || r.status)), `${f.ecosystem}/${f.name} carries data but is not subscribed`).toBe(false);
        continue;
      }
      await waitFor(`${f.ecosystem}/${f.name} handled`, () => dp.ingest.counters.received > before.received, 5_000, 2);
      const handledAt = Date.now();
      const label = `${f.ecosystem}/${f.name}`;
      const results = decodeLive(adapter, f, sentAt);
      // A reading stamped with the receive time moves with it: decoding at another time tells which.
      const shifted = decodeLive(adapter, f, sentAt + 3_600_000);
      const c = dp.ingest.counters;
      const handled = c.accepted + c.ignored + c.rejected - (before.accepted + before.ignored + before.rejected);
      expect(handled, `${label}: every result counted`).toBeGreaterThanOrEqual(results.length);
      const reasons: Record<string, number> = {};
      results.forEach((r, i) => {
        if (!r.ok) {
          reasons[r.reason] = (reasons[r.reason] ?? 0) + 1;
          return;
        }
        if (r.readings.length === 0 && r.checkins.length === 0) return;
        const device = planned.devices.get(keyOf(r))!;
        const allowed = DEVICE_KINDS[device.kind].metrics as readonly string[];
        const kept = r.readings.filter((x) => allowed.includes(x.metric));
        if (kept.length === 0 && r.checkins.length === 0 && !r.status) {
          reasons.metric_not_allowed = (reasons.metric_not_allowed ?? 0) + 1;
          return;
        }
        for (const x of r.readings) if (!allowed.includes(x.metric)) droppedExpected[x.metric] = (droppedExpected[x.metric] ?? 0) + 1;
        const moved = (shifted[i] as Decoded).readings;
        r.readings.forEach((x, j) => {
          if (!allowed.includes(x.metric)) return;
          const ts: Expectation['ts'] = moved[j]!.ts === x.ts ? x.ts : [sentAt, handledAt];
          expectations.push({ label, device: device.id, measurement: 'readings', field: x.metric, value: x.value, ts });
        });
        const movedCheckins = (shifted[i] as Decoded).checkins;
        r.checkins.forEach((ck, j) => {
          const ts: Expectation['ts'] = movedCheckins[j]!.ts === ck.ts ? ck.ts : [sentAt, handledAt];
          expectations.push({ label, device: device.id, measurement: 'checkins', field: 'check_in', value: ck.action === 'check_in' ? 1 : 0, ts });
        });
      });
      for (const [reason, n] of Object.entries(reasons)) {
        const delta = (c.rejectedByReason[reason as keyof typeof c.rejectedByReason] ?? 0) - (before.rejectedByReason[reason as keyof typeof before.rejectedByReason] ?? 0);
        expect(delta, `${label}: rejected as ${reason}`).toBe(n);
      }
      // Receive-time readings of one device in one millisecond would share a stored point.
      await new Promise((r) => setTimeout(r, 3));
    }

    const readingsExpected = expectations.filter((e) => e.measurement === 'readings').length;
    expect(readingsExpected).toBeGreaterThan(50);
    // A fixture repeating another's reading (same device, time and value) is a counted duplicate, stored once.
    const taken = () => dp.ingest.counters.readings + dp.ingest.counters.duplicateReadings;
    await waitFor('every reading durable', () => dp.writer.stored >= dp.ingest.counters.readings && taken() >= readingsExpected, 15_000, 50);
    const rows = readStoredPoints(path.join(workDir, 'data'));
    for (const e of expectations) {
      const match = rows.find(
        (r) => r.device === e.device && r.measurement === e.measurement && r.field === e.field && (typeof e.ts === 'number' ? r.ts === e.ts : r.ts >= e.ts[0] && r.ts <= e.ts[1]) && r.value === e.value,
      );
      expect(match, `${e.label}: ${e.device} ${e.field} = ${e.value} at ${JSON.stringify(e.ts)} in the store`).toBeDefined();
    }
    expect(dp.ingest.counters.droppedMetrics).toEqual(droppedExpected);
    const health = (await (await fetch(`${dp.httpUrl}/api/health`)).json()) as { ingest: { dropped_metrics: Record<string, number>; unsupported: { topic: string; hint: string }[] } };
    expect(health.ingest.dropped_metrics).toEqual(droppedExpected);
    expect(health.ingest.unsupported.map((u) => u.topic)).toContain('shellies/floor2/shellyplusht-08b61fcb7f3c/events/rpc');
  }, 120_000);

  it('refuses a webhook whose signature or token does not match the site\'s secret, and stores nothing from it', async () => {
    const f = fixtures.find((x) => x.ecosystem === 'disruptive' && x.name === 'desk-occupancy-occupied')!;
    const before = dp.ingest.counters.received;
    const post = (headers: Record<string, string>) => fetch(`${dp.httpUrl}/api/webhooks/disruptive/${SITE}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: Buffer.from(f.payload) });
    expect((await post({ 'x-dt-signature': signDtBody(f.payload, 'another-secret', Date.now()) })).status).toBe(401);
    expect((await post({ 'x-dt-signature': signDtBody('{"tampered":true}', DT_SECRET, Date.now()) })).status).toBe(401);
    expect((await post({})).status).toBe(401);
    const butlr = fixtures.find((x) => x.ecosystem === 'butlr')!;
    const res = await fetch(`${dp.httpUrl}/api/webhooks/butlr/${SITE}`, { method: 'POST', headers: { authorization: 'Bearer wrong' }, body: Buffer.from(butlr.payload) });
    expect(res.status).toBe(401);
    expect(dp.ingest.counters.received).toBe(before);
  });
});
