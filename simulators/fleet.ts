/**
 * Simulated devices on a real broker: one MQTT client per device, each with a last will
 * (`offline`, retained, QoS 1) on its status topic and a retained `online` on every connect,
 * like real firmware (Tasmota, Shelly and ESPHome all announce availability this way).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { topics } from '../devices/topics.ts';
import type { SimMessage } from './building.ts';

/** Where simulated messages go: a device fleet on a broker, or a capture in tests. */
export interface PublishSink {
  publish(msg: SimMessage): void | Promise<void>;
  close?(): Promise<void>;
}

export interface FleetOptions {
  url: string;
  site: string;
  devices: readonly string[];
  /** Clients connected in parallel per batch. */
  batchSize?: number;
  /** Prefix of MQTT client ids; ids must be unique on the broker. */
  clientIdPrefix?: string;
  username?: (device: string) => string | undefined;
  password?: (device: string) => string | undefined;
  connectTimeoutMs?: number;
  /**
   * Most messages per second per client, with a burst allowance: deskprint's embedded broker
   * disconnects a client that exceeds its rate (DESKPRINT_MQTT_RATE_LIMIT, default 10/s,
   * burst 100). Unlimited when absent.
   */
  rateLimit?: { perSecond: number; burst: number };
  log?: (msg: string) => void;
}

/** A token bucket per client; publishes wait for a token in order. */
class ClientPacer {
  private tokens: number;
  private last = performance.now();
  private queue: Promise<void> = Promise.resolve();
  constructor(private readonly limit: { perSecond: number; burst: number }) {
    this.tokens = limit.burst;
  }
  /** Runs `send` once a token is free, after every earlier send of this client. */
  schedule(send: () => Promise<void> | void): Promise<void> {
    const next = this.queue.then(async () => {
      for (;;) {
        const now = performance.now();
        this.tokens = Math.min(this.limit.burst, this.tokens + ((now - this.last) / 1000) * this.limit.perSecond);
        this.last = now;
        if (this.tokens >= 1) break;
        await new Promise((r) => setTimeout(r, Math.ceil(((1 - this.tokens) / this.limit.perSecond) * 1000)));
      }
      this.tokens -= 1;
      await send();
    });
    this.queue = next.catch(() => undefined);
    return next;
  }
}

export class DeviceFleet implements PublishSink {
  private published_ = 0;
  private closed = false;

  private readonly pacers = new Map<string, ClientPacer>();

  private constructor(
    private readonly site: string,
    private readonly clients: Map<string, MqttClient>,
    private readonly rateLimit: FleetOptions['rateLimit'],
  ) {}

  /** Messages handed to the clients so far (status announcements excluded). */
  get published(): number {
    return this.published_;
  }

  static async connect(opts: FleetOptions): Promise<DeviceFleet> {
    const batchSize = opts.batchSize ?? 25;
    const prefix = opts.clientIdPrefix ?? 'deskprint-sim';
    const clients = new Map<string, MqttClient>();
    const fleet = new DeviceFleet(opts.site, clients, opts.rateLimit);
    try {
      for (let i = 0; i < opts.devices.length; i += batchSize) {
        const batch = opts.devices.slice(i, i + batchSize);
        await Promise.all(
          batch.map(async (device) => {
            const client = await connectDevice(opts, device, `${prefix}-${opts.site}-${device}`);
            clients.set(device, client);
          }),
        );
      }
    } catch (err) {
      await fleet.close();
      throw err;
    }
    opts.log?.(`simulator: ${clients.size} device clients connected to ${opts.url}`);
    return fleet;
  }

  publish(msg: SimMessage): Promise<void> | void {
    const client = this.clients.get(msg.device);
    if (!client || this.closed) return;
    this.published_++;
    if (this.rateLimit && this.rateLimit.perSecond > 0) {
      let pacer = this.pacers.get(msg.device);
      if (!pacer) {
        pacer = new ClientPacer(this.rateLimit);
        this.pacers.set(msg.device, pacer);
      }
      return pacer.schedule(() => this.send(client, msg));
    }
    return this.send(client, msg);
  }

  private send(client: MqttClient, msg: SimMessage): Promise<void> | void {
    if (this.closed) return;
    // Resolves when written (QoS 0; after a 'drain' if the socket's buffer is full, which is
    // the backpressure a max-speed run waits on) or acknowledged (QoS 1).
    return client.publishAsync(msg.topic, msg.payload, { qos: msg.qos, retain: msg.retain }).then(
      () => undefined,
      () => undefined, // outstanding at shutdown; the broker never took it
    );
  }

  /** Announces every device offline (retained) and disconnects cleanly. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      [...this.clients].map(async ([device, client]) => {
        try {
          if (client.connected) await withTimeout(client.publishAsync(topics.status(this.site, device), 'offline', { qos: 1, retain: true }), 2_000);
        } catch {
          // Broker already gone: its last will does the same job.
        }
        // A clean DISCONNECT, so the broker discards the last will; forced only if that hangs.
        const ended = await withTimeout(client.endAsync(false).then(() => true), 2_000).catch(() => undefined);
        if (!ended) await client.endAsync(true).catch(() => undefined);
      }),
    );
  }
}

function connectDevice(opts: FleetOptions, device: string, clientId: string): Promise<MqttClient> {
  const status = topics.status(opts.site, device);
  const username = opts.username?.(device);
  const password = opts.password?.(device);
  const client = mqtt.connect(opts.url, {
    clientId,
    clean: true,
    reconnectPeriod: 1_000,
    connectTimeout: opts.connectTimeoutMs ?? 10_000,
    will: { topic: status, payload: Buffer.from('offline'), qos: 1, retain: true },
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
  });
  // Every (re)connect announces the device, as firmware does after a reboot or network loss.
  client.on('connect', () => {
    client.publish(status, 'online', { qos: 1, retain: true });
  });
  const timeoutMs = opts.connectTimeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => onError(new Error(`no CONNACK within ${timeoutMs} ms`)), timeoutMs);
    const onError = (err: Error) => {
      clearTimeout(timer);
      client.removeListener('connect', onConnect);
      client.removeListener('error', onError);
      client.end(true);
      reject(new Error(`device ${device}: cannot connect to ${opts.url}: ${err.message}`));
    };
    const onConnect = () => {
      clearTimeout(timer);
      client.removeListener('error', onError);
      // Later errors (broker restarts) are handled by reconnecting; keep them from crashing the process.
      client.on('error', (err) => opts.log?.(`simulator: device ${device}: ${err.message}`));
      resolve(client);
    };
    client.once('connect', onConnect);
    client.once('error', onError);
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
