/**
 * The adapter contract, written once and run against every adapter in devices/index.ts
 * (adapters.contract.test.ts): whatever arrives on the broker, `decode` returns a well-formed
 * result and never throws; every reading is a catalogue metric in range; failures carry a
 * stable reason and a short message; the adapter's own fixtures round-trip and are covered
 * by its subscriptions.
 */
import { describe, expect, it } from 'vitest';
import { webhookTopic, type Adapter, type DecodeResult } from '../../devices/adapter.ts';
import { METRICS, isSeriesMetric } from '../../devices/catalogue.ts';
import { REJECT_REASON_KEYS } from '../../devices/rejections.ts';
import { topicMatchesFilter } from '../../devices/topics.ts';
import { FIXTURE_RECEIVED_AT, loadFixtures } from '../unit/adapters/fixture-loader.ts';

/** Failure messages end up in logs and on the rejected topic: they must not echo a huge payload. */
export const MAX_MESSAGE_CHARS = 1000;

const encoder = new TextEncoder();
const ctx = { receivedAt: FIXTURE_RECEIVED_AT };

export { topicMatchesFilter };

/** Every property a caller relies on, checked on any result. Returns the problems found. */
export function resultProblems(adapter: Adapter, result: DecodeResult): string[] {
  const problems: string[] = [];
  if (typeof result !== 'object' || result === null || typeof result.ok !== 'boolean') return ['result is not { ok: boolean, … }'];
  if (result.identity !== undefined) {
    const id = result.identity;
    if (id.ecosystem === 'native') {
      if (typeof id.site !== 'string' || typeof id.device !== 'string') problems.push('native identity without site/device');
    } else {
      if (id.ecosystem !== adapter.name) problems.push(`identity ecosystem "${id.ecosystem}" is not the adapter name "${adapter.name}"`);
      if (typeof id.foreignId !== 'string' || id.foreignId.length === 0) problems.push('foreign identity without foreignId');
    }
  }
  if (!result.ok) {
    if (!(REJECT_REASON_KEYS as string[]).includes(result.reason)) problems.push(`unknown reject reason "${result.reason}"`);
    if (typeof result.message !== 'string' || result.message.length === 0) problems.push('failure without a message');
    else if (result.message.length > MAX_MESSAGE_CHARS) problems.push(`failure message is ${result.message.length} chars`);
    return problems;
  }
  if (result.identity === undefined) problems.push('decoded result without identity');
  if (!Array.isArray(result.readings) || !Array.isArray(result.checkins)) return [...problems, 'readings/checkins are not arrays'];
  if (result.status !== undefined && result.status !== 'online' && result.status !== 'offline') problems.push(`status "${String(result.status)}"`);
  for (const r of result.readings) {
    if (!isSeriesMetric(r.metric)) {
      problems.push(`reading metric "${String(r.metric)}" is not a series metric in the catalogue`);
      continue;
    }
    const d = METRICS[r.metric];
    if (d.kind !== 'number' && d.kind !== 'boolean') problems.push(`${r.metric}: kind ${d.kind}`);
    if (typeof r.value !== 'number' || !Number.isFinite(r.value)) problems.push(`${r.metric}: value ${String(r.value)} is not finite`);
    if (d.kind === 'boolean' && r.value !== 0 && r.value !== 1) problems.push(`${r.metric}: boolean reading ${r.value} is not 0/1`);
    if (d.min !== undefined && r.value < d.min) problems.push(`${r.metric}: ${r.value} below ${d.min}`);
    if (d.max !== undefined && r.value > d.max) problems.push(`${r.metric}: ${r.value} above ${d.max}`);
    if (!Number.isSafeInteger(r.ts)) problems.push(`${r.metric}: ts ${r.ts} is not integer epoch ms`);
  }
  return problems;
}

function decodeSafely(adapter: Adapter, topic: string, payload: Uint8Array): { result?: DecodeResult; thrown?: unknown } {
  try {
    return { result: adapter.decode(topic, payload, ctx) };
  } catch (thrown) {
    return { thrown };
  }
}

/** mulberry32: a seeded generator, so a failing garbage case reproduces. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function garbagePayloads(): [string, Uint8Array][] {
  const random = seededRandom(20261121);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
  const text = (s: string) => encoder.encode(s);
  const depth = 50_000;
  return [
    ['empty', new Uint8Array(0)],
    ...Array.from({ length: 8 }, (_, i) => [`random bytes #${i}`, bytes(1 + Math.floor(random() * 512))] as [string, Uint8Array]),
    ['invalid UTF-8', Uint8Array.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d])],
    ['NUL bytes', new Uint8Array(64)],
    ['BOM then JSON', Uint8Array.from([0xef, 0xbb, 0xbf, ...text('{"power":1}')])],
    ['1 MB of text', text('a'.repeat(1 << 20))],
    ['1 MB JSON string', text(JSON.stringify('x'.repeat(1 << 20)))],
    ['1 MB JSON object key', text(`{"${'k'.repeat(1 << 20)}":1}`)],
    ['deeply nested arrays', text('['.repeat(depth) + ']'.repeat(depth))],
    ['deeply nested objects', text('{"a":'.repeat(depth) + '1' + '}'.repeat(depth))],
    ['unterminated nesting', text('{"a":['.repeat(10_000))],
    ...(['null', '0', '-1', '1e308', '-1e308', 'true', 'false', '"online"', '"true"', '[]', '{}', '[null]', '[{}]', '"ON"'] as const).map(
      (s) => [`JSON ${s}`, text(s)] as [string, Uint8Array],
    ),
    ['proto pollution', text('{"__proto__":{"power":1},"constructor":{"prototype":{"x":1}}}')],
    ['10k-element array', text(JSON.stringify(Array.from({ length: 10_000 }, () => ({ power_w: 1 }))))],
  ];
}

const GARBAGE_TOPICS = [
  '',
  '/',
  '#',
  '+/+',
  'a'.repeat(70_000),
  'x/'.repeat(5_000),
  '😀/🔥/status/switch:0',
  'zigbee2mqtt/',
  'zigbee2mqtt//availability',
  'zigbee2mqtt/bridge',
  'shellies/',
  'shellies/x/relay/99999/power',
  'x/status/switch:99999999999',
  '/online',
  'tele//SENSOR',
  'stat/x/RESULT',
  'deskprint/demo/plug-n01/telemetry',
  'deskprint/_derived/demo/live',
];

/** Wrong-typed and out-of-range values to put at every leaf of a fixture payload. */
const WRONG_VALUES: unknown[] = [null, 'x', '', true, false, [], {}, [1, 2], 1e308, -1e308, -1, 0, 1e15, 'ON', { total: 'x' }];

function leafPaths(value: unknown, path: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (Array.isArray(value)) value.forEach((v, i) => leafPaths(v, [...path, i], out));
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) leafPaths(v, [...path, k], out);
  else out.push(path);
  return out;
}

function withValueAt(root: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = value;
  return copy;
}

export interface AdapterContractOptions {
  /** Minimum number of golden fixtures the adapter must have. */
  minFixtures?: number;
}

export function describeAdapterContract(adapter: Adapter, options: AdapterContractOptions = {}): void {
  const fixtures = loadFixtures(adapter.name);

  describe(`adapter contract: ${adapter.name}`, () => {
    it('has golden fixtures, with at least one rejected payload', () => {
      expect(fixtures.length).toBeGreaterThanOrEqual(options.minFixtures ?? 5);
      expect(fixtures.some((f) => !f.expected.ok)).toBe(true);
    });

    it('decodes its fixtures to their expected results, deterministically, without touching the payload', () => {
      for (const f of fixtures) {
        const before = Uint8Array.from(f.payload);
        const first = adapter.decode(f.topic, f.payload, { receivedAt: f.receivedAt });
        const second = adapter.decode(f.topic, f.payload, { receivedAt: f.receivedAt });
        expect(first, `${f.name}`).toEqual(f.expected);
        expect(second, `${f.name} (second decode)`).toEqual(first);
        expect(f.payload, `${f.name} payload untouched`).toEqual(before);
        expect(resultProblems(adapter, first), f.name).toEqual([]);
      }
    });

    it('owns every fixture topic, and its subscriptions deliver every topic that carries data', () => {
      for (const f of fixtures) {
        expect(adapter.matches(f.topic), `${f.name}: matches("${f.topic}")`).toBe(true);
        const carriesData = f.expected.ok && (f.expected.readings.length > 0 || f.expected.status !== undefined || f.expected.checkins.length > 0);
        if (adapter.webhook) {
          // Delivered by HTTPS POST, never from the broker: one internal topic, no subscription.
          expect(f.topic, `${f.name}: a webhook adapter's topic`).toBe(webhookTopic(adapter.name));
          expect(adapter.subscriptions).toEqual([]);
          expect(adapter.authenticate, 'a webhook adapter authenticates its requests').toBeTypeOf('function');
        } else if (carriesData) {
          expect(adapter.subscriptions.some((s) => topicMatchesFilter(s, f.topic)), `${f.name}: "${f.topic}" is subscribed`).toBe(true);
        }
      }
    });

    it('never throws, and returns a well-formed result, for garbage payloads on its own and on foreign topics', () => {
      const topics = [...new Set([...fixtures.map((f) => f.topic), ...GARBAGE_TOPICS])];
      for (const topic of topics) {
        expect(() => adapter.matches(topic)).not.toThrow();
        for (const [label, payload] of garbagePayloads()) {
          const { result, thrown } = decodeSafely(adapter, topic, payload);
          expect(thrown, `decode("${topic.slice(0, 60)}", ${label}) threw`).toBeUndefined();
          expect(resultProblems(adapter, result!), `decode("${topic.slice(0, 60)}", ${label})`).toEqual([]);
        }
      }
    });

    it('never throws, and never emits an out-of-range reading, when any field of a real payload has the wrong type or size', () => {
      let decoded = 0;
      for (const f of fixtures) {
        let json: unknown;
        try {
          json = JSON.parse(new TextDecoder().decode(f.payload));
        } catch {
          continue;
        }
        for (const path of leafPaths(json)) {
          for (const wrong of WRONG_VALUES) {
            const payload = encoder.encode(JSON.stringify(withValueAt(json, path, wrong)));
            const { result, thrown } = decodeSafely(adapter, f.topic, payload);
            const label = `${f.name}: ${path.join('.') || '(root)'} = ${JSON.stringify(wrong)}`;
            expect(thrown, label).toBeUndefined();
            expect(resultProblems(adapter, result!), label).toEqual([]);
            decoded++;
          }
        }
      }
      expect(decoded).toBeGreaterThan(0);
    });
  });
}
