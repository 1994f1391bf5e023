/**
 * The building model: members come and go, desks draw power, zones heat and light up, common
 * loads run, and every device reports at its cadence. A pure function of (scenario, seed,
 * start time): time only moves through `advance(to)`, randomness only comes from the seeded
 * Rng, so the same inputs give the same message stream byte for byte.
 *
 * Physics (zone temperatures, lighting, common loads) is updated every `step_s`; member
 * events and device reports keep their exact times. Energy is integrated exactly between
 * power changes, so a counter always equals the integral of the powers reported before it.
 */
import { gridIntensityCurve } from './grid-forecast.ts';
import { DEVICE_KINDS, type DeviceKind } from '../devices/kinds.ts';
import { deviceCategory, type SiteDevice } from '../devices/site.ts';
import { topics } from '../devices/topics.ts';
import { localDay, type LocalDay } from './clock.ts';
import { Rng } from './random.ts';
import type { Scenario } from './scenario.ts';
import { GroundTruth, type TruthSession } from './truth.ts';

/** One MQTT message as a device would send it. */
export interface SimMessage {
  /** Simulated send time, epoch ms. */
  at: number;
  device: string;
  topic: string;
  payload: string;
  retain: boolean;
  qos: 0 | 1;
  /** Set by the fault injector on messages it damaged or invented; never published. */
  fault?: FaultKind;
}

export type FaultKind = 'dropout' | 'duplicate' | 'out_of_order' | 'late' | 'malformed' | 'clock_skew';

export interface BuildingOptions {
  scenario: Scenario;
  seed?: number;
  /** Simulated start, epoch ms. */
  start: number;
  /**
   * Demo mode: a working day at any hour (started outside office hours, the building's clock
   * is shifted into one), with readings every few seconds. Members keep the scenario's
   * habits: they arrive, stay for hours, lunch, change desk, leave.
   */
  demo?: boolean;
  truth?: GroundTruth;
  /**
   * Counter readings (Wh) to continue from, by device id: the demo restarts with
   * `npm start`, and a counter that came back lower would read as a reset (METHODOLOGY §1,
   * the whole reading counted as new energy). `deskprint start --demo` passes the last
   * stored values.
   */
  initialCounters?: Readonly<Record<string, number>>;
}

/** Demo cadences, s: fast enough that a dashboard visibly moves. */
const DEMO_CADENCE_S: Record<DeviceKind, number> = {
  desk_occupancy: 15, desk_plug: 4, zone_heating: 5, zone_lighting: 5, meter: 3, people_counter: 30, badge_reader: 600, environment: 20, outdoor_sensor: 20, grid_feed: 60,
};
/**
 * Demo clock: started between these local times the demo follows the real clock (most
 * members have arrived by 10:00 and most are still in at 15:30); started outside them, its
 * building clock is shifted so that the start reads as DEMO_SHIFTED_START (a lobby display
 * shows a working building at any hour). Weekends run as working days.
 */
const DEMO_REAL_CLOCK_FROM_MIN = 10 * 60;
const DEMO_REAL_CLOCK_TO_MIN = 15 * 60 + 30;
const DEMO_SHIFTED_START_MIN = 10 * 60 + 30;
/** The weekday the demo's schedules read on a Saturday or Sunday (a Wednesday). */
const DEMO_WEEKEND_AS = 3;
/** Demo: members already in at start check in within this long of it, ms. */
const DEMO_CHECKIN_SPREAD_MS = 1_500;
/** A desk change: the walk from the old desk's kiosk to the new desk, ms. */
const DESK_CHANGE_WALK_MS = { min: 60_000, max: 180_000 };
/** A desk change is at least this far from arrival, leaving, lunch and another change. */
const DESK_CHANGE_MARGIN_MS = 45 * 60_000;

/** Artificial light at desk height with the lights on, lx (CIBSE SLL: 300–500 lx offices). */
const ARTIFICIAL_LX = 450;
/** PIR sensors report arrival within seconds, vacancy after their hold time. */
const OCCUPIED_DELAY_MS = 5_000;
const VACANT_DELAY_MS = 90_000;
/** A battery is replaced when it reaches this level. */
const BATTERY_REPLACE_PCT = 5;
/** Assumed length of the working day for spreading kettle uses, h. */
const KETTLE_DAY_H = 9;

interface DeviceSim {
  readonly spec: SiteDevice;
  readonly index: number;
  readonly kind: DeviceKind;
  readonly category: string | null;
  readonly carrier: string | null;
  readonly cadenceMs: number;
  readonly rng: Rng;
  /** Sequence of the pending report; an older scheduled report with another token is void. */
  reportToken: number;
  nextReportAt: number;
  powerW: number;
  integratedTo: number;
  /** Published counter: physical energy since the last reset. */
  counterWh: number;
  battery: number | null;
  /** The carrier's main meter this device is a sub-meter of. */
  main: DeviceSim | null;
  readonly topic: string;
  /** The desk a desk plug powers. */
  desk: DeskSim | null;
}

interface DeskSim {
  readonly id: string;
  readonly zone: string;
  readonly standbyW: number;
  occupant: MemberSim | null;
  plugs: DeviceSim[];
  sensors: DeviceSim[];
}

interface ZoneSim {
  readonly id: string;
  readonly areaM2: number;
  tempC: number;
  setpointC: number;
  valvePct: number;
  heatW: number;
  lightsOn: boolean;
  lastOccupiedAt: number;
  leftOnUntil: number;
  leftOnTonight: boolean;
  heating: DeviceSim[];
  lighting: DeviceSim[];
  kiosks: DeviceSim[];
  desks: DeskSim[];
}

interface MemberSim {
  readonly id: string;
  /** Draws for the member's timetable: which days, when, how long. */
  readonly rng: Rng;
  /** Draws for choices inside the building (desk, reader, check-out), kept apart so that the
   * same population keeps the same timetable in another building (the comparison scenarios). */
  readonly choiceRng: Rng;
  readonly favouriteDesk: string | null;
  readonly daysPerWeek: number;
  readonly inUseW: number;
  present: boolean;
  atLunch: boolean;
  desk: DeskSim | null;
  reader: DeviceSim | null;
  session: TruthSession | null;
  forgetsCheckout: boolean;
  /** Set between a desk change's check-out and the check-in at the new desk. */
  changingFrom: DeskSim | null;
}

type Action =
  | { t: number; order: 0; seq: number; type: 'step' }
  | { t: number; order: 1; seq: number; type: MemberAction; member: MemberSim }
  | { t: number; order: 2; seq: number; type: 'report'; device: DeviceSim; token: number };

type MemberAction = 'arrive' | 'lunch_start' | 'lunch_end' | 'desk_change' | 'leave';

/** Binary min-heap of actions ordered by (time, order, sequence). */
class ActionQueue {
  private readonly items: Action[] = [];
  get size(): number {
    return this.items.length;
  }
  peek(): Action | undefined {
    return this.items[0];
  }
  private less(a: Action, b: Action): boolean {
    return a.t !== b.t ? a.t < b.t : a.order !== b.order ? a.order < b.order : a.seq < b.seq;
  }
  push(a: Action): void {
    const h = this.items;
    h.push(a);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }
  pop(): Action | undefined {
    const h = this.items;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

const round = (v: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};
const clamp = (v: number, min: number, max: number) => Math.min(max, Math.max(min, v));

export class BuildingModel {
  readonly siteId: string;
  readonly truth: GroundTruth | null;
  private readonly initialCounters: Readonly<Record<string, number>>;
  private readonly scenario: Scenario;
  private readonly demo: boolean;
  private readonly rng: Rng;
  private readonly tz: string;
  private readonly stepMs: number;
  private readonly queue = new ActionQueue();
  private seq = 0;
  private now: number;
  /** Building clock − simulated time, ms: 0 but in a demo started outside office hours. */
  private readonly clockShiftMs: number;
  /** The local day of the building clock. */
  private day: LocalDay;
  private weatherOffsetC = 0;
  private cloudFactor = 1;
  private kettleUntil = 0;
  private commonW = 0;
  private readonly devices: DeviceSim[] = [];
  private readonly desks = new Map<string, DeskSim>();
  private readonly zones = new Map<string, ZoneSim>();
  private readonly members: MemberSim[] = [];
  private readonly entranceReaders: DeviceSim[] = [];
  private readonly commonMeters: DeviceSim[] = [];
  private readonly otherMeters: DeviceSim[] = [];
  /** Main meter per carrier, with the sub-meters feeding it and the unmetered remainder. */
  private readonly mains = new Map<string, { meter: DeviceSim; subs: DeviceSim[]; unmeteredW: number; unmeteredTo: number }>();
  private outbox: SimMessage[] = [];

  constructor(opts: BuildingOptions) {
    this.scenario = opts.scenario;
    this.demo = opts.demo ?? false;
    this.rng = new Rng(opts.seed ?? opts.scenario.seed);
    this.truth = opts.truth ?? null;
    this.initialCounters = opts.initialCounters ?? {};
    const site = opts.scenario.site;
    this.siteId = site.id;
    this.tz = site.timezone;
    this.stepMs = Math.round((this.demo ? 1 : opts.scenario.step_s) * 1000);
    this.now = opts.start;
    this.clockShiftMs = this.demo ? demoClockShift(opts.start, this.tz) : 0;
    this.day = localDay(opts.start + this.clockShiftMs, this.tz);
    this.build();
    this.startDay(true);
    this.updatePhysics(this.now);
    this.queue.push({ t: this.now + this.stepMs, order: 0, seq: this.seq++, type: 'step' });
  }

  /** The simulated time everything has been computed up to. */
  get time(): number {
    return this.now;
  }

  /** Runs the model up to `to` (inclusive) and returns the messages sent, in send order. */
  advance(to: number): SimMessage[] {
    for (;;) {
      const next = this.queue.peek();
      if (!next || next.t > to) break;
      this.queue.pop();
      this.now = next.t;
      if (next.type === 'step') {
        this.updatePhysics(next.t);
        this.queue.push({ t: next.t + this.stepMs, order: 0, seq: this.seq++, type: 'step' });
      } else if (next.type === 'report') {
        if (next.token === next.device.reportToken) this.report(next.device, next.t);
      } else {
        this.memberEvent(next.type, next.member, next.t);
      }
    }
    this.now = Math.max(this.now, to);
    const out = this.outbox;
    this.outbox = [];
    return out;
  }

  /** Integrates every energy device up to the current time (for ground truth at the end). */
  settle(): void {
    for (const d of this.devices) this.integrate(d, this.now);
    for (const carrier of this.mains.keys()) this.integrateUnmetered(carrier, this.now);
  }

  deviceIds(): string[] {
    return this.devices.map((d) => d.spec.id);
  }

  // ---- construction ----------------------------------------------------------------------

  private build(): void {
    const site = this.scenario.site;
    const sc = this.scenario;
    for (const z of site.zones) {
      const zr = this.rng.fork(`zone/${z.id}`);
      const sp = sc.heating.occupied_setpoint_c;
      this.zones.set(z.id, {
        id: z.id, areaM2: z.area_m2,
        tempC: this.demo ? sp - zr.uniform(0.3, 1.6) : sp - zr.uniform(2, 5),
        setpointC: sp, valvePct: 0, heatW: 0, lightsOn: false, lastOccupiedAt: -Infinity, leftOnUntil: -Infinity, leftOnTonight: false,
        heating: [], lighting: [], kiosks: [], desks: [],
      });
    }
    for (const d of site.desks) {
      const standby = this.rng.fork(`desk/${d.id}`).uniform(sc.equipment.standby_w.min, sc.equipment.standby_w.max);
      const desk: DeskSim = { id: d.id, zone: d.zone, standbyW: standby, occupant: null, plugs: [], sensors: [] };
      this.desks.set(d.id, desk);
      this.zones.get(d.zone)?.desks.push(desk);
    }
    site.devices.forEach((spec, index) => {
      const kind = spec.kind;
      const cadenceS = this.demo ? DEMO_CADENCE_S[kind] : sc.devices.cadence_s[kind];
      const rng = this.rng.fork(`device/${spec.id}`);
      const category = deviceCategory(spec) ?? null;
      const batteryPowered = sc.devices.battery_drain_pct_per_day[kind] !== undefined && DEVICE_KINDS[kind].metrics.includes('battery_pct' as never);
      const d: DeviceSim = {
        spec, index, kind, category, carrier: spec.carrier ?? null,
        cadenceMs: cadenceS * 1000, rng, reportToken: 0, nextReportAt: 0, powerW: 0, integratedTo: this.now,
        // A counter that has been running for a while: 0…200 kWh for a year-old plug or meter.
        // The random draw happens either way, so the stream stays the same for a seed.
        counterWh: ((drawn: number) => this.initialCounters[spec.id] ?? drawn)(round(rng.uniform(0, 200_000), 1)),
        battery: batteryPowered ? rng.uniform(40, 100) : null,
        main: null,
        topic: topics.telemetry(site.id, spec.id),
        desk: null,
      };
      this.devices.push(d);
      this.truth?.describe({ device: spec.id, kind, category, carrier: d.carrier, desk: spec.desk ?? null, zone: spec.zone ?? null });
      const zone = spec.zone ? this.zones.get(spec.zone) : undefined;
      const desk = spec.desk ? this.desks.get(spec.desk) : undefined;
      if (kind === 'desk_plug' && desk) {
        desk.plugs.push(d);
        d.desk = desk;
      }
      else if (kind === 'desk_occupancy' && desk) desk.sensors.push(d);
      else if (kind === 'zone_heating' && zone) zone.heating.push(d);
      else if (kind === 'zone_lighting' && zone) zone.lighting.push(d);
      else if (kind === 'badge_reader') (zone ? zone.kiosks : this.entranceReaders).push(d);
      else if (kind === 'meter' && category === 'common') this.commonMeters.push(d);
      else if (kind === 'meter' && category !== 'main') this.otherMeters.push(d);
      // First report soon after start, spread over the cadence (demo: within 2 s).
      const firstWithin = this.demo ? Math.min(d.cadenceMs, 2_000) : d.cadenceMs;
      this.scheduleReport(d, this.now + 200 + Math.floor(rng.next() * firstWithin));
    });
    for (const d of this.devices) {
      if (d.category === 'main' && d.carrier && !this.mains.has(d.carrier)) this.mains.set(d.carrier, { meter: d, subs: [], unmeteredW: 0, unmeteredTo: this.now });
    }
    for (const d of this.devices) {
      const main = d.carrier ? this.mains.get(d.carrier) : undefined;
      if (main && d !== main.meter && d.category !== null && d.category !== 'main') {
        main.subs.push(d);
        d.main = main.meter;
      }
    }
    const siteMembers = site.members.map((m) => m.id);
    const count = sc.members.count ?? siteMembers.length;
    const deskIds = [...this.desks.keys()];
    for (let i = 0; i < count; i++) {
      const id = siteMembers[i] ?? `sim-${String(i + 1).padStart(3, '0')}`;
      const mr = this.rng.fork(`member/${id}`);
      const favourite = deskIds.length > 0 && mr.chance(sc.members.favourite_desk_share) ? deskIds[i % deskIds.length]! : null;
      this.members.push({
        id, rng: mr, choiceRng: this.rng.fork(`member-choices/${id}`), favouriteDesk: favourite,
        daysPerWeek: mr.weighted(sc.members.days_per_week) + 1,
        inUseW: mr.uniform(sc.equipment.in_use_w.min, sc.equipment.in_use_w.max),
        present: false, atLunch: false, desk: null, reader: null, session: null, forgetsCheckout: false, changingFrom: null,
      });
    }
  }

  // ---- people ----------------------------------------------------------------------------

  private pushMemberAction(type: MemberAction, member: MemberSim, t: number): void {
    this.queue.push({ t: Math.max(Math.round(t), this.now), order: 1, seq: this.seq++, type, member });
  }

  /** Plans the local day that starts at `this.day`: who comes, when, and for how long. */
  private startDay(first: boolean): void {
    const sc = this.scenario;
    const dayRng = this.rng.fork(`day/${this.day.date}`);
    this.weatherOffsetC = 0.7 * this.weatherOffsetC + dayRng.normal(0, sc.heating.weather_sd_c * Math.sqrt(1 - 0.49));
    this.cloudFactor = dayRng.uniform(0.25, 1);
    for (const z of this.zones.values()) z.leftOnTonight = dayRng.chance(sc.lighting.left_on_probability);
    const weekend = !this.demo && (this.day.weekday === 0 || this.day.weekday === 6);
    // Building-clock minutes of this day → simulated time.
    const minute = (min: number) => this.day.start + min * 60_000 - this.clockShiftMs;
    for (const m of this.members) {
      const r = m.rng;
      const comes = weekend ? r.chance(sc.members.weekend_probability) : r.chance(m.daysPerWeek / 5);
      if (!comes || m.present) continue;
      const a = sc.members.arrival;
      const arriveMin = clamp(r.normal(a.mean, a.sd_min), a.earliest, a.latest);
      const stayMin = clamp(r.normal(sc.members.stay_h.mean, sc.members.stay_h.sd), sc.members.stay_h.min, sc.members.stay_h.max) * 60;
      let arrive = minute(arriveMin) + Math.floor(r.next() * 60_000);
      const leave = arrive + Math.round(stayMin * 60_000);
      // A visit already over when the run starts mid-day never happened, as far as the run knows.
      if (leave <= this.now) continue;
      // The demo's members already in at start badge in at once, so the building is busy at once.
      if (this.demo && first && arrive < this.now) arrive = this.now + Math.floor(m.choiceRng.uniform(0, DEMO_CHECKIN_SPREAD_MS));
      this.pushMemberAction('arrive', m, arrive);
      const l = sc.members.lunch;
      let lunch: [number, number] | null = null;
      if (r.chance(l.probability)) {
        const start = minute(r.normal(l.start, l.sd_min)) + Math.floor(r.next() * 60_000);
        const end = start + Math.max(5, r.normal(l.duration_min, l.duration_sd_min)) * 60_000;
        if (start > arrive + 30 * 60_000 && end < leave - 30 * 60_000) {
          lunch = [start, Math.round(end)];
          this.pushMemberAction('lunch_start', m, start);
          this.pushMemberAction('lunch_end', m, lunch[1]);
        }
      }
      // Desk changes from a stream of their own, so adding them left the timetables as they were.
      for (const t of this.deskChangeTimes(r.fork(`desk-changes/${this.day.date}`), arrive, leave, lunch)) this.pushMemberAction('desk_change', m, t);
      this.pushMemberAction('leave', m, leave);
    }
  }

  /**
   * When a member changes desk during a visit: 0, 1 or 2 times (`members.desk_changes`),
   * each at a random moment away from arrival, leaving, lunch and the other change.
   */
  private deskChangeTimes(r: Rng, arrive: number, leave: number, lunch: [number, number] | null): number[] {
    const count = r.weighted(this.scenario.members.desk_changes);
    const times: number[] = [];
    for (let tries = 0; times.length < count && tries < 8; tries++) {
      const t = Math.round(r.uniform(arrive + DESK_CHANGE_MARGIN_MS, leave - DESK_CHANGE_MARGIN_MS));
      const nearLunch = lunch !== null && t > lunch[0] - DESK_CHANGE_MARGIN_MS && t < lunch[1] + DESK_CHANGE_MARGIN_MS;
      if (t > arrive + DESK_CHANGE_MARGIN_MS && !nearLunch && times.every((o) => Math.abs(o - t) > DESK_CHANGE_MARGIN_MS)) times.push(t);
    }
    return times.sort((a, b) => a - b);
  }

  private chooseDesk(m: MemberSim): DeskSim | null {
    const free = [...this.desks.values()].filter((d) => d.occupant === null && d !== m.changingFrom);
    if (free.length === 0) return null;
    // A desk change goes to another desk, not back to the favourite just left.
    if (m.changingFrom) return m.choiceRng.pick(free);
    if (m.favouriteDesk) {
      const fav = this.desks.get(m.favouriteDesk)!;
      if (fav.occupant === null) return fav;
      const sameZone = free.filter((d) => d.zone === fav.zone);
      if (sameZone.length > 0) return m.choiceRng.pick(sameZone);
    }
    return m.choiceRng.pick(free);
  }

  private memberEvent(type: MemberAction, m: MemberSim, t: number): void {
    if (type === 'arrive') this.arrive(m, t);
    else if (type === 'leave') this.leave(m, t, !m.forgetsCheckout);
    else if (type === 'desk_change') this.changeDesk(m, t);
    else if (m.present) {
      if (m.desk) this.settleDesk(m.desk, t);
      m.atLunch = type === 'lunch_start';
      if (m.session) {
        if (m.atLunch) m.session.breaks.push([t, t]);
        else if (m.session.breaks.length > 0) m.session.breaks[m.session.breaks.length - 1]![1] = t;
      }
      if (m.desk) this.deskChanged(m.desk, t);
    }
  }

  private arrive(m: MemberSim, t: number): void {
    if (m.present) return;
    const sc = this.scenario;
    const desk = this.chooseDesk(m);
    if (desk) this.settleDesk(desk, t);
    const changing = m.changingFrom !== null;
    m.changingFrom = null;
    m.present = true;
    m.atLunch = false;
    m.desk = desk;
    // Forgetting to check out is per visit: a desk change keeps the visit's draw.
    if (!changing) m.forgetsCheckout = m.choiceRng.chance(sc.members.forget_checkout);
    const zone = desk ? this.zones.get(desk.zone)! : null;
    const kiosk = zone && zone.kiosks.length > 0 && (changing || m.choiceRng.chance(sc.members.kiosk_share)) ? zone.kiosks[0]! : null;
    m.reader = kiosk ?? this.entranceReaders[0] ?? zone?.kiosks[0] ?? null;
    m.session = { member: m.id, desk: desk?.id ?? null, zone: desk?.zone ?? null, reader: m.reader?.spec.id ?? null, arrive: t, leave: null, checked_out: false, breaks: [] };
    this.truth?.sessions.push(m.session);
    if (m.reader) this.checkin(m, 'check_in', t);
    if (desk) {
      desk.occupant = m;
      this.deskChanged(desk, t);
    }
  }

  private leave(m: MemberSim, t: number, checksOut: boolean): void {
    if (!m.present) return;
    if (m.reader && checksOut) this.checkin(m, 'check_out', t);
    if (m.session) {
      if (m.atLunch) m.session.breaks[m.session.breaks.length - 1]![1] = t;
      m.session.leave = t;
      m.session.checked_out = m.reader !== null && checksOut;
    }
    const desk = m.desk;
    if (desk) this.settleDesk(desk, t);
    m.present = false;
    m.atLunch = false;
    m.desk = null;
    m.reader = null;
    m.session = null;
    if (desk) {
      desk.occupant = null;
      this.deskChanged(desk, t);
    }
  }

  /**
   * A desk change: the member checks out at the old desk's kiosk and, a short walk later,
   * in at a free desk elsewhere. Only members who badged in at a kiosk (whose desk the
   * records name) change desk; with no other free desk they stay.
   */
  private changeDesk(m: MemberSim, t: number): void {
    const from = m.desk;
    if (!m.present || m.atLunch || !from || m.reader?.spec.zone === undefined) return;
    if (![...this.desks.values()].some((d) => d.occupant === null && d !== from)) return;
    this.leave(m, t, true);
    m.changingFrom = from;
    this.pushMemberAction('arrive', m, t + Math.round(m.choiceRng.uniform(DESK_CHANGE_WALK_MS.min, DESK_CHANGE_WALK_MS.max)));
  }

  private checkin(m: MemberSim, action: 'check_in' | 'check_out', t: number): void {
    const reader = m.reader!;
    // Zone kiosks name the desk; the entrance reader has no desk to name.
    const desk = reader.spec.zone !== undefined && m.desk ? m.desk.id : null;
    this.send(reader, t, { member: m.id, action, ...(desk ? { desk } : {}) }, 1);
    this.truth?.checkins.push({ ts: t, member: m.id, action, device: reader.spec.id, desk });
  }

  /** Integrates a desk's plugs up to `t` before its occupant changes, so energy goes to whoever held it. */
  private settleDesk(desk: DeskSim, t: number): void {
    for (const plug of desk.plugs) this.integrate(plug, t);
  }

  private deskInUse(desk: DeskSim): boolean {
    return desk.occupant !== null && !desk.occupant.atLunch;
  }

  private deskChanged(desk: DeskSim, t: number): void {
    for (const plug of desk.plugs) {
      this.integrate(plug, t);
      plug.powerW = this.plugPower(desk, plug);
    }
    const inUse = this.deskInUse(desk);
    const delay = this.demo ? 1_000 : inUse ? OCCUPIED_DELAY_MS : VACANT_DELAY_MS;
    for (const s of desk.sensors) if (t + delay < s.nextReportAt) this.scheduleReport(s, t + delay);
    if (inUse) this.zones.get(desk.zone)!.lastOccupiedAt = t;
  }

  private plugPower(desk: DeskSim, plug: DeviceSim): number {
    if (!this.deskInUse(desk)) return desk.standbyW;
    return Math.max(desk.standbyW, desk.occupant!.inUseW + plug.rng.normal(0, this.scenario.equipment.noise_w));
  }

  // ---- physics ---------------------------------------------------------------------------

  /** Local schedule time on the building clock; the demo runs every day as a working day. */
  private schedule(t: number): { weekday: number; minute: number } {
    const weekday = this.demo && (this.day.weekday === 0 || this.day.weekday === 6) ? DEMO_WEEKEND_AS : this.day.weekday;
    return { weekday, minute: (t + this.clockShiftMs - this.day.start) / 60_000 };
  }

  private inOccupiedHours(t: number): boolean {
    const { weekday, minute } = this.schedule(t);
    const s = this.scenario.heating.schedule;
    return weekday >= 1 && weekday <= 5 && minute >= s.from && minute < s.to;
  }

  outdoorTempC(t: number): number {
    const h = this.scenario.heating;
    const hour = (t + this.clockShiftMs - this.day.start) / 3_600_000;
    // Warmest around 15:00, coldest around 03:00.
    return h.outdoor_monthly_mean_c[this.day.month]! + this.weatherOffsetC + h.diurnal_amplitude_c * Math.cos((2 * Math.PI * (hour - 15)) / 24);
  }

  /** Daylight at desk height from a simple solar-elevation model (Cooper's declination). */
  daylightLx(t: number): number {
    const l = this.scenario.lighting;
    const b = t + this.clockShiftMs;
    const utcHour = ((b / 3_600_000) % 24 + 24) % 24;
    const solarHour = utcHour + l.longitude / 15;
    const decl = (23.44 * Math.PI) / 180 * Math.sin((2 * Math.PI * (284 + this.day.dayOfYear)) / 365);
    const lat = (l.latitude * Math.PI) / 180;
    const hourAngle = ((solarHour - 12) * 15 * Math.PI) / 180;
    const sinElevation = Math.sin(lat) * Math.sin(decl) + Math.cos(lat) * Math.cos(decl) * Math.cos(hourAngle);
    return Math.max(0, sinElevation) * l.peak_daylight_lx * (this.demo ? 0.5 : this.cloudFactor);
  }


  private zoneOccupants(zone: ZoneSim): number {
    let n = 0;
    for (const d of zone.desks) if (this.deskInUse(d)) n++;
    return n;
  }

  private presentCount(): number {
    return this.members.reduce((n, m) => n + (m.present && !m.atLunch ? 1 : 0), 0);
  }

  private updatePhysics(t: number): void {
    if (t + this.clockShiftMs >= this.day.end) {
      this.day = localDay(t + this.clockShiftMs, this.tz);
      this.startDay(false);
    }
    const sc = this.scenario;
    const dtS = this.stepMs / 1000;
    const outdoor = this.outdoorTempC(t);
    const occupiedHours = this.inOccupiedHours(t);
    const scheduled = occupiedHours ? sc.heating.occupied_setpoint_c : sc.heating.setback_setpoint_c;
    const daylight = this.daylightLx(t);
    const { minute } = this.schedule(t);

    for (const zone of this.zones.values()) {
      const people = this.zoneOccupants(zone);
      if (people > 0) zone.lastOccupiedAt = t;
      // Lighting: on while occupied and daylight is short; off after a delay; sometimes left on overnight.
      const wasOn = zone.lightsOn;
      // Occupants switch the lights on when it is dark enough and rarely off again while
      // they are there; the zone's timer switches them off after the last one leaves.
      const recentlyOccupied = t - zone.lastOccupiedAt < sc.lighting.off_delay_min * 60_000;
      if (people > 0 && daylight < sc.lighting.daylight_threshold_lx) zone.lightsOn = true;
      else if (people === 0 && zone.lightsOn && !recentlyOccupied) {
        if (zone.leftOnTonight && minute >= 16 * 60 && zone.leftOnUntil < t) zone.leftOnUntil = this.day.end - this.clockShiftMs + sc.heating.schedule.from * 60_000;
        zone.lightsOn = t < zone.leftOnUntil;
      }
      const lightW = zone.lightsOn ? sc.lighting.w_per_m2 * zone.areaM2 : 0;
      for (const d of zone.lighting) this.setPower(d, t, lightW / zone.lighting.length);
      if (wasOn !== zone.lightsOn) for (const d of zone.lighting) this.scheduleReport(d, t + 1_000);

      // Heating: a one-node thermal model with proportional valve control. Occupancy control
      // lets an empty zone fall to the standby setpoint during occupied hours.
      const h = sc.heating;
      const idle = t - zone.lastOccupiedAt > h.standby_after_min * 60_000;
      const setpoint = h.control === 'occupancy' && occupiedHours && idle ? h.standby_setpoint_c : scheduled;
      zone.setpointC = setpoint;
      let plugW = 0;
      for (const d of zone.desks) for (const p of d.plugs) plugW += p.powerW;
      const gains = people * h.gain_per_person_w + plugW + lightW;
      const lossW = h.loss_w_per_k_m2 * zone.areaM2 * (zone.tempC - outdoor);
      zone.tempC += ((zone.heatW + gains - lossW) * dtS) / (h.capacity_j_per_k_m2 * zone.areaM2);
      // Valve positions in whole percent, as TRVs and actuators report them.
      zone.valvePct = zone.heating.length > 0 ? Math.round(clamp(((setpoint - zone.tempC) / h.proportional_band_k) * 100, 0, 100)) : 0;
      zone.heatW = (zone.valvePct / 100) * h.max_heat_w_per_m2 * zone.areaM2;
      for (const d of zone.heating) {
        const efficiency = h.efficiency[(d.carrier ?? 'gas') as 'gas' | 'electricity' | 'heat'];
        this.setPower(d, t, zone.heatW / zone.heating.length / efficiency);
      }
    }

    // Common loads: network always, ventilation on the occupied schedule, kitchen with kettle uses.
    const c = sc.common;
    const present = this.presentCount();
    const kettleChance = (c.kettle_uses_per_person_day * present * dtS) / (KETTLE_DAY_H * 3600);
    if (t >= this.kettleUntil && this.rng.chance(kettleChance)) this.kettleUntil = t + c.kettle_use_min * 60_000;
    this.commonW = c.network_w + (occupiedHours ? c.ventilation_occupied_w : c.ventilation_unoccupied_w) + c.kitchen_base_w + (t < this.kettleUntil ? c.kettle_w : 0);
    for (const d of this.commonMeters) this.setPower(d, t, this.commonW / this.commonMeters.length);
    // Meters of other categories (hvac, a zone sub-meter): a steady small load.
    for (const d of this.otherMeters) this.setPower(d, t, 150);

    // Main meters: the sum of their carrier's sub-meters plus an unmetered remainder.
    for (const [carrier, main] of this.mains) {
      this.integrateUnmetered(carrier, t);
      const subW = main.subs.reduce((s, d) => s + d.powerW, 0);
      main.unmeteredW =
        carrier === 'electricity'
          ? sc.main.electricity_base_w + sc.main.electricity_share * subW
          : carrier === 'gas'
            ? sc.main.gas_base_w + sc.main.gas_per_person_w * present
            : 0;
      this.integrate(main.meter, t);
      main.meter.powerW = subW + main.unmeteredW;
    }
  }

  private setPower(d: DeviceSim, t: number, powerW: number): void {
    // Integration runs lazily from the last change; an unchanged power needs none now.
    if (powerW === d.powerW) return;
    this.integrate(d, t);
    d.powerW = powerW;
  }

  /** Adds the energy since the device's last integration at its current power. */
  private integrate(d: DeviceSim, t: number): void {
    if (t <= d.integratedTo) return;
    const from = d.integratedTo;
    d.integratedTo = t;
    if (d.powerW === 0 || d.category === 'main') return;
    const wh = (d.powerW * (t - from)) / 3_600_000;
    d.counterWh += wh;
    this.truth?.addEnergy(d.spec.id, from, t, d.powerW);
    if (d.desk?.occupant) this.truth?.addMemberDeskEnergy(d.desk.occupant.id, this.day.date, wh);
    if (d.main) {
      d.main.counterWh += wh;
      this.truth?.addEnergy(d.main.spec.id, from, t, d.powerW);
    }
  }

  private integrateUnmetered(carrier: string, t: number): void {
    const main = this.mains.get(carrier)!;
    if (t <= main.unmeteredTo) return;
    const from = main.unmeteredTo;
    main.unmeteredTo = t;
    if (main.unmeteredW === 0) return;
    main.meter.counterWh += (main.unmeteredW * (t - from)) / 3_600_000;
    this.truth?.addEnergy(main.meter.spec.id, from, t, main.unmeteredW);
    this.truth?.addEnergy(`unmetered-${carrier}`, from, t, main.unmeteredW);
  }

  // ---- reports ---------------------------------------------------------------------------

  private scheduleReport(d: DeviceSim, t: number): void {
    t = Math.round(t);
    d.reportToken++;
    d.nextReportAt = t;
    this.queue.push({ t, order: 2, seq: this.seq++, type: 'report', device: d, token: d.reportToken });
  }

  /**
   * Queues a telemetry message. `body` is an object, or for the most frequent reports the
   * JSON members already written out (`"power_w":41.6,…`): a simulated month is millions of
   * payloads, and this is the same bytes as JSON.stringify({ ts, ...body }) without the cost.
   */
  private send(d: DeviceSim, t: number, body: Record<string, string | number | boolean> | string, qos: 0 | 1 = 0): void {
    let payload = `{"ts":${t}`;
    if (typeof body === 'string') payload += `,${body}`;
    else {
      for (const key in body) {
        const v = body[key];
        payload += `,"${key}":${typeof v === 'string' ? JSON.stringify(v) : String(v)}`;
      }
    }
    payload += '}';
    this.outbox.push({ at: t, device: d.spec.id, topic: d.topic, payload, retain: false, qos });
  }


  private report(d: DeviceSim, t: number): void {
    const jitter = this.scenario.devices.jitter * (this.demo ? 2 : 1);
    this.scheduleReport(d, t + Math.round(d.cadenceMs * (1 + d.rng.uniform(-jitter, jitter))));
    this.drainBattery(d, t);
    const battery: Record<string, number> = d.battery === null ? {} : { battery_pct: Math.round(d.battery) };
    switch (d.kind) {
      case 'desk_occupancy': {
        const desk = this.desks.get(d.spec.desk!)!;
        this.send(d, t, `"occupied":${this.deskInUse(desk)}${d.battery === null ? '' : `,"battery_pct":${Math.round(d.battery)}`}`);
        return;
      }
      case 'desk_plug': {
        const desk = this.desks.get(d.spec.desk!)!;
        this.integrate(d, t);
        d.powerW = this.plugPower(desk, d);
        this.maybeResetCounter(d, t);
        this.send(d, t, `"power_w":${round(d.powerW, 1)},"energy_wh":${round(d.counterWh, 2)},"on":true`);
        return;
      }
      case 'zone_heating': {
        const zone = this.zones.get(d.spec.zone!)!;
        this.integrate(d, t);
        this.maybeResetCounter(d, t);
        this.send(d, t, {
          temperature_c: round(zone.tempC, 1), setpoint_c: zone.setpointC, valve_pct: Math.round(zone.valvePct),
          power_w: round(d.powerW, 1), energy_wh: round(d.counterWh, 2), on: zone.valvePct > 0,
        });
        return;
      }
      case 'zone_lighting': {
        const zone = this.zones.get(d.spec.zone!)!;
        this.integrate(d, t);
        this.maybeResetCounter(d, t);
        const lux = this.daylightLx(t) + (zone.lightsOn ? ARTIFICIAL_LX : 0);
        this.send(d, t, { on: zone.lightsOn, power_w: round(d.powerW, 1), energy_wh: round(d.counterWh, 2), illuminance_lx: Math.round(lux) });
        return;
      }
      case 'meter': {
        const main = d.category === 'main' && d.carrier ? this.mains.get(d.carrier) : undefined;
        if (main?.meter === d) {
          for (const s of main.subs) this.integrate(s, t);
          this.integrateUnmetered(d.carrier!, t);
        } else this.integrate(d, t);
        this.maybeResetCounter(d, t);
        this.send(d, t, `"power_w":${round(d.powerW, 1)},"energy_wh":${round(d.counterWh, 2)}`);
        return;
      }
      case 'badge_reader':
        if (d.battery !== null) this.send(d, t, battery);
        return;
      case 'environment': {
        const zone = d.spec.zone ? this.zones.get(d.spec.zone) : undefined;
        const people = zone ? this.zoneOccupants(zone) : 0;
        this.send(d, t, {
          temperature_c: round(zone?.tempC ?? 20, 1), humidity_pct: round(45 + d.rng.normal(0, 3), 1),
          co2_ppm: Math.round(420 + people * 60 + d.rng.uniform(0, 30)), ...battery,
        });
        return;
      }
      case 'people_counter': {
        const zone = d.spec.zone ? this.zones.get(d.spec.zone) : undefined;
        this.send(d, t, { people_count: zone ? this.zoneOccupants(zone) : 0, ...battery });
        return;
      }
      case 'outdoor_sensor':
        // The same outdoor air the zones lose heat to, so heating follows degree days.
        this.send(d, t, { temperature_c: round(this.outdoorTempC(t) + d.rng.normal(0, 0.2), 1), humidity_pct: round(80 + d.rng.normal(0, 4), 1), ...battery });
        return;
      case 'grid_feed':
        // The curve the simulated forecast follows (simulators/grid-forecast.ts), plus noise.
        this.send(d, t, { grid_intensity_g_per_kwh: Math.round(gridIntensityCurve(t) + d.rng.normal(0, 10)) });
        return;
    }
  }

  private maybeResetCounter(d: DeviceSim, t: number): void {
    const chance = (this.scenario.devices.counter_reset_per_day * d.cadenceMs) / 86_400_000;
    if (!this.demo && d.rng.chance(chance)) {
      d.counterWh = 0;
      this.truth?.events.push({ type: 'counter_reset', device: d.spec.id, ts: t });
    }
  }

  private drainBattery(d: DeviceSim, t: number): void {
    if (d.battery === null) return;
    const perDay = this.scenario.devices.battery_drain_pct_per_day[d.kind] ?? 0;
    d.battery -= (perDay * d.cadenceMs) / 86_400_000;
    if (d.battery < BATTERY_REPLACE_PCT) {
      d.battery = 100;
      this.truth?.events.push({ type: 'battery_replaced', device: d.spec.id, ts: t });
    }
  }
}

/**
 * The demo's building clock shift at `start`: 0 when the local time is inside the demo's
 * real-clock hours, otherwise what moves `start` to DEMO_SHIFTED_START that local day.
 */
export function demoClockShift(start: number, tz: string): number {
  const day = localDay(start, tz);
  const minute = (start - day.start) / 60_000;
  if (minute >= DEMO_REAL_CLOCK_FROM_MIN && minute < DEMO_REAL_CLOCK_TO_MIN) return 0;
  return day.start + DEMO_SHIFTED_START_MIN * 60_000 - start;
}
