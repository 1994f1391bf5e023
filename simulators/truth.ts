/**
 * Ground truth: what the simulated building really did, so tests can compare deskprint's
 * results with it. Written as NDJSON, one record per line; the format is documented in
 * docs/simulator.md. Energy is physical energy (what the meters would read with no counter
 * resets and no lost messages), per device per accounting interval.
 */
import { writeFileSync } from 'node:fs';
import { localDay } from './clock.ts';

export interface TruthSession {
  member: string;
  desk: string | null;
  zone: string | null;
  /** Reader that saw the check-in, or null when the member did not badge in. */
  reader: string | null;
  arrive: number;
  leave: number | null;
  /** Whether a check_out was published when the member left. */
  checked_out: boolean;
  /** Lunch breaks away from the desk, [from, to] epoch ms. */
  breaks: Array<[number, number]>;
}

export interface TruthCheckin {
  ts: number;
  member: string;
  action: 'check_in' | 'check_out';
  device: string;
  desk: string | null;
}

export interface TruthEvent {
  type: 'counter_reset' | 'dropout' | 'battery_replaced';
  device: string;
  ts: number;
  until?: number;
}

export interface DeviceInfo {
  device: string;
  kind: string;
  category: string | null;
  carrier: string | null;
  desk: string | null;
  zone: string | null;
}

export class GroundTruth {
  /** device → interval start → Wh. */
  readonly energy = new Map<string, Map<number, number>>();
  readonly sessions: TruthSession[] = [];
  readonly checkins: TruthCheckin[] = [];
  readonly events: TruthEvent[] = [];
  readonly devices = new Map<string, DeviceInfo>();
  /** `member date` → desk plug Wh while the member held the desk (lunch included). */
  readonly memberDeskWh = new Map<string, number>();

  /** `timeZone` splits presence into local days for the member-day records. */
  constructor(
    readonly intervalMs: number,
    readonly timeZone = 'UTC',
  ) {}

  addMemberDeskEnergy(member: string, localDate: string, wh: number): void {
    const key = `${member} ${localDate}`;
    this.memberDeskWh.set(key, (this.memberDeskWh.get(key) ?? 0) + wh);
  }

  /**
   * Per member and local day: hours present (arrival to leaving, split at local midnight),
   * hours at the desk (present minus breaks), and desk plug energy while holding the desk.
   * Sessions still open count up to `end`.
   */
  memberDays(end: number): Array<{ member: string; date: string; present_h: number; at_desk_h: number; desk_wh: number }> {
    const days = new Map<string, { member: string; date: string; present_h: number; at_desk_h: number; desk_wh: number }>();
    const row = (member: string, date: string) => {
      const key = `${member} ${date}`;
      let r = days.get(key);
      if (!r) {
        r = { member, date, present_h: 0, at_desk_h: 0, desk_wh: this.memberDeskWh.get(key) ?? 0 };
        days.set(key, r);
      }
      return r;
    };
    const spread = (member: string, from: number, to: number, field: 'present_h' | 'at_desk_h', sign: number) => {
      for (let t = from; t < to; ) {
        const day = localDay(t, this.timeZone);
        const until = Math.min(to, day.end);
        row(member, day.date)[field] += (sign * (until - t)) / 3_600_000;
        t = until;
      }
    };
    for (const s of this.sessions) {
      const leave = s.leave ?? end;
      spread(s.member, s.arrive, leave, 'present_h', 1);
      spread(s.member, s.arrive, leave, 'at_desk_h', 1);
      for (const [a, b] of s.breaks) spread(s.member, a, b, 'at_desk_h', -1);
    }
    for (const key of this.memberDeskWh.keys()) {
      const [member, date] = key.split(' ') as [string, string];
      row(member, date);
    }
    return [...days.values()].sort((a, b) => (a.date === b.date ? a.member.localeCompare(b.member) : a.date.localeCompare(b.date)));
  }

  describe(info: DeviceInfo): void {
    this.devices.set(info.device, info);
  }

  /** Adds constant power `powerW` over [from, to) to `device`, split at interval boundaries. */
  addEnergy(device: string, from: number, to: number, powerW: number): void {
    if (to <= from || powerW === 0) return;
    let series = this.energy.get(device);
    if (!series) {
      series = new Map();
      this.energy.set(device, series);
    }
    let t = from;
    while (t < to) {
      const bucket = Math.floor(t / this.intervalMs) * this.intervalMs;
      const end = Math.min(to, bucket + this.intervalMs);
      series.set(bucket, (series.get(bucket) ?? 0) + (powerW * (end - t)) / 3_600_000);
      t = end;
    }
  }

  totalWh(device: string, from = -Infinity, to = Infinity): number {
    let sum = 0;
    for (const [bucket, wh] of this.energy.get(device) ?? []) if (bucket >= from && bucket < to) sum += wh;
    return sum;
  }

  /** NDJSON lines in a stable order: meta, devices, energy, sessions, member days, check-ins, events. */
  toNdjson(meta: Record<string, unknown>): string {
    const lines: string[] = [JSON.stringify({ type: 'meta', interval_min: this.intervalMs / 60_000, ...meta })];
    for (const info of [...this.devices.values()].sort((a, b) => a.device.localeCompare(b.device))) lines.push(JSON.stringify({ type: 'device', ...info }));
    for (const device of [...this.energy.keys()].sort()) {
      for (const [bucket, wh] of [...this.energy.get(device)!].sort((a, b) => a[0] - b[0])) {
        lines.push(JSON.stringify({ type: 'energy', device, interval_start: new Date(bucket).toISOString(), wh: Math.round(wh * 1000) / 1000 }));
      }
    }
    for (const s of this.sessions) {
      lines.push(
        JSON.stringify({
          type: 'session',
          member: s.member,
          desk: s.desk,
          zone: s.zone,
          reader: s.reader,
          arrive: new Date(s.arrive).toISOString(),
          leave: s.leave === null ? null : new Date(s.leave).toISOString(),
          checked_out: s.checked_out,
          breaks: s.breaks.map(([a, b]) => [new Date(a).toISOString(), new Date(b).toISOString()]),
        }),
      );
    }
    const end = typeof meta.to === 'string' ? Date.parse(meta.to) : this.sessions.reduce((m, s) => Math.max(m, s.leave ?? s.arrive), 0);
    for (const d of this.memberDays(end)) {
      lines.push(JSON.stringify({ type: 'member_day', ...d, present_h: round3(d.present_h), at_desk_h: round3(d.at_desk_h), desk_wh: round3(d.desk_wh) }));
    }
    for (const c of this.checkins) lines.push(JSON.stringify({ type: 'checkin', ts: new Date(c.ts).toISOString(), member: c.member, action: c.action, device: c.device, desk: c.desk }));
    for (const e of this.events) {
      lines.push(JSON.stringify({ type: e.type, device: e.device, ts: new Date(e.ts).toISOString(), ...(e.until !== undefined ? { until: new Date(e.until).toISOString() } : {}) }));
    }
    return lines.join('\n') + '\n';
  }

  write(path: string, meta: Record<string, unknown>): void {
    writeFileSync(path, this.toNdjson(meta));
  }
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;
