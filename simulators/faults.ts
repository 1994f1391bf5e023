/**
 * Faults on demand: the ways real devices misbehave, applied to the model's clean message
 * stream. Seeded, so a faulty stream is as reproducible as a clean one.
 *
 *  - dropout:      a device goes silent for a while; its last will announces `offline`,
 *                  `online` returns with its next message, counters jump over the gap;
 *  - duplicate:    a message delivered twice (QoS 1 redelivery);
 *  - out_of_order: a message overtaken by the device's next one;
 *  - late:         a message held back and delivered `late_delay_s` later, old `ts` intact
 *                  (a gateway flushing its buffer);
 *  - clock_skew:   some devices stamp `ts` off by a constant up to ±`clock_skew_max_s`;
 *  - malformed:    truncated JSON, a number sent as a string, an unknown field, a value
 *                  outside the metric's physical range.
 */
import { topics } from '../devices/topics.ts';
import type { FaultKind, SimMessage } from './building.ts';
import { Rng } from './random.ts';
import type { FaultSettings } from './scenario.ts';
import type { GroundTruth } from './truth.ts';

interface DeviceFaultState {
  skewMs: number;
  lastAt: number;
  dropoutUntil: number;
  /** A message waiting to be overtaken by this device's next one. */
  overtaken: SimMessage | null;
}

export interface FaultCounts extends Record<FaultKind, number> {}

const MALFORMATIONS = ['truncated', 'string_number', 'unknown_field', 'out_of_range'] as const;

export class FaultInjector {
  readonly counts: FaultCounts = { dropout: 0, duplicate: 0, out_of_order: 0, late: 0, malformed: 0, clock_skew: 0 };
  private readonly rng: Rng;
  private readonly state = new Map<string, DeviceFaultState>();
  /** Late messages, released in order of their release time. */
  private late: SimMessage[] = [];

  constructor(
    private readonly settings: FaultSettings,
    private readonly site: string,
    devices: readonly string[],
    seed: number | string,
    private readonly truth: GroundTruth | null = null,
  ) {
    this.rng = new Rng(`${seed}/faults`);
    for (const device of devices) {
      const r = this.rng.fork(`skew/${device}`);
      const skewed = r.chance(settings.clock_skew_share);
      const skewMs = skewed ? Math.round(r.uniform(-1, 1) * settings.clock_skew_max_s * 1000) : 0;
      this.state.set(device, { skewMs, lastAt: -1, dropoutUntil: -Infinity, overtaken: null });
    }
  }

  /** Whether any fault is switched on; when none is, `apply` returns its input unchanged. */
  get active(): boolean {
    const s = this.settings;
    return s.dropout_per_device_day > 0 || s.duplicate > 0 || s.out_of_order > 0 || s.late > 0 || s.malformed > 0 || s.clock_skew_share > 0;
  }

  /**
   * Passes the model's messages (in send order, all sent at or before `now`) through the
   * faults and returns what the devices actually deliver, in delivery order.
   */
  apply(messages: readonly SimMessage[], now: number): SimMessage[] {
    if (!this.active) return messages as SimMessage[];
    const out: SimMessage[] = [];
    for (const msg of messages) {
      this.releaseLate(msg.at, out);
      this.one(msg, out);
    }
    this.releaseLate(now, out);
    return out;
  }

  /** Everything still held back (late or waiting to be overtaken), for the end of a run. */
  flush(): SimMessage[] {
    const out: SimMessage[] = [];
    this.releaseLate(Infinity, out);
    for (const s of this.state.values()) {
      if (s.overtaken) out.push(s.overtaken);
      s.overtaken = null;
    }
    return out;
  }

  private releaseLate(upTo: number, out: SimMessage[]): void {
    while (this.late.length > 0 && this.late[0]!.at <= upTo) out.push(this.late.shift()!);
  }

  private one(msg: SimMessage, out: SimMessage[]): void {
    const s = this.settings;
    const st = this.state.get(msg.device);
    if (!st) {
      out.push(msg);
      return;
    }
    const r = this.rng;
    const sinceLast = st.lastAt < 0 ? 0 : msg.at - st.lastAt;
    st.lastAt = msg.at;

    // Dropout: the device falls silent; the broker publishes its will once it is missed.
    if (msg.at < st.dropoutUntil) return;
    if (st.dropoutUntil !== -Infinity) {
      st.dropoutUntil = -Infinity;
      out.push(this.status(msg.device, msg.at, 'online'));
    }
    if (r.chance((s.dropout_per_device_day * sinceLast) / 86_400_000)) {
      const until = msg.at + Math.round(r.exponential(s.dropout_mean_min * 60_000));
      st.dropoutUntil = until;
      this.counts.dropout++;
      this.truth?.events.push({ type: 'dropout', device: msg.device, ts: msg.at, until });
      out.push({ ...this.status(msg.device, msg.at, 'offline'), fault: 'dropout' });
      return;
    }

    let m = msg;
    if (st.skewMs !== 0 && m.payload.startsWith('{"ts":')) {
      m = { ...m, payload: shiftTs(m.payload, st.skewMs), fault: 'clock_skew' };
      this.counts.clock_skew++;
    }
    if (r.chance(s.malformed)) {
      m = { ...m, payload: malform(m.payload, r.pick(MALFORMATIONS)), fault: 'malformed' };
      this.counts.malformed++;
    }

    const deliver = (x: SimMessage) => {
      out.push(x);
      if (st.overtaken) {
        out.push({ ...st.overtaken, at: x.at });
        st.overtaken = null;
      }
    };
    if (r.chance(s.late)) {
      this.counts.late++;
      this.insertLate({ ...m, at: m.at + Math.round(s.late_delay_s * 1000), fault: 'late' });
    } else if (st.overtaken === null && r.chance(s.out_of_order)) {
      this.counts.out_of_order++;
      st.overtaken = { ...m, fault: 'out_of_order' };
    } else {
      deliver(m);
      if (r.chance(s.duplicate)) {
        this.counts.duplicate++;
        out.push({ ...m, fault: 'duplicate' });
      }
    }
  }

  private insertLate(m: SimMessage): void {
    let i = this.late.length;
    while (i > 0 && this.late[i - 1]!.at > m.at) i--;
    this.late.splice(i, 0, m);
  }

  private status(device: string, at: number, payload: 'online' | 'offline'): SimMessage {
    return { at, device, topic: topics.status(this.site, device), payload, retain: true, qos: 1 };
  }
}

function shiftTs(payload: string, skewMs: number): string {
  return payload.replace(/^\{"ts":(\d+)/, (_, ts: string) => `{"ts":${Number(ts) + skewMs}`);
}

/** Damages a JSON object payload so that the native adapter must reject it. */
export function malform(payload: string, how: (typeof MALFORMATIONS)[number]): string {
  switch (how) {
    case 'truncated':
      return payload.slice(0, Math.max(1, Math.floor(payload.length / 2)));
    case 'string_number': {
      // The first numeric field after ts, quoted: {"power_w":"41.6"}.
      const quoted = payload.replace(/,"([a-z_]+)":(-?[\d.]+)/, ',"$1":"$2"');
      return quoted !== payload ? quoted : payload.replace(/^\{/, '{"power_w":"n/a",');
    }
    case 'unknown_field':
      return payload.replace(/^\{/, '{"firmware_debug":1,');
    case 'out_of_range': {
      // A reading far below every metric's physical minimum (a sign error in firmware).
      const broken = payload.replace(/,"([a-z_]+)":(-?[\d.]+)/, ',"$1":-1e12');
      return broken !== payload ? broken : payload.replace(/^\{/, '{"battery_pct":-5,');
    }
  }
}
