/**
 * For `deskprint api` processes that run apart from ingest (DESIGN "Scaling past one
 * machine"): follows the derived state ingest publishes over MQTT — live snapshots, alerts
 * and device activity — and offers it through the same interfaces the in-process parts do,
 * so the API routes and socket.io cannot tell the difference.
 */
import { EventEmitter } from 'node:events';
import type { AlertsResponse, LiveSnapshot } from '../devices/api-types.ts';
import { topics } from '../devices/topics.ts';
import type { DeviceActivity } from './pipeline.ts';
import type { InboundMessage, MessageSource } from './sources.ts';

/** A device's activity as ingest publishes it, with its last battery reading. */
export type DeviceActivitySnapshot = DeviceActivity & { battery?: { value: number; ts: number } };

/** Device activity of one site, as ingest publishes it every few seconds. */
export type DevicesSnapshot = Record<string, DeviceActivitySnapshot>;

export class DerivedFollower extends EventEmitter {
  #live = new Map<string, LiveSnapshot>();
  #alerts = new Map<string, AlertsResponse>();
  #devices = new Map<string, DevicesSnapshot>();
  #source: MessageSource;
  /** Messages that could not be parsed (a newer or older ingest, or a stray publisher). */
  malformed = 0;

  constructor(source: MessageSource) {
    super();
    this.#source = source;
  }

  async start(): Promise<void> {
    await this.#source.start(topics.derivedForFollowers, (m) => this.#handle(m));
  }

  #handle(msg: InboundMessage): void {
    const parts = msg.topic.split('/');
    const site = parts[2];
    const kind = parts[3];
    if (!site || !kind) return;
    let body: unknown;
    try {
      body = JSON.parse(msg.payload.toString('utf8'));
    } catch {
      this.malformed++;
      return;
    }
    if (kind === 'live') {
      this.#live.set(site, body as LiveSnapshot);
      this.emit('live', body);
    } else if (kind === 'alerts') {
      this.#alerts.set(site, body as AlertsResponse);
      this.emit('alerts', body);
    } else if (kind === 'devices') {
      this.#devices.set(site, body as DevicesSnapshot);
    }
  }

  latest(site: string): LiveSnapshot | undefined {
    return this.#live.get(site);
  }

  list(site: string): AlertsResponse {
    return this.#alerts.get(site) ?? { site, at: Date.now(), active: [], resolved: [] };
  }

  activity(site: string, device: string): DeviceActivitySnapshot | undefined {
    return this.#devices.get(site)?.[device];
  }

  battery(site: string, device: string): { value: number; ts: number } | undefined {
    return this.#devices.get(site)?.[device]?.battery;
  }

  async stop(): Promise<void> {
    await this.#source.stop();
  }
}
