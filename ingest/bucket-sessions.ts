/**
 * Past one machine, ingest takes its messages bucket by bucket (DESIGN "Scaling past one
 * machine"): each bucket this process owns has an MQTT persistent session of its own (QoS 1,
 * clean=false, client id `<prefix>-b<bucket>`) subscribed to its sites' topics
 * (`deskprint/<site>/#`, native devices and gateways bridged under the site). While no
 * process owns a bucket the broker queues its sites' messages; the next owner resumes the
 * session under the same id, and the broker's client-id takeover makes sure only one
 * connection holds it. Derived topics go out over a connection of their own.
 *
 * One session per bucket is also what lets QoS 1 go faster than one store round trip per
 * message: each session holds one message at a time until it is durable (sources.ts), and
 * the buckets' sessions do so side by side.
 */
import { topics } from '../devices/topics.ts';
import { MqttSource, type MessageHandler, type MessageSource } from './sources.ts';

export interface BucketSessionsOptions {
  url: string;
  username?: string;
  password?: string;
  /** The sessions' client ids are `<prefix>-b<bucket>` (`DESKPRINT_MQTT_CLIENT_ID`). */
  clientIdPrefix: string;
}

/** The persistent session's client id of a bucket. */
export function bucketClientId(prefix: string, bucket: number): string {
  return `${prefix}-b${String(bucket).padStart(3, '0')}`;
}

export class BucketSessions implements MessageSource {
  readonly kind = 'mqtt';
  readonly #opts: BucketSessionsOptions;
  readonly #sessions = new Map<number, MqttSource>();
  #publisher: MqttSource | undefined;
  #onMessage: MessageHandler | undefined;

  constructor(opts: BucketSessionsOptions) {
    this.#opts = opts;
  }

  #credentials() {
    return { url: this.#opts.url, ...(this.#opts.username ? { username: this.#opts.username } : {}), ...(this.#opts.password ? { password: this.#opts.password } : {}) };
  }

  /** Connects the publishing connection; the buckets' sessions open as buckets are acquired. */
  async start(_filters: readonly string[], onMessage: MessageHandler): Promise<void> {
    this.#onMessage = onMessage;
    const publisher = new MqttSource(this.#credentials());
    await publisher.start([], () => {});
    this.#publisher = publisher;
  }

  /**
   * Resumes a bucket's session and subscribes to its sites. `fence` says whether the bucket's
   * lease is still ours; the session neither reconnects nor acknowledges once it is not.
   */
  async open(bucket: number, sites: readonly string[], fence: () => boolean): Promise<void> {
    if (!this.#onMessage) throw new Error('bucket sessions not started');
    if (this.#sessions.has(bucket)) return;
    const session = new MqttSource({ ...this.#credentials(), clientId: bucketClientId(this.#opts.clientIdPrefix, bucket), qos: 1, fence });
    this.#sessions.set(bucket, session);
    try {
      await session.start(sites.map((site) => `${topics.siteRoot(site)}/#`), this.#onMessage);
    } catch (err) {
      this.#sessions.delete(bucket);
      await session.stop(true).catch(() => {});
      throw err;
    }
  }

  /** Disconnects a bucket's session, which the broker keeps for its next owner. */
  async close(bucket: number, abrupt = false): Promise<void> {
    const session = this.#sessions.get(bucket);
    if (!session) return;
    this.#sessions.delete(bucket);
    await session.stop(abrupt);
  }

  /** The buckets with an open session. */
  sessions(): number[] {
    return [...this.#sessions.keys()];
  }

  publish(topic: string, payload: string | Buffer, opts?: { retain?: boolean; qos?: 0 | 1 }): Promise<void> {
    if (!this.#publisher) return Promise.reject(new Error('bucket sessions not started'));
    return this.#publisher.publish(topic, payload, opts);
  }

  async stop(): Promise<void> {
    for (const bucket of [...this.#sessions.keys()]) await this.close(bucket);
    await this.#publisher?.stop();
    this.#publisher = undefined;
  }
}
