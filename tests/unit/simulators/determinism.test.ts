import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { Rng } from '../../../simulators/random.ts';
import { capture, decode, scenario } from './support.ts';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('simulator determinism', () => {
  it('gives the same seed the same message stream, byte for byte, and another seed another stream', async () => {
    const sc = scenario('sites/scenarios/demo.yaml');
    const a = await capture(sc, '2026-01-06T00:00:00Z', '2026-01-07T00:00:00Z');
    const b = await capture(sc, '2026-01-06T00:00:00Z', '2026-01-07T00:00:00Z');
    const c = await capture(sc, '2026-01-06T00:00:00Z', '2026-01-07T00:00:00Z', { seed: 43 });
    expect(a.messages.length).toBeGreaterThan(50_000);
    expect(sha(a.bytes)).toBe(sha(b.bytes));
    expect(sha(c.bytes)).not.toBe(sha(a.bytes));
    expect(a.truth.toNdjson({})).toBe(b.truth.toNdjson({}));
  });

  it('keeps a faulty stream reproducible too', async () => {
    const sc = scenario('sites/scenarios/faulty.yaml');
    const a = await capture(sc, '2026-01-05T06:00:00Z', '2026-01-05T12:00:00Z');
    const b = await capture(sc, '2026-01-05T06:00:00Z', '2026-01-05T12:00:00Z');
    expect(a.stats.faults.duplicate).toBeGreaterThan(0);
    expect(sha(a.bytes)).toBe(sha(b.bytes));
  });

  it('publishes only payloads the native adapter accepts when no fault is switched on', async () => {
    const sc = scenario('sites/scenarios/demo.yaml');
    const { messages } = await capture(sc, '2026-01-06T08:00:00Z', '2026-01-06T14:00:00Z');
    const rejected = messages.map((m) => ({ m, r: decode(m) })).filter(({ r }) => !r.ok);
    expect(rejected.map(({ m, r }) => `${m.topic} ${m.payload} → ${JSON.stringify(r)}`)).toEqual([]);
    // Every timestamp is a whole millisecond at the message's send time.
    for (const m of messages) expect(JSON.parse(m.payload).ts).toBe(m.at);
  });

  it('batches a gateway-style array per device without changing the samples', async () => {
    const sc = scenario('sites/scenarios/demo.yaml');
    const single = await capture(sc, '2026-01-06T08:00:00Z', '2026-01-06T11:00:00Z');
    const batched = await capture(sc, '2026-01-06T08:00:00Z', '2026-01-06T11:00:00Z', { batchS: 3600 });
    expect(batched.messages.length).toBeLessThan(single.messages.length / 20);
    const flatten = (ms: typeof single.messages) =>
      ms.flatMap((m) => (m.payload.startsWith('[') ? (JSON.parse(m.payload) as unknown[]).map((s) => `${m.topic} ${JSON.stringify(s)}`) : [`${m.topic} ${m.payload}`])).sort();
    expect(flatten(batched.messages)).toEqual(flatten(single.messages));
    for (const m of batched.messages) expect(decode(m).ok).toBe(true);
  });

  it('derives independent named random streams from one seed', () => {
    const draw = (r: Rng) => Array.from({ length: 5 }, () => r.next());
    expect(draw(new Rng(42).fork('device/plug-n01'))).toEqual(draw(new Rng(42).fork('device/plug-n01')));
    expect(draw(new Rng(42).fork('device/plug-n01'))).not.toEqual(draw(new Rng(42).fork('device/plug-n02')));
    const xs = draw(new Rng(7));
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
  });
});
