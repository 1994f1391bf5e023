/**
 * QoS 1 re-deliveries (docs/errors.md `duplicate`): an identical reading is told apart from
 * a new one, and a same-timestamp different value is kept and counted as a conflict.
 */
import { describe, expect, it } from 'vitest';
import type { Reading } from '../../../devices/adapter.ts';
import { RecentSamples } from '../../../ingest/duplicates.ts';

const r = (metric: string, value: number, ts: number): Reading => ({ metric, value, ts }) as Reading;

describe('RecentSamples', () => {
  it('finds an identical re-delivery, keeps new readings of a partly repeated message in order', () => {
    const recent = new RecentSamples();
    const plug = {};
    const first = [r('power_w', 40, 1_000), r('energy_wh', 5, 1_000)];
    expect(recent.check(plug, first)).toEqual({ fresh: first, duplicates: 0, conflicts: 0 });
    expect(recent.check(plug, first)).toEqual({ fresh: [], duplicates: 2, conflicts: 0 });
    // A gateway flushing its buffer again, with one new sample at the end.
    const again = [...first, r('power_w', 41, 2_000)];
    expect(recent.check(plug, again)).toEqual({ fresh: [r('power_w', 41, 2_000)], duplicates: 2, conflicts: 0 });
  });

  it('keeps a same-timestamp different value and counts it as a conflict', () => {
    const recent = new RecentSamples();
    const plug = {};
    recent.check(plug, [r('power_w', 40, 1_000)]);
    expect(recent.check(plug, [r('power_w', 42, 1_000)])).toEqual({ fresh: [r('power_w', 42, 1_000)], duplicates: 0, conflicts: 1 });
    // The later value is the one remembered, as the store keeps it.
    expect(recent.check(plug, [r('power_w', 42, 1_000)]).duplicates).toBe(1);
  });

  it('tells devices apart and remembers only the last sample times of each', () => {
    const recent = new RecentSamples(2);
    const a = {};
    const b = {};
    recent.check(a, [r('power_w', 1, 1)]);
    expect(recent.check(b, [r('power_w', 1, 1)]).duplicates).toBe(0);
    recent.check(a, [r('power_w', 2, 2)]);
    recent.check(a, [r('power_w', 3, 3)]);
    // ts 1 has left a's window of 2: counted as new (and stored again, which overwrites identically).
    expect(recent.check(a, [r('power_w', 1, 1)]).duplicates).toBe(0);
    expect(recent.check(a, [r('power_w', 3, 3)]).duplicates).toBe(1);
  });
});
