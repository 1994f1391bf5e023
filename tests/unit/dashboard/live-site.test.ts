import { flushSync } from 'svelte';
import { describe, expect, it } from 'vitest';
import type { LiveSnapshot, SeriesResponse } from '../../../devices/api-types.ts';
import { LiveSite } from '../../../dashboard/src/lib/managers/live-site.svelte.ts';

function snapshot(at: number, totalW: number, overrides: Partial<LiveSnapshot> = {}): LiveSnapshot {
  return {
    site: 'demo',
    name: 'Deskprint Demo Hub',
    at,
    power_w: {
      total: totalW,
      by_category: { desk: totalW * 0.5, lighting: totalW * 0.1, heating: totalW * 0.3, hvac: 0, common: totalW * 0.1, unmetered: 0 },
      by_carrier: { electricity: totalW * 0.7, gas: totalW * 0.3 },
    },
    desks: { total: 24, occupied: 9, checked_in: 11 },
    people_present: 12,
    zones: [],
    desk_states: [],
    devices: { total: 78, online: 77, offline: 1, silent: 0 },
    today: { basis: 'metered_so_far', label: 'metered so far', from: 0, up_to: 1, has_data: true, kwh: 41.2, kgco2e: 7.6, by_carrier: { electricity: 30, gas: 11.2 } },
    ...overrides,
  };
}

const T0 = Date.UTC(2026, 10, 23, 9, 0, 0);

describe('LiveSite', () => {
  it('a live event becomes the shown totals and the newest chart sample', () => {
    const site = new LiveSite('demo');
    expect(site.load.kind).toBe('loading');

    site.receive(snapshot(T0, 8_400));
    site.receive(snapshot(T0 + 1_000, 9_150, { desks: { total: 24, occupied: 10, checked_in: 12 }, people_present: 13 }));
    flushSync();

    expect(site.load.kind).toBe('ready');
    expect(site.snapshot?.power_w.total).toBe(9_150);
    expect(site.snapshot?.desks.occupied).toBe(10);
    expect(site.snapshot?.people_present).toBe(13);
    expect(site.samples.map((s) => [s.at, s.total_w])).toEqual([
      [T0, 8_400],
      [T0 + 1_000, 9_150],
    ]);
  });

  it('ignores snapshots of another site and stale snapshots arriving late', () => {
    const site = new LiveSite('demo');
    site.receive(snapshot(T0 + 2_000, 9_000));
    site.receive(snapshot(T0 + 1_000, 1_234)); // e.g. the /live response overtaken by the socket
    site.receive(snapshot(T0 + 3_000, 5_555, { site: 'other' }));

    expect(site.snapshot?.power_w.total).toBe(9_000);
    expect(site.samples).toHaveLength(1);
  });

  it('the rolling window keeps the last ten minutes and drops older points', () => {
    const site = new LiveSite('demo');
    for (let s = 0; s <= 11 * 60; s++) site.receive(snapshot(T0 + s * 1_000, 8_000 + s));

    const first = site.samples[0]!;
    const last = site.samples.at(-1)!;
    expect(last.at).toBe(T0 + 11 * 60_000);
    expect(first.at).toBe(T0 + 60_000);
    expect(last.at - first.at).toBe(10 * 60_000);
    expect(site.samples).toHaveLength(601);
  });

  it('seeds history from the series endpoint before the live samples, with unmetered = main − sub-meters', () => {
    const site = new LiveSite('demo', { windowMs: 60_000 });
    site.receive(snapshot(T0, 9_000));
    const history: SeriesResponse = {
      metric: 'power_w', unit: 'W', fn: 'mean', from: T0 - 60_000, to: T0, every_ms: 10_000,
      series: [
        { tags: { category: 'desk' }, points: [[T0 - 90_000, 3_000], [T0 - 30_000, 3_000], [T0 - 10_000, 3_200]] },
        { tags: { category: 'heating' }, points: [[T0 - 30_000, 2_000], [T0 - 10_000, 2_000]] },
        { tags: { category: 'main' }, points: [[T0 - 30_000, 6_500], [T0 - 10_000, 5_000]] },
      ],
    };
    site.seed(history);

    // The window is 60 s before the newest sample: the point at T0 − 90 s falls out.
    expect(site.samples.map((s) => s.at)).toEqual([T0 - 25_000, T0 - 5_000, T0]);
    const [first, second] = site.samples;
    expect(first?.total_w).toBe(6_500);
    expect(first?.by_category.unmetered).toBe(1_500);
    // Sub-meters above the main meter (timing skew) never make unmetered negative.
    expect(second?.by_category.unmetered).toBe(0);
    expect(site.samples.at(-1)?.total_w).toBe(9_000);
  });

  it('an error is shown only when no snapshot has arrived', () => {
    const failed = new LiveSite('nowhere');
    failed.fail('Unknown site "nowhere"', { notFound: true });
    expect(failed.load).toEqual({ kind: 'error', message: 'Unknown site "nowhere"', notFound: true });

    const streaming = new LiveSite('demo');
    streaming.receive(snapshot(T0, 9_000));
    streaming.fail('timeout');
    expect(streaming.load.kind).toBe('ready');
  });
});
