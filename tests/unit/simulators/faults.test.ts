import { describe, expect, it } from 'vitest';
import { malform } from '../../../simulators/faults.ts';
import { nativeAdapter } from '../../../devices/native/adapter.ts';
import { capture, decode, scenario, type Captured } from './support.ts';

let run: Captured | undefined;
async function faultyDay(): Promise<Captured> {
  // sites/scenarios/faulty.yaml: every fault type on, over a working day.
  run ??= await capture(scenario('sites/scenarios/faulty.yaml'), '2026-01-05T00:00:00Z', '2026-01-06T00:00:00Z');
  return run;
}

const tsOf = (payload: string): number | undefined => {
  try {
    return (JSON.parse(payload) as { ts?: number }).ts;
  } catch {
    return undefined;
  }
};

describe('faults on demand', () => {
  it('delivers duplicates: the same payload twice in a row from one device', async () => {
    const { messages, stats } = await faultyDay();
    let repeats = 0;
    const last = new Map<string, string>();
    for (const m of messages) {
      if (last.get(m.device) === m.payload && m.topic.endsWith('/telemetry')) repeats++;
      last.set(m.device, m.payload);
    }
    expect(stats.faults.duplicate).toBeGreaterThan(100);
    expect(repeats).toBeGreaterThanOrEqual(stats.faults.duplicate * 0.9);
  });

  it('delivers some messages out of order and some late, with their original timestamps', async () => {
    const { messages } = await faultyDay();
    let backwards = 0;
    let late = 0;
    const newest = new Map<string, number>();
    for (const m of messages) {
      const ts = tsOf(m.payload);
      if (ts === undefined) continue;
      const prev = newest.get(m.device) ?? -Infinity;
      if (ts < prev) backwards++;
      newest.set(m.device, Math.max(prev, ts));
      // Late: delivered 5 min (late_delay_s: 300) after the time it carries.
      if (m.at - ts >= 300_000) late++;
    }
    expect(backwards).toBeGreaterThan(100);
    expect(late).toBeGreaterThan(50);
  });

  it('skews the clocks of some devices by a constant offset', async () => {
    const { messages } = await faultyDay();
    const offsets = new Map<string, Set<number>>();
    for (const m of messages) {
      const ts = tsOf(m.payload);
      if (ts === undefined || m.fault === 'late' || m.fault === 'out_of_order') continue;
      const set = offsets.get(m.device) ?? new Set();
      set.add(ts - m.at);
      offsets.set(m.device, set);
    }
    const skewed = [...offsets].filter(([, s]) => !s.has(0));
    expect(skewed.length).toBeGreaterThan(0);
    for (const [, s] of skewed) {
      expect(s.size).toBe(1);
      const [skew] = [...s];
      expect(Math.abs(skew!)).toBeLessThanOrEqual(120_000);
    }
  });

  it('sends malformed payloads that ingest must reject, of each kind', async () => {
    const { messages, stats } = await faultyDay();
    const reasons = new Map<string, number>();
    for (const m of messages) {
      const r = decode(m);
      // A malformed message can also be duplicated; count each damaged message once.
      if (!r.ok && m.fault !== 'duplicate') reasons.set(r.reason, (reasons.get(r.reason) ?? 0) + 1);
    }
    expect(stats.faults.malformed).toBeGreaterThan(50);
    expect([...reasons.keys()].sort()).toEqual(['bad_json', 'schema', 'unit']);
    expect([...reasons.values()].reduce((a, b) => a + b, 0)).toBe(stats.faults.malformed);
  });

  it('drops devices out: offline, silence, online again, and records the dropout in the ground truth', async () => {
    const { messages, truth } = await faultyDay();
    const dropouts = truth.events.filter((e) => e.type === 'dropout');
    expect(dropouts.length).toBeGreaterThan(3);
    for (const d of dropouts) {
      const own = messages.filter((m) => m.device === d.device && m.at >= d.ts);
      expect(own[0]).toMatchObject({ payload: 'offline', retain: true, qos: 1 });
      const next = own.slice(1).find((m) => m.fault !== 'late');
      if (!next) continue; // silent until the end of the run
      expect(next.payload).toBe('online');
      expect(next.at).toBeGreaterThanOrEqual(d.until!);
    }
  });

  it('damages each payload shape so that the native adapter rejects it', () => {
    const payloads = [
      '{"ts":1767600000000,"power_w":41.6,"energy_wh":1200.5,"on":true}',
      '{"ts":1767600000000,"occupied":true,"battery_pct":80}',
      '{"ts":1767600000000,"member":"m01","action":"check_in","desk":"n01"}',
    ];
    for (const p of payloads) {
      for (const how of ['truncated', 'string_number', 'unknown_field', 'out_of_range'] as const) {
        const r = nativeAdapter.decode('deskprint/demo/dev/telemetry', new TextEncoder().encode(malform(p, how)), { receivedAt: 1767600000000 });
        expect(r.ok, `${how}: ${malform(p, how)}`).toBe(false);
      }
    }
  });
});
