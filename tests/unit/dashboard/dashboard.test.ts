import { describe, expect, it } from 'vitest';
import type { LiveSnapshot, SeriesResponse, SiteSummary } from '../../../devices/api-types.ts';
import { ApiError, type DashboardApi } from '../../../dashboard/src/lib/api/client.ts';
import { Dashboard } from '../../../dashboard/src/lib/managers/dashboard.svelte.ts';
import type { LiveChannel } from '../../../dashboard/src/lib/managers/live-connection.svelte.ts';

const NOW = Date.UTC(2026, 10, 23, 10, 0, 0);

const idleChannel: LiveChannel = { connected: false, on: () => undefined, emit: () => undefined };

function snapshot(totalW: number): LiveSnapshot {
  return {
    site: 'demo', name: 'Deskprint Demo Hub', at: NOW,
    power_w: { total: totalW, by_category: { desk: totalW, lighting: 0, heating: 0, hvac: 0, common: 0, unmetered: 0 }, by_carrier: {} },
    desks: { total: 24, occupied: 5, checked_in: 6 }, people_present: 6, zones: [], desk_states: [],
    devices: { total: 78, online: 78, offline: 0, silent: 0 }, today: null,
  };
}

function history(from: number, to: number): SeriesResponse {
  const points: [number, number][] = [];
  for (let ts = from; ts < to; ts += 10_000) points.push([ts, 2_000]);
  return { metric: 'power_w', unit: 'W', fn: 'mean', from, to, every_ms: 10_000, series: [{ tags: { category: 'desk' }, points }] };
}

/** Incoming supply 500 W above the sub-meters: the history shows that as unmetered. */
function mainsHistory(from: number, to: number): SeriesResponse {
  const points: [number, number][] = [];
  for (let ts = from; ts < to; ts += 10_000) points.push([ts, 2_500]);
  return { metric: 'power_w', unit: 'W', fn: 'mean', from, to, every_ms: 10_000, series: [{ tags: { category: 'main' }, points }] };
}

function fakeApi(overrides: Partial<DashboardApi> = {}): DashboardApi & { seriesRequests: unknown[] } {
  const seriesRequests: unknown[] = [];
  return {
    seriesRequests,
    sites: async (): Promise<SiteSummary[]> => [],
    live: async (site) => {
      if (site !== 'demo') throw new ApiError(404, 'site_not_found', `No site "${site}".`);
      return snapshot(9_300);
    },
    powerSeries: async (site, query) => {
      seriesRequests.push({ site, ...query });
      return query.category === 'main' ? mainsHistory(query.from, query.to) : history(query.from, query.to);
    },
    ...overrides,
  };
}

/** A socket stand-in whose server events the test fires. */
function scriptedChannel() {
  const listeners = new Map<string, ((...args: never[]) => void)[]>();
  const channel = {
    connected: false,
    on(event: string, listener: (...args: never[]) => void) {
      listeners.set(event, [...(listeners.get(event) ?? []), listener]);
    },
    emit(_event: string, ...args: unknown[]) {
      const ack = args.find((a) => typeof a === 'function') as ((res: { ok: boolean }) => void) | undefined;
      ack?.({ ok: true });
    },
    fire(event: string, ...args: unknown[]) {
      if (event === 'connect') channel.connected = true;
      if (event === 'disconnect') channel.connected = false;
      for (const l of listeners.get(event) ?? []) (l as (...a: unknown[]) => void)(...args);
    },
  };
  return channel;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('Dashboard', () => {
  it('opening a site shows its snapshot and ten minutes of history behind it', async () => {
    const api = fakeApi();
    const dashboard = new Dashboard({ api, channel: idleChannel, now: () => NOW });
    const live = dashboard.open('demo');
    expect(live.load.kind).toBe('loading');
    await settle();

    expect(live.load.kind).toBe('ready');
    expect(live.snapshot?.power_w.total).toBe(9_300);
    expect(api.seriesRequests).toEqual([
      { site: 'demo', from: NOW - 600_000, to: NOW, everyMs: 10_000 },
      { site: 'demo', from: NOW - 600_000, to: NOW, everyMs: 10_000, category: 'main' },
    ]);
    expect(live.samples).toHaveLength(61);
    expect(live.samples[0]).toMatchObject({ at: NOW - 600_000 + 5_000, total_w: 2_500, by_category: { desk: 2_000, unmetered: 500 } });
    expect(live.samples.at(-1)!.total_w).toBe(9_300);
  });

  it('the history still loads without mains (no unmetered band then)', async () => {
    const base = fakeApi();
    const api = fakeApi({ powerSeries: async (site, query) => (query.category === 'main' ? Promise.reject(new Error('boom')) : base.powerSeries(site, query)) });
    const live = new Dashboard({ api, channel: idleChannel, now: () => NOW }).open('demo');
    await settle();
    expect(live.historyError).toBeNull();
    expect(live.samples[0]).toMatchObject({ total_w: 2_000, by_category: { desk: 2_000, unmetered: 0 } });
  });

  it('after a dropped connection comes back, history fills the stretch the socket missed', async () => {
    let now = NOW;
    const api = fakeApi();
    const channel = scriptedChannel();
    const dashboard = new Dashboard({ api, channel: channel as unknown as LiveChannel, now: () => now });
    const live = dashboard.open('demo');
    channel.fire('connect');
    await settle();
    const tick = (at: number) => channel.fire('live', { ...snapshot(9_000), at });
    for (let at = NOW + 1_000; at <= NOW + 3_000; at += 1_000) tick(at);

    channel.fire('disconnect', 'transport close');
    now = NOW + 60_000;
    channel.fire('connect');
    await settle();
    tick(NOW + 61_000);

    expect(api.seriesRequests).toHaveLength(4);
    const outage = live.samples.filter((s) => s.at > NOW + 3_000 && s.at < NOW + 61_000);
    // Windows of 10 s starting at NOW+10 s … NOW+50 s; the one at NOW+0 s is covered by live samples.
    expect(outage.map((s) => s.at - NOW)).toEqual([15_000, 25_000, 35_000, 45_000, 55_000]);
    expect(live.samples.filter((s) => s.total_w === 9_000).map((s) => s.at - NOW)).toEqual([1_000, 2_000, 3_000, 61_000]);
  });

  it('an unknown site ends in a not-found state the page can explain', async () => {
    const dashboard = new Dashboard({ api: fakeApi(), channel: idleChannel, now: () => NOW });
    const live = dashboard.open('ghost');
    await settle();
    expect(live.load).toEqual({ kind: 'error', message: 'No site "ghost".', notFound: true });
  });

  it('a failed history request still shows the live figures and says why the chart starts empty', async () => {
    const api = fakeApi({ powerSeries: async () => Promise.reject(new ApiError(503, 'store_down', 'The time-series store is down.')) });
    const dashboard = new Dashboard({ api, channel: idleChannel, now: () => NOW });
    const live = dashboard.open('demo');
    await settle();
    expect(live.load.kind).toBe('ready');
    expect(live.historyError).toBe('The time-series store is down.');
    expect(live.samples).toHaveLength(1);
  });

  it('the site list reports an unreachable server', async () => {
    const api = fakeApi({ sites: async () => Promise.reject(new ApiError(0, 'unreachable', 'Cannot reach the deskprint server.')) });
    const dashboard = new Dashboard({ api, channel: idleChannel });
    await dashboard.directory.refresh();
    expect(dashboard.directory.load).toEqual({ kind: 'error', message: 'Cannot reach the deskprint server.' });
  });
});
