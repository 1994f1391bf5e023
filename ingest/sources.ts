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
  /** The site a webhook authenticated the sender for: devices of other sites are not accepted from it. */
  site?: string;
}

/**
 * Receives one message. A returned promise is the message's durability: the source
 * acknowledges a QoS 1 message to its sender (PUBACK) only once it resolves, and never when
 * it does not (the sender keeps the message and sends it again). Undefined: nothing to wait
 * for. QoS 0 is best effort: nothing is acknowledged, and the promise is only back-pressure.
 */
export type MessageHandler = (msg: InboundMessage) => void | Promise<void>;

export interface MessageSource {
  readonly kind: 'embedded' | 'mqtt';
  /** Subscribes to the filters and delivers every message to `onMessage`. */
  start(filters: readonly string[], onMessage: MessageHandler): Promise<void>;
  publish(topic: string, payload: string | Buffer, opts?: { retain?: boolean; qos?: 0 | 1 }): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Longest stretch of back-to-back deliveries before a source lets the event loop turn.
 * Brokers parse everything a socket has buffered in one go: under load that was a second
 * or more of ingest work in one task (bench/RESULTS.md), with timers, the store writer,
 * HTTP and socket.io waiting behind it.
 */
export const DELIVERY_SLICE_MS = 10;

/** Tells when the current run of deliveries has used its slice of the event loop. */
class DeliverySlice {
  #start = -1;

  spent(): boolean {
    const t = performance.now();
    if (this.#start < 0) {
      this.#start = t;
      // One reset per event-loop turn that had deliveries, not per message.
      setImmediate(() => (this.#start = -1));
      return false;
    }
    return t - this.#start > DELIVERY_SLICE_MS;
  }
}

/** Calls `resume` once the handler's hold settles, or on the next turn when the slice is spent. */
function afterDelivery(hold: void | Promise<void>, slice: DeliverySlice, resume: () => void): void {
  if (hold) void hold.then(resume, resume);
  else if (slice.spent()) setImmediate(resume);
  else resume();
}

/**
 * What AedesSource needs of the embedded broker (broker/index.ts EmbeddedBroker): aedes
 * itself, and the hook that hands it clients' publishes before they are acknowledged.
 */
export interface EmbeddedIngress {
  readonly aedes: Aedes;
  ingress(filters: readonly string[], handler: ((packet: { topic: string; payload: Buffer; qos: number }) => Promise<void> | void) | null): void;
  tookByIngress(payload: Buffer): boolean;
}

export class AedesSource implements MessageSource {
  readonly kind = 'embedded';
  #broker: EmbeddedIngress;
  #aedes: Aedes;
  #subs: { filter: string; fn: (packet: { topic: string; payload: Buffer | string }, cb: () => void) => void }[] = [];

  constructor(broker: EmbeddedIngress) {
    this.#broker = broker;
    this.#aedes = broker.aedes;
  }

  async start(filters: readonly string[], onMessage: MessageHandler): Promise<void> {
    // Clients' publishes: taken before aedes acknowledges them, acknowledged once durable
    // (EmbeddedBroker.ingress).
    this.#broker.ingress(filters, (packet) => onMessage({ topic: packet.topic, payload: packet.payload, receivedAt: Date.now() }));
    // What reaches subscribers without a client's publish: last wills (a device's retained
    // `offline`), published by aedes itself. Nothing to acknowledge there.
    for (const filter of filters) {
      const fn = (packet: { topic: string; payload: Buffer | string }, cb: () => void) => {
        const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
        if (!this.#broker.tookByIngress(payload)) void onMessage({ topic: packet.topic, payload, receivedAt: Date.now() });
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
    this.#broker.ingress([], null);
    for (const { filter, fn } of this.#subs.splice(0)) {
      await new Promise<void>((resolve) => this.#aedes.unsubscribe(filter, fn as never, resolve));
    }
  }
}

export interface MqttSourceOptions {
  url: string;
  username?: string;
  password?: string;
  /**
   * The session's client id. Ingest keeps one persistent session (clean=false) under a fixed
   * id, so the broker queues what arrives while it is away and hands it to the next start;
   * without an id (a follower) the session is a throwaway one.
   */
  clientId?: string;
  qos?: 0 | 1;
  /**
   * Whether this process may still hold the session (past one machine: its bucket's lease is
   * still ours, ingest/ownership.ts). Checked on every (re)connection and before every
   * acknowledgement: a process that lost its lease neither takes the session back from the
   * new owner nor acknowledges what it did not store.
   */
  fence?: () => boolean;
}

/** QoS 0 messages on their way to the store beyond which MqttSource reads nothing further. */
const QOS0_HIGH_WATER = 20_000;

export class MqttSource implements MessageSource {
  readonly kind = 'mqtt';
  #client: MqttClient | undefined;
  #opts: MqttSourceOptions;

  constructor(opts: MqttSourceOptions) {
    this.#opts = opts;
  }

  async start(filters: readonly string[], onMessage: MessageHandler): Promise<void> {
    const client = mqtt.connect(this.#opts.url, {
      clientId: this.#opts.clientId ?? `deskprint-follower-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
      ...(this.#opts.username ? { username: this.#opts.username } : {}),
      ...(this.#opts.password ? { password: this.#opts.password } : {}),
      // A persistent session keeps QoS 1 messages queued at the broker across reconnects and
      // restarts; it is only worth keeping under an id the next start uses again.
      clean: this.#opts.clientId === undefined,
      // A fenced session reconnects only while its lease holds (below): MQTT.js's own timer
      // would take the session back from its new owner.
      reconnectPeriod: this.#opts.fence ? 0 : 1000,
      // MQTT.js logs every packet through `debug`, which costs even when off (4 % of ingest's
      // CPU at 100,000 messages/s, bench/RESULTS.md); DEBUG=mqttjs* still turns it on.
      ...(/mqttjs/.test(process.env.DEBUG ?? '') ? {} : { log: () => {} }),
    });
    this.#client = client;
    // MQTT.js emits 'message', then calls handleMessage, whose callback sends the PUBACK (QoS 1)
    // and lets it parse the next packet: its documented hook. Called back once the message is
    // durable, so the external broker keeps (and redelivers to this persistent session)
    // whatever was not stored. One message at a time per connection is the price (bench/RESULTS.md).
    // Both are in place before the connection opens: a resumed session's queued messages
    // arrive right after CONNACK, and MQTT.js's default handleMessage would acknowledge them
    // unstored.
    const slice = new DeliverySlice();
    let hold: void | Promise<void>;
    // QoS 0 has no acknowledgement to hold: those messages wait only while too many are
    // still on their way to the store (bounded memory), not one by one.
    let unsettled = 0;
    client.on('message', (topic, payload, packet) => {
      const durable = onMessage({ topic, payload, receivedAt: Date.now() });
      if (packet.qos > 0 || !durable) hold = durable;
      else {
        unsettled++;
        const settle = () => void unsettled--;
        void durable.then(settle, settle);
        hold = unsettled > QOS0_HIGH_WATER ? durable : undefined;
      }
    });
    const fence = this.#opts.fence;
    client.handleMessage = (_packet, done) => {
      const h = hold;
      hold = undefined;
      afterDelivery(h, slice, () => {
        if (fence && !fence()) {
          // Unacknowledged: the broker hands it to the session's next owner.
          void client.endAsync(true);
          return;
        }
        done();
      });
    };
    if (fence) {
      client.on('close', () => {
        const retry = setTimeout(() => {
          if (this.#client === client && fence() && !client.connected && !client.disconnecting) client.reconnect();
        }, 1000);
        retry.unref();
      });
    }
    await new Promise<void>((resolve, reject) => {
      const fail = (err: Error) => {
        client.off('connect', ok);
        void client.endAsync(true);
        reject(err);
      };
      const ok = () => {
        client.off('error', fail);
        resolve();
      };
      client.once('connect', ok);
      client.once('error', fail);
    });
    if (filters.length) await client.subscribeAsync(filters as string[], { qos: this.#opts.qos ?? 1 });
  }

  async publish(topic: string, payload: string | Buffer, opts: { retain?: boolean; qos?: 0 | 1 } = {}): Promise<void> {
    if (!this.#client) throw new Error('MQTT source not started');
    await this.#client.publishAsync(topic, payload, { qos: opts.qos ?? 0, retain: opts.retain ?? false });
  }

  /**
   * Disconnects, keeping a persistent session at the broker (it queues what arrives until
   * the session's next owner connects). `abrupt`: at once, without waiting for what is in
   * flight (a lost lease).
   */
  async stop(abrupt = false): Promise<void> {
    await this.#client?.endAsync(abrupt);
    this.#client = undefined;
  }
}
