/**
 * Disruptive Technologies sensors (Desk Occupancy, Temperature, Humidity) through a DT
 * Studio Data Connector: an HTTPS POST per event to `/api/webhooks/disruptive/<site>`,
 * body `{ event, labels, metadata }` (DT developer docs, "Data Connectors" and "Events";
 * README.md has the table), signed in the `X-Dt-Signature` header: a JWT (HS256) over the
 * Data Connector's signature secret whose claims carry the body's checksum.
 */
import { createHash, createHmac } from 'node:crypto';
import { z } from 'zod';
import { fail, parseJson, sameSecret, webhookTopic, type Adapter, type DecodeResult, type DeviceIdentity, type Reading } from '../adapter.ts';
import { acknowledged, describeIssues, deviceTimestamp, isFailure, readingsFromSample, type Sample } from '../readings.ts';
import { isoMs } from '../lorawan/milesight.ts';

const ECOSYSTEM = 'disruptive';

const time = z.string().min(1).max(64);
const deskOccupancy = z.looseObject({ state: z.enum(['OCCUPIED', 'NOT_OCCUPIED']), updateTime: time });
const temperature = z.looseObject({
  value: z.number().finite(),
  updateTime: time,
  /** Since firmware with "samples": the readings of one reporting period, each at its time. */
  samples: z.array(z.looseObject({ value: z.number().finite(), sampleTime: time })).max(100).optional(),
});
const humidity = z.looseObject({ temperature: z.number().finite().optional(), relativeHumidity: z.number().finite().optional(), updateTime: time });
const batteryStatus = z.looseObject({ percentage: z.number().finite(), updateTime: time });

const bodySchema = z.looseObject({
  event: z.looseObject({
    eventId: z.string().min(1).max(64),
    /** `projects/<project id>/devices/<device id>`. */
    targetName: z.string().regex(/^projects\/[^/]+\/devices\/[^/]+$/, 'expected projects/<project>/devices/<device>'),
    eventType: z.string().min(1).max(64),
    data: z.record(z.string(), z.unknown()),
    timestamp: time,
  }),
  labels: z.record(z.string(), z.string()).optional(),
});

export const disruptiveAdapter: Adapter = {
  name: ECOSYSTEM,
  subscriptions: [],
  webhook: true,
  matches: (topic) => topic === webhookTopic(ECOSYSTEM),
  authenticate: verifyDtSignature,
  decode(topic, payload, ctx): DecodeResult {
    if (topic !== webhookTopic(ECOSYSTEM)) return fail('unknown_topic', 'not a Disruptive Technologies webhook');
    const json = parseJson(payload);
    if (!json.ok) return json;
    const body = bodySchema.safeParse(json.value);
    if (!body.success) return fail('schema', describeIssues(body.error));
    const { event } = body.data;
    const identity: DeviceIdentity = { ecosystem: ECOSYSTEM, foreignId: event.targetName.slice(event.targetName.lastIndexOf('/') + 1) };
    const at = (iso: string) => deviceTimestamp(isoMs(iso), ctx.receivedAt, identity);
    const readings: Reading[] = [];
    const push = (sample: Sample, iso: string) => {
      const ts = at(iso);
      if (isFailure(ts)) return ts;
      const rs = readingsFromSample(sample, ts, identity);
      if (!Array.isArray(rs)) return rs;
      readings.push(...rs);
      return undefined;
    };
    const data = event.data[event.eventType];
    let problem;
    switch (event.eventType) {
      case 'deskOccupancy': {
        const d = deskOccupancy.safeParse(data);
        if (!d.success) return fail('schema', `data.deskOccupancy: ${describeIssues(d.error)}`, identity);
        problem = push({ occupied: d.data.state === 'OCCUPIED' }, d.data.updateTime);
        break;
      }
      case 'temperature': {
        const d = temperature.safeParse(data);
        if (!d.success) return fail('schema', `data.temperature: ${describeIssues(d.error)}`, identity);
        const samples = d.data.samples?.length ? [...d.data.samples].sort((a, b) => (isoMs(a.sampleTime) ?? 0) - (isoMs(b.sampleTime) ?? 0)) : [{ value: d.data.value, sampleTime: d.data.updateTime }];
        for (const s of samples) problem ??= push({ temperature_c: s.value }, s.sampleTime);
        break;
      }
      case 'humidity': {
        const d = humidity.safeParse(data);
        if (!d.success) return fail('schema', `data.humidity: ${describeIssues(d.error)}`, identity);
        problem = push({ temperature_c: d.data.temperature, humidity_pct: d.data.relativeHumidity }, d.data.updateTime);
        break;
      }
      case 'batteryStatus': {
        const d = batteryStatus.safeParse(data);
        if (!d.success) return fail('schema', `data.batteryStatus: ${describeIssues(d.error)}`, identity);
        problem = push({ battery_pct: d.data.percentage }, d.data.updateTime);
        break;
      }
      default:
        // networkStatus, touch, connectionStatus…: nothing deskprint measures.
        return acknowledged(identity);
    }
    if (problem) return problem;
    return { ok: true, identity, readings, checkins: [], messageId: event.eventId };
  },
};

const jwtHeaderSchema = z.looseObject({ alg: z.literal('HS256') });
const jwtClaimsSchema = z.looseObject({
  /** Hex SHA-1 of the body (DT's original claim). */
  checksum: z.string().optional(),
  /** Hex SHA-256 of the body (newer Data Connectors send both). */
  checksum_sha256: z.string().optional(),
  exp: z.number().optional(),
});

/**
 * The `X-Dt-Signature` JWT: HS256 with the Data Connector's secret, and a checksum claim
 * that matches the raw body (as DT's own dtintegrations library checks it).
 */
export function verifyDtSignature(headers: Readonly<Record<string, string | undefined>>, body: Uint8Array, secret: string, now: number): boolean {
  const token = headers['x-dt-signature'];
  if (!token || secret.length === 0) return false;
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  const [h, c, sig] = parts as [string, string, string];
  if (!sameSecret(createHmac('sha256', secret).update(`${h}.${c}`).digest('base64url'), sig)) return false;
  const header = jwtHeaderSchema.safeParse(decodeSegment(h));
  const claims = jwtClaimsSchema.safeParse(decodeSegment(c));
  if (!header.success || !claims.success) return false;
  if (claims.data.exp !== undefined && claims.data.exp * 1000 < now) return false;
  const { checksum_sha256: sha256, checksum: sha1 } = claims.data;
  if (sha256 !== undefined) return sameSecret(createHash('sha256').update(body).digest('hex'), sha256.toLowerCase());
  if (sha1 !== undefined) return sameSecret(createHash('sha1').update(body).digest('hex'), sha1.toLowerCase());
  return false;
}

function decodeSegment(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Signs a body as a Data Connector does: for the simulator and tests. */
export function signDtBody(body: string | Uint8Array, secret: string, issuedAt: number): string {
  const seg = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const h = seg({ alg: 'HS256', typ: 'JWT' });
  const c = seg({
    checksum: createHash('sha1').update(body).digest('hex'),
    checksum_sha256: createHash('sha256').update(body).digest('hex'),
    iat: Math.floor(issuedAt / 1000),
    exp: Math.floor(issuedAt / 1000) + 300,
  });
  return `${h}.${c}.${createHmac('sha256', secret).update(`${h}.${c}`).digest('base64url')}`;
}
