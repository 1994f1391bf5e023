/**
 * The ingest pipeline: subscribe → decode (devices/ adapter) → validate → enrich (registry)
 * → processors (live state, footprint) and the store writer.
 *
 * Parse at the edge, then trust (STYLE §3): a bad message is counted by reason, logged once
 * per (reason, device), republished on the rejected topic, and dropped. `handle` never throws.
 */
import type { Logger } from 'pino';
import { ADAPTERS, adapterFor } from '../devices/index.ts';
import type { Adapter, Decoded, DecodeFailure, DecodeResult, Reading } from '../devices/adapter.ts';
import { DEVICE_KINDS } from '../devices/kinds.ts';
import { REJECT_REASONS, type RejectReason } from '../devices/rejections.ts';
import { DERIVED_PREFIX, parseGatewayTopic, topics } from '../devices/topics.ts';
import { UNSUPPORTED_FILTERS, unsupportedLayoutOf } from '../devices/unsupported.ts';
import type { SeriesMetricKey } from '../devices/catalogue.ts';

const DERIVED_ROOT = `${DERIVED_PREFIX}/`;
import type { Registry, RegisteredDevice } from '../store/registry.ts';
import type { Point } from '../store/types.ts';
import type { InboundMessage, MessageSource } from './sources.ts';
import { MEASUREMENT_READINGS, checkinToPoint, tagsOf } from '../footprint/events.ts';
import type { DeviceContext, EnrichedCheckin, EnrichedReading, Processor } from './types.ts';
import type { StoreWriter } from './writer.ts';
import { BySiteDevice } from '../devices/by-device.ts';
import { RecentSamples } from './duplicates.ts';

export interface IngestOptions {
  registry: Registry;
  source: MessageSource;
  writer: StoreWriter;
  processors?: Processor[];
  log: Logger;
  /** Larger payloads are rejected as `oversize` (DESKPRINT_MAX_PAYLOAD_BYTES). */
  maxPayloadBytes?: number;
  adapters?: readonly Adapter[];
  /** Republish rejected messages with their reason (default true). */
  publishRejected?: boolean;
  /** Where device activity is kept: the per-site state owner's (ingest/sites.ts), else a map of its own. */
  activity?: BySiteDevice<DeviceActivity>;
}

export interface DeviceActivity {
  lastSeen: number;
  status: 'online' | 'offline' | null;
  rejected: number;
  lastRejected: RejectReason | null;
}

/** A device's activity before anything was heard from it. */
export function newActivity(): DeviceActivity {
  return { lastSeen: 0, status: null, rejected: 0, lastRejected: null };
}

export interface IngestCounters {
  received: number;
  accepted: number;
  /** Understood but carrying nothing to keep (bridge chatter, system status). */
  ignored: number;
  rejected: number;
  rejectedByReason: Partial<Record<RejectReason, number>>;
  readings: number;
  checkins: number;
  /**
   * Readings dropped from otherwise accepted messages because the device's kind does not
   * report that metric (a Shelly Pro's voltage on a lighting circuit), per metric.
   */
  droppedMetrics: Partial<Record<SeriesMetricKey, number>>;
  /** Readings received again unchanged (a QoS 1 re-delivery): acknowledged, not counted as readings. */
  duplicateReadings: number;
  /** Readings at a timestamp already received with another value: stored (the later value wins). */
  conflictingReadings: number;
  /** Failures of each processor (by name): a bug in that stage, never the message's fault. */
  processorErrors: Record<string, number>;
}

/** A topic whose traffic deskprint does not read (`unsupported`), with what to change. */
export interface UnsupportedTraffic {
  topic: string;
  /** The adapter or known layout that recognised it. */
  ecosystem: string;
  hint: string;
  messages: number;
  firstSeen: number;
  lastSeen: number;
}

/** Message ids remembered for de-duplication: minutes of uplinks of a large LoRaWAN installation. */
const MESSAGE_IDS_KEPT = 50_000;

/** Distinct unsupported topics remembered for the devices page; the counter counts the rest. */
const UNSUPPORTED_KEPT = 200;

export class Ingest {
  readonly counters: IngestCounters = { received: 0, accepted: 0, ignored: 0, rejected: 0, rejectedByReason: {}, readings: 0, checkins: 0, droppedMetrics: {}, duplicateReadings: 0, conflictingReadings: 0, processorErrors: {} };
  /** Unsupported traffic by topic, most recent last (bounded, UNSUPPORTED_KEPT). */
  readonly #unsupported = new Map<string, UnsupportedTraffic>();
  /** Recent `Decoded.messageId`s by adapter and device, oldest first. */
  readonly #messageIds = new Set<string>();
  /** Per registered device (by site, then device): last seen, availability, rejections. */
  readonly activity: BySiteDevice<DeviceActivity>;
  #opts: Required<Omit<IngestOptions, 'processors' | 'activity'>> & { processors: Processor[] };
  #logged = new Set<string>();
  #contexts = new WeakMap<RegisteredDevice, { ctx: DeviceContext; tags: Record<string, string> }>();
  #tickTimer: NodeJS.Timeout | undefined;
  #recent = new RecentSamples();

  constructor(opts: IngestOptions) {
    this.activity = opts.activity ?? new BySiteDevice<DeviceActivity>();
    this.#opts = {
      maxPayloadBytes: 256 * 1024,
      adapters: ADAPTERS,
      publishRejected: true,
      processors: [],
      ...opts,
    };
  }

  get processors(): readonly Processor[] {
    return this.#opts.processors;
  }

  async start(): Promise<void> {
    // Gateway bridges' traffic too, so the one-process default accepts it (docs/devices.md).
    const filters = [...new Set([...this.#opts.adapters.flatMap((a) => a.subscriptions), ...UNSUPPORTED_FILTERS, topics.allGateways])];
    // The source acknowledges each message to its sender once `handle`'s promise settles.
    await this.#opts.source.start(filters, (msg) => this.handle(msg));
    this.#tickTimer = setInterval(() => void this.tick(Date.now()), 1000);
    this.#tickTimer.unref();
  }

  /** Runs processors' periodic work and stores what they emit. */
  async tick(now: number): Promise<void> {
    for (const p of this.#opts.processors) {
      if (!p.tick) continue;
      try {
        const points = await p.tick(now);
        if (points.length) void this.#opts.writer.enqueue(points, 0);
      } catch (err) {
        this.#processorFailed(p, err);
      }
    }
  }

  /**
   * Handles one MQTT message. Never throws. Answers a promise that resolves once what the
   * message carries is durable in the store (or its spool): the source acknowledges the
   * message to its sender only then. Undefined when there is nothing to wait for (a rejected,
   * ignored or status-only message).
   */
  handle(msg: InboundMessage): Promise<void> | undefined {
    // deskprint's own derived topics (live snapshots, rejections) match the native
    // subscription `deskprint/+/+/+`; they are ours, not a device's.
    if (msg.topic.startsWith(DERIVED_ROOT)) return undefined;
    this.counters.received++;
    try {
      return this.#handle(msg);
    } catch (err) {
      // A bug in a stage must not stop the stream; count it like any rejection.
      this.#reject(msg, { ok: false, reason: 'schema', message: `internal error: ${(err as Error).message}` });
      return undefined;
    }
  }

  #handle(msg: InboundMessage): Promise<void> | undefined {
    if (msg.payload.length > this.#opts.maxPayloadBytes) {
      this.#reject(msg, { ok: false, reason: 'oversize', message: `payload of ${msg.payload.length} bytes exceeds ${this.#opts.maxPayloadBytes}` });
      return undefined;
    }
    // A site's gateway bridge re-prefixes its foreign topics under the site: decode the
    // topic as the gateway published it, and accept only that site's devices from it.
    const gateway = parseGatewayTopic(msg.topic);
    if (gateway && msg.site === undefined && !this.#opts.registry.site(gateway.site)) {
      this.#reject(msg, { ok: false, reason: 'unknown_site', message: `site "${gateway.site}" of the gateway prefix is not registered` });
      return undefined;
    }
    const from = gateway && msg.site === undefined ? { ...msg, site: gateway.site } : msg;
    const topic = gateway?.topic ?? msg.topic;
    const adapter = this.#opts.adapters === ADAPTERS ? adapterFor(topic) : this.#opts.adapters.find((a) => a.matches(topic));
    if (!adapter) {
      const layout = unsupportedLayoutOf(topic);
      if (layout) this.#reject(from, { ok: false, reason: 'unsupported', message: layout.hint }, layout.ecosystem);
      else this.#reject(from, { ok: false, reason: 'unknown_topic', message: `no adapter for topic "${clip(topic)}"` });
      return undefined;
    }
    const ctx = { receivedAt: msg.receivedAt };
    if (!adapter.decodeAll) return this.#handleDecoded(from, adapter, adapter.decode(topic, msg.payload, ctx));
    // The writer stores in order: once the last part is durable, so are the ones before it.
    let durable: Promise<void> | undefined;
    for (const result of adapter.decodeAll(topic, msg.payload, ctx)) durable = this.#handleDecoded(from, adapter, result) ?? durable;
    return durable;
  }

  #handleDecoded(msg: InboundMessage, adapter: Adapter, result: DecodeResult): Promise<void> | undefined {
    if (!result.ok) {
      this.#reject(msg, result, adapter.name);
      return undefined;
    }
    // Bridge chatter, system status and the like: understood, nothing to keep.
    if (result.readings.length === 0 && result.checkins.length === 0 && !result.status) {
      this.counters.ignored++;
      return undefined;
    }
    const messageKey = result.messageId === undefined ? undefined : this.#messageKey(adapter.name, result);
    if (messageKey !== undefined && this.#messageIds.has(messageKey)) {
      this.#reject(msg, { ok: false, reason: 'duplicate', message: `message ${clip(result.messageId!, 80)} was already received`, identity: result.identity }, adapter.name);
      // The first delivery may still be on its way to the store: acknowledge after it.
      return this.#opts.writer.settled();
    }
    const found = this.#resolve(adapter, result, msg.receivedAt);
    // A webhook authenticated for one site, or a site's gateway prefix, speaks only for that site's devices.
    const elsewhere = found && msg.site !== undefined && found.site !== msg.site ? found : undefined;
    const device = elsewhere ? undefined : found;
    // Remembered once a device takes it: a retry of a message rejected for want of one is not a duplicate.
    if (messageKey !== undefined && device) this.#rememberMessage(messageKey);
    if (!device) {
      const id = result.identity;
      // A foreign device-level availability message (a Shelly's `online`) speaks for every
      // registered channel of that device (`<id>:<component>:<n>`).
      if (id.foreignId !== undefined && result.status) {
        const channels = this.#opts.registry.foreignChannels(adapter.name, id.foreignId).filter((d) => msg.site === undefined || d.site === msg.site);
        if (channels.length > 0) {
          let durable: Promise<void> | undefined;
          for (const d of channels) durable = this.#accept(msg, d, result, adapter.name) ?? durable;
          return durable;
        }
      }
      if (elsewhere) {
        const named = id.foreignId === undefined ? `device "${id.device}"` : `${id.ecosystem} device "${id.foreignId}"`;
        const message = `${named} is registered at site "${elsewhere.site}", not at site "${msg.site}" it arrived through`;
        this.#reject(msg, { ok: false, reason: 'unknown_device', message, identity: id }, adapter.name);
        return undefined;
      }
      const message = id.foreignId === undefined
        ? (this.#opts.registry.site(id.site) ? `device "${id.device}" is not registered at site "${id.site}"` : `site "${id.site}" is not registered`)
        : `${id.ecosystem} device "${id.foreignId}" is not assigned to a registered device (listed as discovered)`;
      const reason: RejectReason = id.foreignId === undefined && !this.#opts.registry.site(id.site) ? 'unknown_site' : 'unknown_device';
      this.#reject(msg, { ok: false, reason, message, identity: id }, adapter.name);
      return undefined;
    }
    return this.#accept(msg, device, result, adapter.name);
  }

  /** A device's message id, as remembered for de-duplication. */
  #messageKey(adapter: string, result: Decoded): string {
    const id = result.identity;
    return `${adapter}\u0000${id.foreignId ?? `${id.site}/${id.device}`}\u0000${result.messageId}`;
  }

  #rememberMessage(key: string): void {
    if (this.#messageIds.size >= MESSAGE_IDS_KEPT) this.#messageIds.delete(this.#messageIds.values().next().value!);
    this.#messageIds.add(key);
  }

  #resolve(adapter: Adapter, result: Decoded, at: number): RegisteredDevice | undefined {
    const id = result.identity;
    if (id.foreignId === undefined) return this.#opts.registry.device(id.site, id.device);
    const device = this.#opts.registry.foreign(adapter.name, id.foreignId);
    if (device) return device;
    // A device-level `online` of a device whose channels are registered is not a stranger.
    const channelsRegistered = result.status !== undefined && this.#opts.registry.foreignChannels(adapter.name, id.foreignId).length > 0;
    if (!channelsRegistered && (result.readings.length > 0 || result.status)) this.#opts.registry.noteDiscovered(adapter.name, id.foreignId, at);
    return undefined;
  }

  #accept(msg: InboundMessage, device: RegisteredDevice, decoded: Decoded, adapterName: string): Promise<void> | undefined {
    const kind = DEVICE_KINDS[device.kind];
    const allowed = kind.metrics as readonly string[];
    let result = decoded;
    // `some` first: the common case allocates nothing (ingest's hot path, bench/RESULTS.md).
    if (result.readings.some((r) => !allowed.includes(r.metric))) {
      const bad = result.readings.filter((r) => !allowed.includes(r.metric));
      const kept = result.readings.filter((r) => allowed.includes(r.metric));
      const message = `a ${device.kind} does not report ${[...new Set(bad.map((r) => r.metric))].join(', ')}`;
      // Nothing else in the message: the whole message is the device's mistake.
      if (kept.length === 0 && result.checkins.length === 0 && !result.status) {
        this.#reject(msg, { ok: false, reason: 'metric_not_allowed', message, identity: result.identity }, adapterName, device);
        return undefined;
      }
      // A Shelly Pro or Tasmota POW sends voltage and current in every status: keep the rest.
      for (const r of bad) this.counters.droppedMetrics[r.metric] = (this.counters.droppedMetrics[r.metric] ?? 0) + 1;
      this.#logOnce(`dropped:${device.site}/${device.device}`, `dropped from ${JSON.stringify(clip(msg.topic))}: ${message} (stored the rest)`);
      result = { ...result, readings: kept };
    }
    if (result.checkins.length > 0 && !kind.checkins) {
      this.#reject(msg, { ok: false, reason: 'metric_not_allowed', message: `a ${device.kind} does not send check-ins`, identity: result.identity }, adapterName, device);
      return undefined;
    }
    const stranger = result.checkins.find((c) => !this.#opts.registry.isMember(device.site, c.member));
    if (stranger) {
      this.#reject(msg, { ok: false, reason: 'unknown_member', message: `member "${stranger.member}" is not registered at site "${device.site}"`, identity: result.identity }, adapterName, device);
      return undefined;
    }
    const site = this.#opts.registry.site(device.site)!;
    const badDesk = result.checkins.find((c) => c.desk !== undefined && !site.desks.some((d) => d.id === c.desk));
    if (badDesk) {
      this.#reject(msg, { ok: false, reason: 'schema', message: `desk: "${badDesk.desk}" is not a desk of site "${device.site}"`, identity: result.identity }, adapterName, device);
      return undefined;
    }

    // A re-delivery (QoS 1 is at least once) is acknowledged but not counted or stored again.
    const sampled = result.readings.length > 0 ? this.#recent.check(device, result.readings) : undefined;
    if (sampled) {
      this.counters.duplicateReadings += sampled.duplicates;
      this.counters.conflictingReadings += sampled.conflicts;
      if (sampled.fresh.length === 0 && result.checkins.length === 0 && !result.status) {
        this.#reject(msg, { ok: false, reason: 'duplicate', message: `${sampled.duplicates} reading(s) already received`, identity: result.identity }, adapterName, device);
        // The first delivery may still be on its way to the store: acknowledge after it.
        return this.#opts.writer.settled();
      }
    }
    const readingsIn = sampled?.fresh ?? result.readings;

    this.counters.accepted++;
    const act = this.#activity(device);
    act.lastSeen = Math.max(act.lastSeen, msg.receivedAt);
    if (result.status) act.status = result.status;
    else if (act.status === null || act.status === 'offline') act.status = 'online';

    const points: Point[] = [];
    if (readingsIn.length > 0) {
      const { ctx, tags } = this.#contextOf(device);
      const readings: EnrichedReading[] = new Array(readingsIn.length);
      for (let i = 0; i < readings.length; i++) readings[i] = enrich(ctx, readingsIn[i]!);
      // One point per timestamp carrying every metric of that sample.
      let cur: Point | undefined;
      for (const r of readings) {
        if (!cur || cur.ts !== r.ts) points.push((cur = { measurement: MEASUREMENT_READINGS, tags, fields: {}, ts: r.ts }));
        cur.fields[r.metric] = r.value;
      }
      this.counters.readings += readings.length;
      for (const p of this.#opts.processors) this.#feed(p, p.onReadings, readings);
    }
    if (result.checkins.length > 0) {
      const checkins: EnrichedCheckin[] = result.checkins.map((c) => {
        const desk = c.desk ?? device.desk;
        const zone = desk ? site.desks.find((d) => d.id === desk)?.zone : device.zone;
        return { ...c, site: device.site, device: device.device, ...(desk ? { desk } : {}), ...(zone ? { zone } : {}) };
      });
      for (const c of checkins) points.push(checkinToPoint(c));
      this.counters.checkins += checkins.length;
      for (const p of this.#opts.processors) this.#feed(p, p.onCheckins, checkins);
    }
    return points.length ? this.#opts.writer.enqueue(points, readingsIn.length + result.checkins.length) : undefined;
  }

  /**
   * A registered device's context and store tags, built once per device: the registry
   * replaces its device objects when a site is reloaded, so the cache follows it. Spreading
   * the context into every reading cost about 3 µs a reading (bench/RESULTS.md, profile).
   */
  #contextOf(device: RegisteredDevice): { ctx: DeviceContext; tags: Record<string, string> } {
    let c = this.#contexts.get(device);
    if (!c) {
      const ctx: DeviceContext = {
        site: device.site,
        device: device.device,
        kind: device.kind,
        ...(device.zone ? { zone: device.zone } : {}),
        ...(device.desk ? { desk: device.desk } : {}),
        ...(device.category ? { category: device.category } : {}),
        ...(device.carrier ? { carrier: device.carrier } : {}),
      };
      this.#contexts.set(device, (c = { ctx, tags: tagsOf(ctx) }));
    }
    return c;
  }

  /**
   * One processor's share of a message. Each is isolated: a processor that throws is
   * counted and logged once under its name, and neither the other processors nor the store
   * writer lose the message (it was valid; the stage has the bug).
   */
  #feed<T>(p: Processor, fn: ((batch: readonly T[]) => void) | undefined, batch: readonly T[]): void {
    if (!fn) return;
    try {
      fn.call(p, batch);
    } catch (err) {
      this.#processorFailed(p, err);
    }
  }

  #processorFailed(p: Processor, err: unknown): void {
    this.counters.processorErrors[p.name] = (this.counters.processorErrors[p.name] ?? 0) + 1;
    this.#logOnce(`processor:${p.name}`, `processor ${p.name} failed: ${(err as Error).message}`);
  }

  #activity(device: Pick<RegisteredDevice, 'site' | 'device'>): DeviceActivity {
    let a = this.activity.get(device.site, device.device);
    if (!a) this.activity.set(device.site, device.device, (a = newActivity()));
    return a;
  }

  #reject(msg: InboundMessage, failure: DecodeFailure, adapter = 'none', device?: RegisteredDevice): void {
    this.counters.rejected++;
    this.counters.rejectedByReason[failure.reason] = (this.counters.rejectedByReason[failure.reason] ?? 0) + 1;
    const id = failure.identity;
    const named = device ?? this.#registered(adapter, failure);
    const known = named && (msg.site === undefined || named.site === msg.site) ? named : undefined;
    const site = known?.site ?? msg.site ?? (id && id.foreignId === undefined ? id.site : null) ?? (id?.foreignId !== undefined ? this.#siteOfForeign(adapter, id.foreignId) : null);
    const deviceName = known?.device ?? (id ? (id.foreignId === undefined ? id.device : id.foreignId) : null);
    if (failure.reason === 'unsupported') this.#noteUnsupported(msg, adapter, failure.message);
    if (known) {
      const act = this.#activity(known);
      act.rejected++;
      act.lastRejected = failure.reason;
    }
    this.#logOnce(`${failure.reason}:${deviceName ?? msg.topic}`, `rejected ${failure.reason} from ${JSON.stringify(clip(msg.topic))}: ${failure.message}`);
    if (this.#opts.publishRejected) {
      const notice = {
        reason: failure.reason,
        explanation: REJECT_REASONS[failure.reason],
        message: failure.message,
        topic: msg.topic,
        adapter,
        device: deviceName,
        received_at: new Date(msg.receivedAt).toISOString(),
        bytes: msg.payload.length,
        // A short preview helps an operator find the culprit; never the whole (maybe huge) payload.
        preview: msg.payload.subarray(0, 200).toString('utf8'),
      };
      this.#opts.source.publish(topics.rejected(site && this.#opts.registry.site(site) ? site : null), JSON.stringify(notice)).catch(() => {});
    }
  }

  /** The registered device a failure names, if any. */
  #registered(adapter: string, failure: DecodeFailure): RegisteredDevice | undefined {
    const id = failure.identity;
    if (!id) return undefined;
    return id.foreignId === undefined ? this.#opts.registry.device(id.site, id.device) : this.#opts.registry.foreign(adapter, id.foreignId);
  }

  /**
   * The site of an unregistered foreign device whose siblings are registered: the other
   * channels of the same physical device (`<device>:<component>:<n>`), or the channels of a
   * device-level id. Its rejections belong on that site's stream, where its operator looks.
   */
  #siteOfForeign(adapter: string, foreignId: string): string | null {
    const physical = foreignId.split(':')[0]!;
    const sibling = this.#opts.registry.foreignChannels(adapter, physical)[0] ?? this.#opts.registry.foreign(adapter, physical);
    return sibling?.site ?? null;
  }

  #noteUnsupported(msg: InboundMessage, ecosystem: string, hint: string): void {
    const seen = this.#unsupported.get(msg.topic);
    if (seen) {
      seen.messages++;
      seen.lastSeen = msg.receivedAt;
      seen.hint = hint;
      return;
    }
    if (this.#unsupported.size >= UNSUPPORTED_KEPT) this.#unsupported.delete(this.#unsupported.keys().next().value!);
    this.#unsupported.set(msg.topic, { topic: msg.topic, ecosystem, hint, messages: 1, firstSeen: msg.receivedAt, lastSeen: msg.receivedAt });
  }

  /** Topics of unsupported traffic, most recently heard first. */
  unsupported(): UnsupportedTraffic[] {
    return [...this.#unsupported.values()].map((u) => ({ ...u })).sort((a, b) => b.lastSeen - a.lastSeen);
  }

  #logOnce(key: string, message: string): void {
    if (this.#logged.has(key)) return;
    if (this.#logged.size > 10_000) this.#logged.clear(); // bounded memory under a flood of distinct keys
    this.#logged.add(key);
    this.#opts.log.warn(message);
  }

  async stop(): Promise<void> {
    clearInterval(this.#tickTimer);
    await this.#opts.source.stop();
    await this.tick(Date.now());
    for (const p of this.#opts.processors) await p.close?.();
  }
}

/** `{ ...ctx, ...reading }`, with the same keys in the same order, built without a spread. */
function enrich(ctx: DeviceContext, r: Reading): EnrichedReading {
  const e = { site: ctx.site, device: ctx.device, kind: ctx.kind } as EnrichedReading;
  if (ctx.zone !== undefined) e.zone = ctx.zone;
  if (ctx.desk !== undefined) e.desk = ctx.desk;
  if (ctx.category !== undefined) e.category = ctx.category;
  if (ctx.carrier !== undefined) e.carrier = ctx.carrier;
  e.metric = r.metric;
  e.value = r.value;
  e.ts = r.ts;
  return e;
}

function clip(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** The store tags of a device's readings (footprint/events.ts owns the layout). */
export { tagsOf };
