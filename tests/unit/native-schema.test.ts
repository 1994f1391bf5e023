import { describe, expect, it } from 'vitest';
import { nativeAdapter } from '../../devices/native/adapter.ts';
import { nativeSampleSchema, nativeTelemetrySchema, plainSample } from '../../devices/native/schema.ts';

const RECEIVED = Date.parse('2026-03-10T10:00:00Z');
const decode = (payload: unknown, topic = 'deskprint/demo/plug-n01/telemetry') =>
  nativeAdapter.decode(topic, Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)), { receivedAt: RECEIVED });

describe('native payload schema', () => {
  it('accepts an object with ts as epoch ms or ISO 8601, and one without ts', () => {
    expect(nativeTelemetrySchema.safeParse({ ts: RECEIVED, power_w: 42 }).success).toBe(true);
    expect(nativeTelemetrySchema.safeParse({ ts: '2026-03-10T10:00:00+01:00', power_w: 42 }).success).toBe(true);
    expect(nativeTelemetrySchema.safeParse({ power_w: 42 }).success).toBe(true);
  });

  it('accepts an array of samples from a gateway flushing its buffer', () => {
    const r = decode([{ ts: RECEIVED - 60_000, power_w: 40, energy_wh: 100 }, { ts: RECEIVED, power_w: 41, energy_wh: 101 }]);
    expect(r.ok && r.readings).toEqual([
      { metric: 'power_w', value: 40, ts: RECEIVED - 60_000 },
      { metric: 'energy_wh', value: 100, ts: RECEIVED - 60_000 },
      { metric: 'power_w', value: 41, ts: RECEIVED },
      { metric: 'energy_wh', value: 101, ts: RECEIVED },
    ]);
  });

  it('stamps a sample without ts with the receive time and stores booleans as 1/0', () => {
    const r = decode({ occupied: true }, 'deskprint/demo/occ-n01/telemetry');
    expect(r.ok && r.readings).toEqual([{ metric: 'occupied', value: 1, ts: RECEIVED }]);
  });

  it('rejects wrong types, unknown fields and empty samples as schema errors naming the path', () => {
    const wrongType = decode({ power_w: '42' });
    expect(wrongType).toMatchObject({ ok: false, reason: 'schema' });
    expect(!wrongType.ok && wrongType.message).toMatch(/power_w/);
    const unknown = decode({ power_kw: 0.042 });
    expect(unknown).toMatchObject({ ok: false, reason: 'schema' });
    expect(!unknown.ok && unknown.message).toMatch(/power_kw/);
    expect(decode({})).toMatchObject({ ok: false, reason: 'schema' });
    expect(decode([])).toMatchObject({ ok: false, reason: 'schema' });
  });

  it('rejects a value outside its unit range as a wrong unit', () => {
    const r = decode({ valve_pct: 4500 }, 'deskprint/demo/heat-north/telemetry');
    expect(r).toMatchObject({ ok: false, reason: 'unit' });
    expect(!r.ok && r.message).toMatch(/valve_pct: 4500 %/);
  });

  it('rejects seconds passed as milliseconds and timestamps from the future', () => {
    expect(decode({ ts: 1_773_000_000, power_w: 1 })).toMatchObject({ ok: false, reason: 'schema' });
    expect(decode({ ts: RECEIVED + 3_600_000, power_w: 1 })).toMatchObject({ ok: false, reason: 'bad_timestamp' });
  });

  it('decodes a check-in with member and action, and refuses half a check-in', () => {
    const r = decode({ member: 'm01', action: 'check_in', desk: 'n01' }, 'deskprint/demo/badge-north/telemetry');
    expect(r.ok && r.checkins).toEqual([{ member: 'm01', action: 'check_in', desk: 'n01', ts: RECEIVED }]);
    expect(decode({ member: 'm01' }, 'deskprint/demo/badge-north/telemetry')).toMatchObject({ ok: false, reason: 'schema' });
  });

  it('reports invalid JSON as bad_json and never throws on garbage', () => {
    expect(decode('{"power_w": ')).toMatchObject({ ok: false, reason: 'bad_json' });
    expect(() => nativeAdapter.decode('deskprint/demo/x/telemetry', new Uint8Array([0xff, 0xfe, 0x00]), { receivedAt: RECEIVED })).not.toThrow();
  });

  it('reports a payload that is not UTF-8 as bad_encoding, and the next good one decodes', () => {
    // A truncated multi-byte sequence: the decoder must not carry it into the next message.
    const bad = Buffer.concat([Buffer.from('{"power_w": 4'), Buffer.from([0xe2, 0x82])]);
    expect(nativeAdapter.decode('deskprint/demo/plug-n01/telemetry', bad, { receivedAt: RECEIVED })).toMatchObject({ ok: false, reason: 'bad_encoding' });
    expect(decode({ power_w: 42 })).toMatchObject({ ok: true, readings: [{ metric: 'power_w', value: 42 }] });
  });

  it('decodes status online/offline and rejects anything else', () => {
    expect(nativeAdapter.decode('deskprint/demo/plug-n01/status', Buffer.from('offline'), { receivedAt: RECEIVED })).toMatchObject({ ok: true, status: 'offline' });
    expect(nativeAdapter.decode('deskprint/demo/plug-n01/status', Buffer.from('maybe'), { receivedAt: RECEIVED })).toMatchObject({ ok: false, reason: 'schema' });
  });

  it('takes the fast path only for samples the schema accepts unchanged', () => {
    const cases: unknown[] = [
      { power_w: 42 }, { ts: RECEIVED, power_w: 42, energy_wh: 1.5 }, { occupied: true }, { occupied: 1 }, { on: false, power_w: 0 },
      { ts: RECEIVED / 1000, power_w: 1 }, { ts: RECEIVED + 0.5, power_w: 1 }, { ts: '2026-03-10T10:00:00Z', power_w: 1 }, { ts: 2 ** 60, power_w: 1 },
      { power_w: '42' }, { power_w: null }, { power_w: 42, colour: 'red' }, { ts: RECEIVED }, {}, [], [{ power_w: 1 }], null, 42, 'x',
      { member: 'm1', action: 'check_in' }, { power_w: 1, member: 'm1' }, JSON.parse('{"__proto__": {"power_w": 1}}'), JSON.parse('{"constructor": 1}'),
      { battery_pct: 150 }, { temperature_c: -300 }, { energy_wh: -1 },
    ];
    let fast = 0;
    for (const v of cases) {
      const plain = plainSample(v);
      const schema = nativeSampleSchema.safeParse(v);
      if (plain === undefined) continue;
      fast++;
      // Whatever the fast path takes, the schema takes too, and gives the same sample.
      expect(schema.success, JSON.stringify(v)).toBe(true);
      expect(plain).toEqual(schema.data);
    }
    expect(fast).toBe(7); // the four plain samples and the three whose range the adapter checks
    // And the adapter's answers do not depend on the path: range errors are the adapter's.
    expect(decode({ battery_pct: 150 })).toMatchObject({ ok: false, reason: 'unit' });
    expect(decode({ power_w: 42, colour: 'red' })).toMatchObject({ ok: false, reason: 'schema', message: expect.stringMatching(/colour/) });
  });
});
