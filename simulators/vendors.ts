/**
 * Simulated devices that speak a vendor's format instead of deskprint's native one: a
 * device whose site-file `foreign.ecosystem` is a LoRaWAN network server (The Things
 * Stack, ChirpStack) publishes that server's uplink JSON on its topic, with the Milesight
 * decoder's fields; one delivered by a vendor cloud (Disruptive Technologies, Butlr) is
 * POSTed to deskprint's webhook route, signed as the vendor signs it. The building model
 * stays native: this sink translates each of its messages on the way out.
 */
import { randomUUID } from 'node:crypto';
import { signDtBody } from '../devices/disruptive/adapter.ts';
import { webhookSecret, type SiteDevice, type SiteFile } from '../devices/site.ts';
import type { SimMessage } from './building.ts';
import type { PublishSink } from './fleet.ts';

/** The native telemetry fields the vendor formats carry. */
export interface VendorSample {
  occupied?: boolean;
  battery_pct?: number;
  people_count?: number;
  temperature_c?: number;
  humidity_pct?: number;
}

/** A vendor-format message: on the broker, or a POST to a webhook. */
export type VendorMessage = { kind: 'mqtt'; topic: string; payload: string } | { kind: 'webhook'; ecosystem: string; body: string };

/** The Milesight decoder's field names (devices/lorawan/milesight.ts reads them back). */
function milesightFields(s: VendorSample): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  if (s.battery_pct !== undefined) out.battery = s.battery_pct;
  if (s.occupied !== undefined) out.occupancy = s.occupied ? 'occupied' : 'vacant';
  if (s.people_count !== undefined) out.people_count_all = s.people_count;
  if (s.temperature_c !== undefined) out.temperature = s.temperature_c;
  if (s.humidity_pct !== undefined) out.humidity = s.humidity_pct;
  return out;
}

/** A The Things Stack v3 uplink for foreign id `<application>@<tenant>/<device>` (devices/tts/README.md). */
export function ttsUplink(foreignId: string, sample: VendorSample, at: number, fCnt: number): VendorMessage {
  const slash = foreignId.lastIndexOf('/');
  const application = foreignId.slice(0, slash);
  const device = foreignId.slice(slash + 1);
  const iso = new Date(at).toISOString();
  const payload = {
    end_device_ids: { device_id: device, application_ids: { application_id: application.split('@')[0] } },
    received_at: iso,
    uplink_message: { session_key_id: 'c2ltdWxhdGVkLXNlc3Npb24=', f_port: 85, f_cnt: fCnt, decoded_payload: milesightFields(sample), received_at: iso },
  };
  return { kind: 'mqtt', topic: `v3/${application}/devices/${device}/up`, payload: JSON.stringify(payload) };
}

/** A ChirpStack v4 uplink event for foreign id `<DevEUI>` (devices/chirpstack/README.md). */
export function chirpstackUplink(devEui: string, application: string, sample: VendorSample, at: number, fCnt: number): VendorMessage {
  const payload = {
    deduplicationId: randomUUID(),
    time: new Date(at).toISOString(),
    deviceInfo: { applicationId: application, devEui },
    fCnt,
    fPort: 85,
    object: milesightFields(sample),
  };
  return { kind: 'mqtt', topic: `application/${application}/device/${devEui}/event/up`, payload: JSON.stringify(payload) };
}

/** Disruptive Technologies events (one per quantity) for foreign id `<device id>` (devices/disruptive/README.md). */
export function disruptiveEvents(deviceId: string, sample: VendorSample, at: number): VendorMessage[] {
  const iso = new Date(at).toISOString();
  const event = (eventType: string, data: Record<string, unknown>) => ({
    kind: 'webhook' as const,
    ecosystem: 'disruptive',
    body: JSON.stringify({
      event: { eventId: randomUUID().replaceAll('-', '').slice(0, 20), targetName: `projects/simulated/devices/${deviceId}`, eventType, data: { [eventType]: { ...data, updateTime: iso } }, timestamp: iso },
      labels: {},
      metadata: { deviceId, projectId: 'simulated', deviceType: eventType },
    }),
  });
  const out: VendorMessage[] = [];
  if (sample.occupied !== undefined) out.push(event('deskOccupancy', { state: sample.occupied ? 'OCCUPIED' : 'NOT_OCCUPIED', remarks: [] }));
  if (sample.temperature_c !== undefined) out.push(event('temperature', { value: sample.temperature_c }));
  if (sample.battery_pct !== undefined) out.push(event('batteryStatus', { percentage: sample.battery_pct }));
  return out;
}

/** A Butlr occupancy event for foreign id `room_…`, `zone_…` or a floor's `space_…` (devices/butlr/README.md). */
export function butlrEvent(areaId: string, sample: VendorSample, at: number): VendorMessage[] {
  if (sample.people_count === undefined) return [];
  const [type, field] = areaId.startsWith('room_') ? ['ROOM_OCCUPANCY', 'room_id'] : areaId.startsWith('zone_') ? ['ZONE_OCCUPANCY', 'zone_id'] : ['FLOOR_OCCUPANCY', 'floor_id'];
  return [{ kind: 'webhook', ecosystem: 'butlr', body: JSON.stringify({ id: `event_${randomUUID().replaceAll('-', '')}`, type, timestamp: at, version: 'v1.0.0', metadata: { [field]: areaId }, data: sample.people_count }) }];
}

/** The simulated ChirpStack application every simulated ChirpStack device belongs to. */
const CHIRPSTACK_APPLICATION = '5d3c1a2b-7e6f-4a8b-9c0d-1e2f3a4b5c6d';

/** Translates one native telemetry message of a foreign device; null for native devices and other messages. */
export function vendorMessages(device: SiteDevice, msg: SimMessage, fCnt: number): VendorMessage[] | null {
  const eco = device.foreign?.ecosystem;
  if (eco === undefined || !msg.topic.endsWith('/telemetry')) return null;
  const native = JSON.parse(msg.payload) as VendorSample & { ts?: number };
  const at = native.ts ?? msg.at;
  const id = device.foreign!.id;
  switch (eco) {
    case 'tts':
      return [ttsUplink(id, native, at, fCnt)];
    case 'chirpstack':
      return [chirpstackUplink(id, CHIRPSTACK_APPLICATION, native, at, fCnt)];
    case 'disruptive':
      return disruptiveEvents(id, native, at);
    case 'butlr':
      return butlrEvent(id, native, at);
    default:
      return null;
  }
}

export interface VendorSinkOptions {
  site: SiteFile;
  /** deskprint's base URL (`http://127.0.0.1:8080`) for webhook POSTs; without it webhook devices stay silent. */
  webhookUrl?: string;
  env?: Readonly<Record<string, string | undefined>>;
  log?: (msg: string) => void;
}

/** Wraps a sink: vendor devices' messages are translated, everything else passes through. */
export class VendorSink implements PublishSink {
  readonly #devices: Map<string, SiteDevice>;
  readonly #fCnt = new Map<string, number>();
  /** Webhook POSTs that got a non-2xx answer or no answer. */
  failedPosts = 0;

  constructor(
    private readonly inner: PublishSink,
    private readonly opts: VendorSinkOptions,
  ) {
    this.#devices = new Map(opts.site.devices.map((d) => [d.id, d]));
  }

  async publish(msg: SimMessage): Promise<void> {
    const device = this.#devices.get(msg.device);
    const fCnt = (this.#fCnt.get(msg.device) ?? 0) + 1;
    const translated = device ? vendorMessages(device, msg, fCnt) : null;
    if (translated === null) return this.inner.publish(msg);
    this.#fCnt.set(msg.device, fCnt);
    for (const v of translated) {
      if (v.kind === 'mqtt') await this.inner.publish({ ...msg, topic: v.topic, payload: v.payload });
      else await this.#post(v.ecosystem, v.body);
    }
  }

  async #post(ecosystem: string, body: string): Promise<void> {
    const secret = webhookSecret(this.opts.site, ecosystem, this.opts.env);
    if (!this.opts.webhookUrl || secret === undefined) return;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (ecosystem === 'disruptive') headers['x-dt-signature'] = signDtBody(body, secret, Date.now());
    else headers.authorization = `Bearer ${secret}`;
    try {
      const res = await fetch(`${this.opts.webhookUrl}/api/webhooks/${ecosystem}/${this.opts.site.id}`, { method: 'POST', headers, body });
      await res.arrayBuffer();
      if (!res.ok) this.failedPosts++;
    } catch (err) {
      this.failedPosts++;
      this.opts.log?.(`simulator: ${ecosystem} webhook POST failed: ${(err as Error).message}`);
    }
  }

  close(): Promise<void> {
    return this.inner.close?.() ?? Promise.resolve();
  }
}
