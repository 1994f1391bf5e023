/**
 * The benchmarks' load generator: many plain MQTT 3.1.1 connections over TCP, each speaking
 * for some devices, one PUBLISH carrying one device's readings
 * (`{"ts":…,"power_w":…,"energy_wh":…}`, the shape of simulators/load.ts).
 *
 * Why not MQTT.js (simulators/load.ts): on this 2-core machine the generator shares the CPU
 * with the system under test, and MQTT.js spends 6–17 µs per message where a hand-encoded
 * packet written in batches costs about 1 µs; and 10,000 MQTT.js clients would take more
 * memory than the broker they measure. The wire format is the standard one (MQTT 3.1.1
 * §3.1 CONNECT, §3.3 PUBLISH, §3.4 PUBACK, §3.12 PINGREQ, §3.14 DISCONNECT).
 *
 * Two ways to publish: at a target rate (paced in 2 ms ticks, round-robin over devices, so
 * each device publishes every devices/rate seconds: its cadence), or `rate: 'max'`,
 * as fast as the broker takes them (each connection writes until its socket pushes back,
 * or at QoS 1 until its window of unacknowledged messages is full).
 */
import net from 'node:net';
import { topics } from '../devices/topics.ts';

export interface LoadDevice {
  site: string;
  device: string;
}

export interface FleetOptions {
  host: string;
  port: number;
  username?: string;
  password?: string;
  devices: readonly LoadDevice[];
  /** Connections; devices are spread round-robin. Default: one per device. */
  connections?: number;
  clientIdPrefix?: string;
  /** Connections opened at once. */
  connectConcurrency?: number;
  /** Seconds; PINGREQ is sent on a quiet connection, as a device would. 0 disables. */
  keepaliveS?: number;
}

/** Packets per socket write at `rate: 'max'` unless `perWrite` says otherwise: a gateway's batch. */
export const DEFAULT_PER_WRITE = 32;

export interface PublishOptions {
  qos: 0 | 1;
  /** Messages per second across the fleet; `max`: as fast as the broker takes them. */
  rate: number | 'max';
  durationS: number;
  /** Stop after this many messages (with `max`: a fixed amount of work to time). */
  count?: number;
  /** QoS 1: unacknowledged messages per connection before it waits. */
  windowPerConnection?: number;
  /**
   * `max` only: packets per socket write (default DEFAULT_PER_WRITE, a gateway forwarding its devices'
   * messages; 1, a device writing each message on its own).
   */
  perWrite?: number;
}

export interface PublishResult {
  qos: 0 | 1;
  /** Messages written to sockets. */
  sent: number;
  /** QoS 1: PUBACKs received; QoS 0: equal to sent. */
  acked: number;
  /** Epoch ms of the first publish and of the last write (QoS 0) or acknowledgement (QoS 1). */
  startedAt: number;
  endedAt: number;
  /** sent (QoS 0) or acked (QoS 1) per second between startedAt and endedAt. */
  rate: number;
  /** Connections that closed before the end. */
  lost: number;
}

interface Conn {
  socket: net.Socket;
  devices: number[];
  next: number;
  inflight: number;
  nextId: number;
  lastWrite: number;
  closed: boolean;
  paused: boolean;
  rx: Buffer;
}

/** Encodes an MQTT remaining length (§2.2.3). */
function remainingLength(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

function utf8Field(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const out = Buffer.allocUnsafe(2 + b.length);
  out.writeUInt16BE(b.length, 0);
  b.copy(out, 2);
  return out;
}

export function encodeConnect(clientId: string, opts: { username?: string; password?: string; keepaliveS?: number; clean?: boolean }): Buffer {
  let flags = opts.clean === false ? 0 : 0x02;
  const payload = [utf8Field(clientId)];
  if (opts.username !== undefined) {
    flags |= 0x80;
    payload.push(utf8Field(opts.username));
  }
  if (opts.password !== undefined) {
    flags |= 0x40;
    payload.push(utf8Field(opts.password));
  }
  const keepalive = opts.keepaliveS ?? 0;
  const variable = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, flags, keepalive >> 8, keepalive & 0xff]);
  const body = Buffer.concat([variable, ...payload]);
  return Buffer.concat([Buffer.from([0x10, ...remainingLength(body.length)]), body]);
}

/** PUBLISH with a precomputed topic field (length + bytes). */
export function encodePublish(topicField: Buffer, payload: string, qos: 0 | 1, packetId: number): Buffer {
  const payloadLen = Buffer.byteLength(payload);
  const len = topicField.length + (qos ? 2 : 0) + payloadLen;
  const rl = remainingLength(len);
  const out = Buffer.allocUnsafe(1 + rl.length + len);
  let o = 0;
  out[o++] = 0x30 | (qos << 1);
  for (const b of rl) out[o++] = b;
  o += topicField.copy(out, o);
  if (qos) {
    out.writeUInt16BE(packetId, o);
    o += 2;
  }
  out.write(payload, o, 'utf8');
  return out;
}

const PINGREQ = Buffer.from([0xc0, 0]);
const DISCONNECT = Buffer.from([0xe0, 0]);

/** A connected fleet of load connections. */
export class LoadFleet {
  readonly devices: readonly LoadDevice[];
  #conns: Conn[] = [];
  #topicFields: Buffer[];
  #counters: Float64Array;
  #acked = 0;
  #onAck: (() => void) | undefined;
  #pinger: NodeJS.Timeout | undefined;
  #lost = 0;
  #opening = new Set<net.Socket>();

  private constructor(devices: readonly LoadDevice[]) {
    this.devices = devices;
    this.#topicFields = devices.map((d) => utf8Field(topics.telemetry(d.site, d.device)));
    // Cumulative energy counters start somewhere plausible and only rise.
    this.#counters = Float64Array.from(devices, (_, i) => 1_000 + (i % 997) * 13.7);
  }

  get connections(): number {
    return this.#conns.length;
  }

  /** Opens every connection and waits for each CONNACK; throws on a refusal. */
  static async connect(opts: FleetOptions): Promise<LoadFleet> {
    const fleet = new LoadFleet(opts.devices);
    const n = Math.max(1, Math.min(opts.connections ?? opts.devices.length, opts.devices.length));
    const groups: number[][] = Array.from({ length: n }, () => []);
    opts.devices.forEach((_, i) => groups[i % n]!.push(i));
    const prefix = opts.clientIdPrefix ?? `bench-${process.pid}`;
    const concurrency = opts.connectConcurrency ?? 200;
    try {
      for (let i = 0; i < n; i += concurrency) {
        await Promise.all(groups.slice(i, i + concurrency).map((devices, k) => fleet.#open(opts, `${prefix}-${i + k}`, devices)));
      }
    } catch (err) {
      // Connected ones are in #conns (close() ends them); the rest are still waiting for a CONNACK.
      for (const socket of fleet.#opening) socket.destroy();
      await fleet.close();
      throw err;
    }
    const keepalive = opts.keepaliveS ?? 0;
    if (keepalive > 0) {
      fleet.#pinger = setInterval(() => {
        const quiet = Date.now() - keepalive * 750;
        for (const c of fleet.#conns) if (!c.closed && c.lastWrite < quiet) fleet.#write(c, PINGREQ);
      }, 1_000);
      fleet.#pinger.unref();
    }
    return fleet;
  }

  #open(opts: FleetOptions, clientId: string, devices: number[]): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: opts.host, port: opts.port, noDelay: true });
      this.#opening.add(socket);
      const timeout = setTimeout(() => {
        fail(new Error('no CONNACK within 10 s'));
        socket.destroy();
      }, 10_000);
      const conn: Conn = { socket, devices, next: 0, inflight: 0, nextId: 1, lastWrite: Date.now(), closed: false, paused: false, rx: Buffer.alloc(0) };
      let connected = false;
      const fail = (err: Error) => {
        clearTimeout(timeout);
        this.#opening.delete(socket);
        conn.closed = true;
        if (!connected) reject(new Error(`load connection ${clientId}: ${err.message}`));
      };
      socket.on('error', fail);
      socket.on('close', () => {
        if (connected && !conn.closed) this.#lost++;
        if (!connected) fail(new Error('closed before CONNACK'));
        conn.closed = true;
      });
      socket.on('data', (chunk: Buffer) => {
        conn.rx = conn.rx.length ? Buffer.concat([conn.rx, chunk]) : chunk;
        let o = 0;
        while (conn.rx.length - o >= 2) {
          // Remaining length (§2.2.3), up to 4 bytes.
          let len = 0;
          let mul = 1;
          let i = o + 1;
          let complete = false;
          while (i < conn.rx.length && i < o + 5) {
            const b = conn.rx[i++]!;
            len += (b & 0x7f) * mul;
            mul *= 128;
            if ((b & 0x80) === 0) {
              complete = true;
              break;
            }
          }
          if (!complete || conn.rx.length < i + len) break;
          const type = conn.rx[o]! >> 4;
          if (type === 2) {
            const rc = conn.rx[i + 1]!;
            if (rc !== 0) {
              fail(new Error(`CONNACK return code ${rc}`));
              socket.destroy();
              return;
            }
            connected = true;
            clearTimeout(timeout);
            this.#opening.delete(socket);
            this.#conns.push(conn);
            resolve(conn);
          } else if (type === 4) {
            conn.inflight--;
            this.#acked++;
            this.#onAck?.();
          }
          o = i + len;
        }
        conn.rx = o === conn.rx.length ? Buffer.alloc(0) : conn.rx.subarray(o);
      });
      socket.on('drain', () => {
        conn.paused = false;
      });
      socket.write(encodeConnect(clientId, { ...(opts.username !== undefined ? { username: opts.username } : {}), ...(opts.password !== undefined ? { password: opts.password } : {}), keepaliveS: opts.keepaliveS ?? 0 }));
    });
  }

  #write(c: Conn, buf: Buffer): void {
    c.lastWrite = Date.now();
    if (!c.socket.write(buf)) c.paused = true;
  }

  /** The next message of a connection, round-robin over its devices. */
  #message(c: Conn, qos: 0 | 1): Buffer {
    const d = c.devices[c.next]!;
    c.next = (c.next + 1) % c.devices.length;
    // A desk between 30 and 70 W; the counter advances by 30 s at that power (the plug's cadence).
    const powerW = 30 + ((d * 7919 + this.#counters[d]!) % 40);
    this.#counters[d]! += powerW / 120;
    const payload = `{"ts":${Date.now()},"power_w":${powerW.toFixed(1)},"energy_wh":${this.#counters[d]!.toFixed(2)}}`;
    let id = 0;
    if (qos) {
      id = c.nextId;
      c.nextId = c.nextId === 65_535 ? 1 : c.nextId + 1;
      c.inflight++;
    }
    return encodePublish(this.#topicFields[d]!, payload, qos, id);
  }

  async publish(opts: PublishOptions): Promise<PublishResult> {
    const window = opts.windowPerConnection ?? 100;
    const startedAt = Date.now();
    const deadline = startedAt + opts.durationS * 1000;
    const ackedBefore = this.#acked;
    const limit = opts.count ?? Infinity;
    let sent = 0;
    let lastWriteAt = startedAt;
    const live = this.#conns.filter((c) => !c.closed);
    if (live.length === 0) throw new Error('load: no open connections');

    if (opts.rate === 'max') {
      // Each connection writes batches until its socket or its QoS 1 window pushes back.
      await new Promise<void>((resolve) => {
        const BATCH = Math.max(1, opts.perWrite ?? DEFAULT_PER_WRITE);
        const pump = () => {
          const t = Date.now();
          if (t >= deadline || sent >= limit) return resolve();
          let wrote = false;
          for (const c of live) {
            if (c.closed || c.paused) continue;
            const room = Math.min(opts.qos ? Math.min(BATCH, window - c.inflight) : BATCH, limit - sent);
            if (room <= 0) continue;
            const bufs: Buffer[] = [];
            for (let i = 0; i < room; i++) bufs.push(this.#message(c, opts.qos));
            this.#write(c, bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs));
            sent += room;
            wrote = true;
          }
          if (wrote) {
            lastWriteAt = Date.now();
            setImmediate(pump);
          } else setTimeout(pump, 1); // every connection is held back: do not spin
        };
        pump();
      });
    } else {
      const rate = opts.rate;
      await new Promise<void>((resolve) => {
        const perConn = new Map<Conn, Buffer[]>();
        let cursor = 0;
        const tick = () => {
          const t = Date.now();
          const due = Math.min(limit, Math.floor(((Math.min(t, deadline) - startedAt) / 1000) * rate)) - sent;
          for (let i = 0; i < due; i++) {
            const c = live[cursor]!;
            cursor = (cursor + 1) % live.length;
            if (c.closed || (opts.qos && c.inflight >= window)) continue;
            let bufs = perConn.get(c);
            if (!bufs) perConn.set(c, (bufs = []));
            bufs.push(this.#message(c, opts.qos));
            sent++;
          }
          for (const [c, bufs] of perConn) this.#write(c, bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs));
          if (perConn.size) lastWriteAt = Date.now();
          perConn.clear();
          if (t >= deadline || sent >= limit) return resolve();
          setTimeout(tick, 2);
        };
        tick();
      });
    }

    let endedAt = lastWriteAt;
    if (opts.qos) {
      // Wait (bounded) for the acknowledgements still outstanding.
      const until = Date.now() + 30_000;
      while (this.#acked - ackedBefore < sent && Date.now() < until && live.some((c) => !c.closed)) {
        await new Promise<void>((r) => {
          this.#onAck = () => {
            if (this.#acked - ackedBefore >= sent) r();
          };
          setTimeout(r, 50);
        });
      }
      this.#onAck = undefined;
      endedAt = Date.now();
    } else {
      // QoS 0 is done when the bytes left the process.
      const until = Date.now() + 30_000;
      while (live.some((c) => !c.closed && c.socket.writableLength > 0) && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
      endedAt = Date.now();
    }
    const acked = opts.qos ? this.#acked - ackedBefore : sent;
    return { qos: opts.qos, sent, acked, startedAt, endedAt, rate: acked / Math.max(0.001, (endedAt - startedAt) / 1000), lost: this.#lost };
  }

  async close(): Promise<void> {
    clearInterval(this.#pinger);
    await Promise.all(
      this.#conns.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.closed) return resolve();
            c.closed = true;
            c.socket.once('close', () => resolve());
            c.socket.end(DISCONNECT);
            setTimeout(() => {
              c.socket.destroy();
              resolve();
            }, 2_000).unref();
          }),
      ),
    );
    this.#conns = [];
  }
}
