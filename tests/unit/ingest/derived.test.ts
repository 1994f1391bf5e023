/**
 * The derived topics between ingest and a separate API process (ingest/derived.ts): what
 * ingest publishes is what the follower serves, and a message that breaks its topic's
 * schema is counted and ignored on both sides instead of reaching the API as it is.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { AlertsResponse } from '../../../devices/api-types.ts';
import { siteFileSchema } from '../../../devices/site.ts';
import { topics } from '../../../devices/topics.ts';
import { DerivedFollower, publishDerived } from '../../../ingest/derived.ts';
import { LiveState } from '../../../ingest/live.ts';
import type { MessageHandler, MessageSource } from '../../../ingest/sources.ts';
import { Registry } from '../../../store/registry.ts';

/** An in-memory broker: every publish reaches the subscriber whose filter matches (`+` only). */
function bus(): { source: MessageSource; send(topic: string, payload: string): void } {
  const subs: { filters: readonly string[]; handler: MessageHandler }[] = [];
  const matches = (filter: string, topic: string) => {
    const f = filter.split('/');
    const t = topic.split('/');
    return f.length === t.length && f.every((p, i) => p === '+' || p === t[i]);
  };
  const send = (topic: string, payload: string) => {
    for (const s of subs) if (s.filters.some((f) => matches(f, topic))) void s.handler({ topic, payload: Buffer.from(payload), receivedAt: Date.now() });
  };
  return {
    source: {
      kind: 'embedded',
      async start(filters, handler) {
        subs.push({ filters, handler });
      },
      async publish(topic, payload) {
        send(topic, payload.toString());
      },
      async stop() {},
    },
    send,
  };
}

function site() {
  const registry = new Registry();
  registry.loadSite(siteFileSchema.parse({
    id: 'hub', name: 'Hub', timezone: 'Europe/London', area_m2: 100,
    factors: [{ name: 'UK DESNZ 2025', year: 2025, basis: 'location, gross CV', source: 'DESNZ 2025', electricity: 0.177, gas: 0.183 }],
    zones: [{ id: 'north', name: 'North Studio', area_m2: 100 }],
    desks: [{ id: 'n1', zone: 'north' }],
    devices: [{ id: 'plug-n1', kind: 'desk_plug', desk: 'n1', carrier: 'electricity' }],
    members: [{ id: 'm1', name: 'Ada' }],
  }));
  return registry;
}

describe('derived topics', () => {
  it('serves in the API process the live snapshot and alerts ingest published', async () => {
    const registry = site();
    const b = bus();
    const follower = new DerivedFollower(b.source);
    await follower.start();
    const live = new LiveState({ registry });
    const alerts = Object.assign(new EventEmitter(), { battery: () => undefined });
    const pub = publishDerived({ source: b.source, registry, live, alerts, activity: () => undefined });
    live.tick();
    const list: AlertsResponse = { site: 'hub', at: 1, active: [], resolved: [] };
    alerts.emit('alerts', list);
    expect(follower.latest('hub')).toEqual(live.latest('hub'));
    expect(follower.list('hub')).toEqual(list);

    // A snapshot that breaks the schema (a bug upstream) is not published.
    live.emit('live', { site: 'hub', power_w: 'lots' });
    expect(pub.unpublishable()).toBe(1);
    expect(follower.latest('hub')).toEqual(live.latest('hub'));
    pub.stop();
  });

  it('counts and ignores a message that breaks its topic’s schema', async () => {
    const b = bus();
    const follower = new DerivedFollower(b.source);
    await follower.start();
    b.send(topics.live('hub'), JSON.stringify({ site: 'hub', power_w: { total: 'lots' } }));
    b.send(topics.alerts('hub'), JSON.stringify({ site: 'hub', active: 'none' }));
    b.send(topics.devices('hub'), JSON.stringify({ 'plug-n1': { lastSeen: 'yesterday' } }));
    b.send(topics.live('hub'), '{not json');
    expect(follower.malformed).toBe(4);
    expect(follower.latest('hub')).toBeUndefined();
    expect(follower.list('hub').active).toEqual([]);
    expect(follower.activity('hub', 'plug-n1')).toBeUndefined();
  });
});
