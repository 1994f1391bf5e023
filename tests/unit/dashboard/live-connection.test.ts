import { describe, expect, it } from 'vitest';
import type { LiveSnapshot } from '../../../devices/api-types.ts';
import { LiveConnection, type LiveChannel } from '../../../dashboard/src/lib/managers/live-connection.svelte.ts';
import { LiveSite } from '../../../dashboard/src/lib/managers/live-site.svelte.ts';

type Listener = (...args: never[]) => void;

/** Stands in for a socket.io client socket: records emits, lets the test fire server events. */
class FakeChannel implements LiveChannel {
  connected = false;
  readonly emitted: unknown[][] = [];
  ackReply: { ok: boolean; error?: string } = { ok: true };
  readonly #listeners = new Map<string, Listener[]>();

  on(event: string, listener: Listener): this {
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), listener]);
    return this;
  }

  emit(event: string, ...args: unknown[]): this {
    this.emitted.push([event, ...args.filter((a) => typeof a !== 'function')]);
    const ack = args.find((a) => typeof a === 'function') as ((res: unknown) => void) | undefined;
    ack?.(this.ackReply);
    return this;
  }

  fire(event: string, ...args: unknown[]): void {
    if (event === 'connect') this.connected = true;
    if (event === 'disconnect') this.connected = false;
    for (const listener of this.#listeners.get(event) ?? []) (listener as (...a: unknown[]) => void)(...args);
  }
}

function snapshot(site: string, at: number, totalW: number): LiveSnapshot {
  return {
    site, name: site, at,
    power_w: { total: totalW, by_category: { desk: totalW, lighting: 0, heating: 0, hvac: 0, common: 0, unmetered: 0 }, by_carrier: {} },
    desks: { total: 24, occupied: 3, checked_in: 4 }, people_present: 4, zones: [], desk_states: [],
    devices: { total: 10, online: 10, offline: 0, silent: 0 }, today: null,
  };
}

describe('LiveConnection', () => {
  it('subscribes on connect, goes live on the first snapshot and feeds the followed site', () => {
    const channel = new FakeChannel();
    const connection = new LiveConnection(channel);
    const site = new LiveSite('demo');
    connection.follow(site);
    expect(connection.state).toBe('connecting');

    channel.fire('connect');
    expect(channel.emitted).toEqual([['subscribe', 'demo']]);
    expect(connection.state).toBe('waiting');

    channel.fire('live', snapshot('demo', 1_000, 7_250));
    expect(connection.state).toBe('live');
    expect(site.snapshot?.power_w.total).toBe(7_250);

    channel.fire('live', snapshot('other', 2_000, 1));
    expect(site.snapshot?.power_w.total).toBe(7_250);
  });

  it('shows reconnecting after a drop and subscribes again once back', () => {
    const channel = new FakeChannel();
    const connection = new LiveConnection(channel);
    connection.follow(new LiveSite('demo'));
    channel.fire('connect');
    channel.fire('live', snapshot('demo', 1_000, 7_000));

    channel.fire('disconnect', 'transport close');
    expect(connection.state).toBe('reconnecting');
    channel.fire('connect_error', new Error('ECONNREFUSED'));
    expect(connection.state).toBe('reconnecting');

    channel.fire('connect');
    expect(channel.emitted.filter(([e]) => e === 'subscribe')).toHaveLength(2);
    channel.fire('live', snapshot('demo', 5_000, 7_100));
    expect(connection.state).toBe('live');
  });

  it('marks the feed as waiting when snapshots stop for more than three seconds', () => {
    let now = 10_000;
    const channel = new FakeChannel();
    const connection = new LiveConnection(channel, { now: () => now });
    connection.follow(new LiveSite('demo'));
    channel.fire('connect');
    channel.fire('live', snapshot('demo', 1_000, 7_000));

    now += 2_500;
    connection.tick();
    expect(connection.state).toBe('live');
    now += 1_000;
    connection.tick();
    expect(connection.state).toBe('waiting');
  });

  it('reports a refused subscription with the server reason', () => {
    const channel = new FakeChannel();
    channel.ackReply = { ok: false, error: 'unknown site "ghost"' };
    const connection = new LiveConnection(channel);
    connection.follow(new LiveSite('ghost'));
    channel.fire('connect');
    expect(connection.state).toBe('refused');
    expect(connection.refusal).toBe('unknown site "ghost"');
  });

  it('unsubscribes from the old site when switching', () => {
    const channel = new FakeChannel();
    const connection = new LiveConnection(channel);
    channel.fire('connect');
    const stop = connection.follow(new LiveSite('demo'));
    stop();
    connection.follow(new LiveSite('annex'));
    expect(channel.emitted).toEqual([['subscribe', 'demo'], ['unsubscribe', 'demo'], ['subscribe', 'annex']]);
  });
});
