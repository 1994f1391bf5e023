/** Topic-filter logic behind the broker ACL, and the transport packet-size bound. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { filterWithin, topicMatches } from '../../../broker/auth.ts';
import { limitPacketSize } from '../../../broker/frame-limit.ts';

describe('topicMatches (MQTT 3.1.1 §4.7)', () => {
  it.each([
    ['zigbee2mqtt/lamp', 'zigbee2mqtt/#', true],
    ['zigbee2mqtt', 'zigbee2mqtt/#', true],
    ['zigbee2mqtt/lamp/set', 'zigbee2mqtt/+/set', true],
    ['zigbee2mqtt/lamp/get', 'zigbee2mqtt/+/set', false],
    ['shellies/x/relay/0', 'zigbee2mqtt/#', false],
    ['$SYS/broker', '#', false],
    ['$SYS/broker', '+/broker', false],
    ['a/b', 'a/b/c', false],
  ])('%s against %s → %s', (topic, filter, want) => {
    expect(topicMatches(topic, filter)).toBe(want);
  });
});

describe('filterWithin: may a scoped client subscribe to this filter?', () => {
  it.each([
    ['zigbee2mqtt/+/set', 'zigbee2mqtt/#', true],
    ['zigbee2mqtt/#', 'zigbee2mqtt/#', true],
    ['zigbee2mqtt', 'zigbee2mqtt/#', true],
    ['#', 'zigbee2mqtt/#', false],
    ['+/lamp', 'zigbee2mqtt/#', false],
    ['deskprint/_derived/+/rejected', 'deskprint/_derived/#', true],
    ['deskprint/+/+/telemetry', 'deskprint/_derived/#', false],
    ['deskprint/#', 'deskprint/_derived/#', false],
    ['tele/plug1/SENSOR', 'tele/+/SENSOR', true],
    ['tele/#', 'tele/+/SENSOR', false],
    ['tele/+/SENSOR/x', 'tele/+/SENSOR', false],
  ])('%s within %s → %s', (filter, scope, want) => {
    expect(filterWithin(filter, scope)).toBe(want);
  });
});

describe('limitPacketSize', () => {
  /** A PUBLISH fixed header announcing `remaining` bytes (variable byte integer). */
  function header(remaining: number): Buffer {
    const bytes = [0x30];
    do {
      let b = remaining % 128;
      remaining = Math.floor(remaining / 128);
      if (remaining > 0) b |= 0x80;
      bytes.push(b);
    } while (remaining > 0);
    return Buffer.from(bytes);
  }

  function watched(max: number) {
    const conn = new PassThrough();
    conn.on('readable', () => {
      while (conn.read() !== null);
    });
    const exceeded: number[] = [];
    limitPacketSize(conn, max, (n) => exceeded.push(n));
    conn.on('error', () => {});
    return { conn, exceeded };
  }

  it('passes packets up to the limit, split across chunks', async () => {
    const { conn, exceeded } = watched(1000);
    const packet = Buffer.concat([header(1000), Buffer.alloc(1000, 1)]);
    const twice = Buffer.concat([packet, packet]);
    conn.write(twice.subarray(0, 1)); // the header byte alone
    conn.write(twice.subarray(1, 700));
    conn.write(twice.subarray(700));
    await new Promise((r) => setImmediate(r));
    expect(exceeded).toEqual([]);
    expect(conn.destroyed).toBe(false);
  });

  it('destroys the connection when a packet announces more than the limit, before its body arrives', async () => {
    const { conn, exceeded } = watched(1000);
    conn.write(Buffer.concat([header(10), Buffer.alloc(10), header(3 * 1024 * 1024)]));
    await new Promise((r) => setImmediate(r));
    expect(exceeded).toEqual([3 * 1024 * 1024]);
    expect(conn.destroyed).toBe(true);
  });
});
