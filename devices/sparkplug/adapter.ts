/**
 * MQTT Sparkplug B (Eclipse Sparkplug 3.0): `spBv1.0/<group>/<NBIRTH|NDATA|NDEATH>/<edge node>`
 * and `spBv1.0/<group>/<DBIRTH|DDATA|DDEATH>/<edge node>/<device>`, payloads in the
 * Sparkplug B protobuf schema (sparkplug_b.proto), decoded with protobufjs. README.md has
 * the tables.
 *
 * Sparkplug metric names are the edge node's own ("Meter/ActivePower"); the site file maps
 * them to catalogue metrics per device (`foreign.metrics`), and a name whose last path
 * segment is a catalogue key (`Desk/occupied`) maps to it without that.
 *
 * BIRTH messages may define aliases that later DATA messages use instead of names (§6.4.5):
 * the adapter remembers each edge node's and device's aliases since its last BIRTH, which is
 * the only state it keeps; a DATA metric with an alias it has not seen is reported.
 */
import protobuf from 'protobufjs';
import { fail, type Adapter, type DecodeContext, type DecodeResult, type DeviceIdentity, type Reading } from '../adapter.ts';
import { isSeriesMetric, type SeriesMetricKey } from '../catalogue.ts';
import { acknowledged, clip, deviceTimestamp, isFailure, readingsFromSample } from '../readings.ts';

const ECOSYSTEM = 'sparkplug';
const NAMESPACE = 'spBv1.0';

/**
 * The part of sparkplug_b.proto (Eclipse Tahu, sparkplug_b/sparkplug_b.proto) deskprint reads:
 * protobuf skips the fields left out (metadata, properties, datasets, templates).
 */
const root = protobuf.Root.fromJSON({
  nested: {
    Payload: {
      fields: {
        timestamp: { type: 'uint64', id: 1 },
        metrics: { rule: 'repeated', type: 'Metric', id: 2 },
        seq: { type: 'uint64', id: 3 },
        uuid: { type: 'string', id: 4 },
      },
      nested: {
        Metric: {
          oneofs: { value: { oneof: ['intValue', 'longValue', 'floatValue', 'doubleValue', 'booleanValue', 'stringValue'] } },
          fields: {
            name: { type: 'string', id: 1 },
            alias: { type: 'uint64', id: 2 },
            timestamp: { type: 'uint64', id: 3 },
            datatype: { type: 'uint32', id: 4 },
            isHistorical: { type: 'bool', id: 5 },
            isTransient: { type: 'bool', id: 6 },
            isNull: { type: 'bool', id: 7 },
            intValue: { type: 'uint32', id: 10 },
            longValue: { type: 'uint64', id: 11 },
            floatValue: { type: 'float', id: 12 },
            doubleValue: { type: 'double', id: 13 },
            booleanValue: { type: 'bool', id: 14 },
            stringValue: { type: 'string', id: 15 },
          },
        },
      },
    },
  },
});
export const SparkplugPayload = root.lookupType('Payload');

/** Sparkplug B data types (§6.4.16) whose value is a number deskprint can read. */
const SIGNED_32 = new Set([1, 2, 3]); // Int8, Int16, Int32: two's complement in int_value
const UNSIGNED_32 = new Set([5, 6, 7]); // UInt8, UInt16, UInt32
const LONG = new Set([4, 8, 13]); // Int64, UInt64, DateTime in long_value
const FLOAT = new Set([9, 10]);
const BOOLEAN = 11;

export interface SparkplugMetric {
  name?: string;
  alias?: number;
  timestamp?: number;
  datatype?: number;
  isHistorical?: boolean;
  isNull?: boolean;
  intValue?: number;
  longValue?: number;
  floatValue?: number;
  doubleValue?: number;
  booleanValue?: boolean;
  stringValue?: string;
}

interface DecodedPayload {
  timestamp?: number;
  metrics: SparkplugMetric[];
  seq?: number;
}

/** A site file's mapping of one Sparkplug metric name: a catalogue metric, and a factor to its canonical unit. */
export interface MetricMapping {
  metric: SeriesMetricKey;
  scale?: number;
}

export interface SparkplugOptions {
  /** The site-file mapping (`foreign.metrics`) of the registered device with this foreign id. */
  metricsOf?: (foreignId: string) => Readonly<Record<string, MetricMapping>> | undefined;
}

type MessageType = 'NBIRTH' | 'NDEATH' | 'NDATA' | 'DBIRTH' | 'DDEATH' | 'DDATA' | 'NCMD' | 'DCMD';
const NODE_TYPES = new Set(['NBIRTH', 'NDEATH', 'NDATA', 'NCMD']);
const DEVICE_TYPES = new Set(['DBIRTH', 'DDEATH', 'DDATA', 'DCMD']);
/** Sparkplug ids: UTF-8 without the topic's reserved characters (§4.1.1). */
const ID = /^[^/+#]{1,128}$/;

function parseTopic(topic: string): { type: MessageType; foreignId: string } | 'state' | null {
  const parts = topic.split('/');
  if (parts[0] !== NAMESPACE) return null;
  // Host applications' STATE (3.0: spBv1.0/STATE/<host id>): not a device's.
  if (parts[1] === 'STATE' && parts.length === 3) return 'state';
  if (parts.length < 4 || parts.length > 5 || !parts.slice(1).every((p) => ID.test(p))) return null;
  const [, group, type, edge, device] = parts as [string, string, string, string, string | undefined];
  if (device === undefined ? !NODE_TYPES.has(type) : !DEVICE_TYPES.has(type)) return null;
  return { type: type as MessageType, foreignId: device === undefined ? `${group}/${edge}` : `${group}/${edge}/${device}` };
}

function numberOf(m: SparkplugMetric): number | boolean | undefined {
  if (m.isNull) return undefined;
  const t = m.datatype ?? 0;
  if (SIGNED_32.has(t) && m.intValue !== undefined) return m.intValue | 0;
  if (UNSIGNED_32.has(t) && m.intValue !== undefined) return m.intValue >>> 0;
  if (LONG.has(t) && m.longValue !== undefined) return m.longValue;
  if (FLOAT.has(t)) return m.doubleValue ?? m.floatValue;
  if (t === BOOLEAN) return m.booleanValue;
  return undefined;
}

/** Payload bytes → plain object with Long values as numbers, or an error message. */
export function decodeSparkplugPayload(payload: Uint8Array): DecodedPayload | string {
  try {
    const msg = SparkplugPayload.decode(payload);
    return SparkplugPayload.toObject(msg, { longs: Number, defaults: false, arrays: true }) as DecodedPayload;
  } catch (err) {
    return `not a Sparkplug B payload: ${clip((err as Error).message)}`;
  }
}

export function createSparkplugAdapter(opts: SparkplugOptions = {}): Adapter {
  /** Alias → name per edge node / device, from its last BIRTH. */
  const aliases = new Map<string, Map<number, string>>();

  function decode(topic: string, payload: Uint8Array, ctx: DecodeContext): DecodeResult {
    const parsed = parseTopic(topic);
    if (parsed === null) return fail('unknown_topic', `not a Sparkplug B topic (spBv1.0/<group>/<type>/<edge>[/<device>]): "${clip(topic)}"`);
    if (parsed === 'state') return acknowledged({ ecosystem: ECOSYSTEM, foreignId: topic.slice(NAMESPACE.length + 7) || 'STATE' });
    const identity: DeviceIdentity = { ecosystem: ECOSYSTEM, foreignId: parsed.foreignId };
    // Commands to the edge node: ours to ignore.
    if (parsed.type === 'NCMD' || parsed.type === 'DCMD') return acknowledged(identity);
    const decoded = decodeSparkplugPayload(payload);
    if (typeof decoded === 'string') return fail('schema', decoded, identity);
    const death = parsed.type === 'NDEATH' || parsed.type === 'DDEATH';
    // A device's BIRTH and DEATH are its availability; an edge node's speak for the node, which no site file registers.
    const device = DEVICE_TYPES.has(parsed.type);
    if (death) {
      aliases.delete(parsed.foreignId);
      return device ? { ok: true, identity, readings: [], checkins: [], status: 'offline' } : acknowledged(identity);
    }
    const birth = parsed.type === 'NBIRTH' || parsed.type === 'DBIRTH';
    if (birth) {
      const table = new Map<number, string>();
      for (const m of decoded.metrics) if (m.alias !== undefined && m.name) table.set(m.alias, m.name);
      aliases.set(parsed.foreignId, table);
    }
    const mapping = opts.metricsOf?.(parsed.foreignId) ?? {};
    const readings: Reading[] = [];
    const unmapped: string[] = [];
    for (const m of decoded.metrics) {
      const name = m.name || (m.alias !== undefined ? aliases.get(parsed.foreignId)?.get(m.alias) : undefined);
      if (name === undefined) return fail('schema', `metric alias ${m.alias ?? '?'} was not defined by a BIRTH since the edge node connected`, identity);
      const last = name.slice(name.lastIndexOf('/') + 1);
      const map = mapping[name] ?? (isSeriesMetric(last) ? { metric: last } : undefined);
      if (!map) {
        if (!name.startsWith('bdSeq') && !name.startsWith('Node Control/') && !name.startsWith('Properties/')) unmapped.push(name);
        continue;
      }
      const raw = numberOf(m);
      if (raw === undefined) continue;
      const value = typeof raw === 'boolean' || map.scale === undefined ? raw : Math.round(raw * map.scale * 1e6) / 1e6;
      const ts = deviceTimestamp(m.timestamp ?? decoded.timestamp, ctx.receivedAt, identity);
      if (isFailure(ts)) return ts;
      const rs = readingsFromSample({ [map.metric]: value }, ts, identity);
      if (!Array.isArray(rs)) return rs;
      readings.push(...rs);
    }
    if (readings.length === 0 && unmapped.length > 0) {
      return fail('unsupported', `Sparkplug metrics ${clip(unmapped.slice(0, 5).join(', '))} are not mapped: name them under foreign.metrics of the device in the site file`, identity);
    }
    readings.sort((a, b) => a.ts - b.ts);
    return { ok: true, identity, readings, checkins: [], ...(birth && device ? { status: 'online' as const } : {}) };
  }

  return {
    name: ECOSYSTEM,
    subscriptions: [`${NAMESPACE}/#`],
    matches: (topic) => parseTopic(topic) !== null,
    decode,
  };
}

/** Without site-file mappings: names that end in a catalogue key. Ingest builds its own with the registry's mappings. */
export const sparkplugAdapter: Adapter = createSparkplugAdapter();
