/**
 * Message sources: where ingest gets MQTT messages. In the one-process default it takes
 * them from the embedded aedes in process (no TCP hop to itself); against an external
 * broker it subscribes with MQTT.js. The pipeline sees one interface and cannot tell.
 */
import type { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';

export interface InboundMessage {
  topic: string;
  payload: Buffer;
  /** Epoch ms when deskprint received it. */
  receivedAt: number;
}

export interface MessageSource {
  readonly kind: 'embedded' | 'mqtt';
  /** Subscribes to the filters and delivers every message to `onMessage`. */
  start(filters: readonly string[], onMessage: (msg: InboundMessage) => void): Promise<void>;
  publish(topic: string, payload: string | Buffer, opts?: { retain?: boolean; qos?: 0 | 1 }): Promise<void>;
  stop(): Promise<void>;
}

export class AedesSource implements MessageSource {
  readonly kind = 'embedded';
  #aedes: Aedes;
  #subs: { filter: string; fn: (packet: { topic: string; payload: Buffer | string }, cb: () => void) => void }[] = [];

  constructor(aedes: Aedes) {
    this.#aedes = aedes;
  }

  async start(filters: readonly string[], onMessage: (msg: InboundMessage) => void): Promise<void> {
    for (const filter of filters) {
      const fn = (packet: { topic: string; payload: Buffer | string }, cb: () => void) => {
        const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
        onMessage({ topic: packet.topic, payload, receivedAt: Date.now() });
        cb();
      };
      this.#subs.push({ filter, fn });
      await new Promise<void>((resolve) => this.#aedes.subscribe(filter, fn as never, resolve));
    }
  }

  publish(topic: string, payload: string | Buffer, opts: { retain?: boolean; qos?: 0 | 1 } = {}): Promise<void> {
    return new Promise((resolve, reject) =>
      this.#aedes.publish(
        { cmd: 'publish', topic, payload: typeof payload === 'string' ? Buffer.from(payload) : payload, qos: opts.qos ?? 0, retain: opts.retain ?? false, dup: false },
        (err) => (err ? reject(err) : resolve()),
      ),
    );
  }

  async stop(): Promise<void> {
    for (const { filter, fn } of this.#subs.splice(0)) {
      await new Promise<void>((resolve) => this.#aedes.unsubscribe(filter, fn as never, resolve));
    }
  }
}

export interface MqttSourceOptions {
  url: string;
  username?: string;
  password?: string;
  clientId?: string;
  qos?: 0 | 1;
}

export class MqttSource implements MessageSource {
  readonly kind = 'mqtt';
  #client: MqttClient | undefined;
  #opts: MqttSourceOptions;

  constructor(opts: MqttSourceOptions) {
    this.#opts = opts;
  }

  async start(filters: readonly string[], onMessage: (msg: InboundMessage) => void): Promise<void> {
    const client = await mqtt.connectAsync(this.#opts.url, {
      clientId: this.#opts.clientId ?? `deskprint-ingest-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
      ...(this.#opts.username ? { username: this.#opts.username } : {}),
      ...(this.#opts.password ? { password: this.#opts.password } : {}),
      // A persistent session keeps QoS 1 messages queued at the broker across reconnects.
      clean: false,
      reconnectPeriod: 1000,
    });
    this.#client = client;
    client.on('message', (topic, payload) => onMessage({ topic, payload, receivedAt: Date.now() }));
    await client.subscribeAsync(filters as string[], { qos: this.#opts.qos ?? 1 });
  }

  async publish(topic: string, payload: string | Buffer, opts: { retain?: boolean; qos?: 0 | 1 } = {}): Promise<void> {
    if (!this.#client) throw new Error('MQTT source not started');
    await this.#client.publishAsync(topic, payload, { qos: opts.qos ?? 0, retain: opts.retain ?? false });
  }

  async stop(): Promise<void> {
    await this.#client?.endAsync();
    this.#client = undefined;
  }
}
