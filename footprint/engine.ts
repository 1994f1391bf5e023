/**
 * The footprint engine for one site (METHODOLOGY.md §1–5): a state machine fed readings and
 * check-ins IN TIME ORDER. Ordering, lateness and recompute live around it (stream.ts,
 * recompute.ts); both the live path and the batch path drive this same class, which is
 * why they agree.
 *
 * State held: the meters' last readings, the open accounting intervals, the presence
 * tracker, and the accumulators of the open calendar month. Closed intervals, days and
 * months are written out as points and forgotten, so memory does not grow with history.
 *
 * An interval [s, e) closes once the input is complete up to e + closeDelay, where
 * closeDelay = max(max_gap, 30 min): no later power reading can reach back into it (the
 * trapezoid spans at most max_gap) and every auto check-out that ends a session inside it
 * has been decided (30 min of unoccupancy). Counters may spread a difference over any
 * length of silence, so a live engine also waits for a counter that reported recently
 * (`counterHoldMs`); a difference that still lands in a closed interval is reported via
 * `onLateEnergy` so the caller can schedule a recompute.
 */
import { occupancyTiming, type Carrier } from '../devices/kinds.ts';
import { deviceCategory, deviceScope, type FactorSet, type SiteFile } from '../devices/site.ts';
import type { Point } from '../store/types.ts';
import { allocateInterval, type CarrierBalance, type MeterEnergy, type MeterRole } from './allocate.ts';
import { clockOf, type LocalClock, type LocalDay } from './clock.ts';
import { billItems, energyCost, hasTariffs, intervalPrices, standingCost, type IntervalPrice } from './cost.ts';
import { SCENARIOS, baselineAccrual, baselineDay, factorOf, factorSetFor } from './emissions.ts';
import { AUTO_CHECKOUT_MS, PresenceTracker, type IntervalPresence, type SensorTiming } from './presence.ts';
import type { EnrichedCheckin, EnrichedReading, FootprintEvent } from './events.ts';
import {
  ACCOUNT_POOL, ACCOUNT_SITE, ACCOUNT_UNALLOCATED, FIELD, M_DAY, M_INTERVAL, M_MONTH, M_PRESENCE, M_SESSION, M_SITE,
  type DayFields, type IntervalFields, type MonthFields, type SeriesFields, type SiteFields,
} from './schema.ts';

const WH_PER_KWH = 1000;
/** W·ms per kWh. */
const WMS_PER_KWH = 3.6e9;
const HOUR_MS = 3_600_000;
/** A grid-intensity value is used for intervals ending at most this long after it. */
const GRID_STALE_MS = 2 * HOUR_MS;
const NO_PRICES: ReadonlyMap<Carrier, IntervalPrice> = new Map();

export interface EngineOptions {
  /** Intervals starting before this are computed (to warm meters up) but not reported. */
  outputFrom?: number;
  /**
   * Live engines: how long an interval stays open waiting for a counter that has not yet
   * reported past its end. Batch runs close everything at `finish`, so they need none.
   */
  counterHoldMs?: number;
  /** Called with the start of a closed interval that a late counter difference reached. */
  onLateEnergy?: (intervalStart: number) => void;
  /**
   * Called when a month is finalised that the engine did not see from its start (a live
   * engine started mid-month): its pool and hours are partial, so it needs a recompute.
   */
  onPartialMonth?: (monthStart: number) => void;
}

/** The two kinds of meter reading, in their canonical order at equal timestamps (`energy_wh` < `power_w`). */
export const METER_COUNTER = 0;
export const METER_POWER = 1;
export type MeterKind = typeof METER_COUNTER | typeof METER_POWER;

/** A meter's readings in time order, as columns (stream.ts keeps them like this). */
export interface MeterReadings {
  readonly length: number;
  readonly ts: Float64Array;
  readonly kind: Uint8Array;
  readonly value: Float64Array;
}

interface Meter {
  idx: number;
  id: string;
  role: MeterRole;
  carrier: Carrier;
  desk?: string;
  zone?: string;
  /** §1: a device that reports both uses its counter; decided by its first counter reading. */
  mode: 'none' | 'power' | 'counter';
  lastPowerTs: number;
  lastPowerW: number;
  lastCounterTs: number;
  lastCounterWh: number;
}

interface OpenInterval {
  start: number;
  end: number;
  /** kWh from readings, per meter index. */
  energy: Float64Array;
  /** Power-only meters: time inside a gap longer than max_gap, and its expected energy. */
  missingMs: Float64Array;
  missingKwh: Float64Array;
  /** Latest grid-intensity reading inside the interval. */
  grid?: { ts: number; value: number };
}

type ByCarrier = Partial<Record<Carrier, number>>;

interface DayAccount {
  hours: number;
  direct: ByCarrier;
  shared: ByCarrier;
  /** Carbon of direct + shared energy, with each interval's factors. */
  kgco2e: number;
  /** Supplementary grid-intensity carbon of direct + shared electricity (§3). */
  gridKg: number;
  /** Cost of direct + shared energy per carrier, VAT included (§8). */
  cost: ByCarrier;
}

interface DayAcc {
  day: LocalDay;
  factors: FactorSet;
  accounts: Map<string, DayAccount>;
  /** Energy pooled during this day, per carrier (spreads `unallocated` over days). */
  pool: ByCarrier;
  /** Cost pooled during this day: pooled energy and standing charges (§8). */
  poolCost: ByCarrier;
}

interface MonthAcc {
  key: string;
  start: number;
  end: number;
  /** The first interval this engine closed in the month (later than `start` after a mid-month start). */
  firstInterval: number;
  factors: FactorSet;
  days: Map<string, DayAcc>;
  /** H(k) so far. */
  hours: Map<string, number>;
  hoursTotal: number;
  pool: ByCarrier;
  /** Electricity pool energy with a known grid intensity, and its carbon. */
  poolGridKwh: number;
  poolGridKg: number;
  /** M6 book-keeping per carrier. */
  metered: ByCarrier;
  directShared: ByCarrier;
  clamped: ByCarrier;
  /** §8: the pooled cost (pool energy and standing charges), the bill, and direct + shared cost. */
  poolCost: ByCarrier;
  bill: ByCarrier;
  directSharedCost: ByCarrier;
}

/** Conservation of one closed month and carrier (§2 M6). */
export interface MonthConservation {
  site: string;
  month: string;
  carrier: Carrier;
  metered: number;
  allocated: number;
  unallocated: number;
  clamped: number;
  /** metered − (allocated + unallocated). */
  residual: number;
}

export class SiteFootprintEngine {
  readonly site: SiteFile;
  readonly clock: LocalClock;
  readonly closeDelayMs: number;
  readonly carriers: readonly Carrier[];
  readonly #opts: EngineOptions;
  readonly #maxGapMs: number;
  readonly #meters: Meter[] = [];
  readonly #meterById = new Map<string, Meter>();
  readonly #occupancyDesk = new Map<string, string>();
  readonly #gridDevices = new Set<string>();
  readonly #mainCarriers = new Set<Carrier>();
  readonly #members: ReadonlySet<string>;
  /** Whether the site prices any carrier (§8); without tariffs no cost field is written. */
  readonly #priced: boolean;
  readonly #presence: PresenceTracker;
  readonly #open = new Map<number, OpenInterval>();
  #lastOpen: OpenInterval | undefined;
  /** Start of the next interval to close; everything before it is closed. NaN before any input. */
  #nextClose = Number.NaN;
  #grid: { ts: number; value: number } | undefined;
  #month: MonthAcc | undefined;
  #points: Point[] = [];
  #today: { key: string; metered: ByCarrier; kg: number } | undefined;
  readonly conservation: MonthConservation[] = [];

  constructor(site: SiteFile, opts: EngineOptions = {}) {
    this.site = site;
    this.#opts = opts;
    this.clock = clockOf(site);
    this.#maxGapMs = site.max_gap_min * 60_000;
    this.closeDelayMs = Math.max(this.#maxGapMs, AUTO_CHECKOUT_MS);
    const deskZone = new Map(site.desks.map((d) => [d.id, d.zone] as const));
    const sensorDesks = new Set<string>();
    const sensorTiming = new Map<string, SensorTiming>();
    const carriers = new Set<Carrier>();
    for (const d of site.devices) {
      if (d.kind === 'desk_occupancy' && d.desk !== undefined) {
        this.#occupancyDesk.set(d.id, d.desk);
        sensorDesks.add(d.desk);
        sensorTiming.set(d.desk, occupancyTiming(d));
        continue;
      }
      if (d.kind === 'grid_feed') {
        this.#gridDevices.add(d.id);
        continue;
      }
      const category = deviceCategory(d);
      if (d.carrier === undefined || category === null) continue;
      const scope = deviceScope(d);
      const role: MeterRole = category === 'main' ? 'main' : scope;
      const m: Meter = {
        idx: this.#meters.length, id: d.id, role, carrier: d.carrier, mode: 'none',
        lastPowerTs: Number.NaN, lastPowerW: 0, lastCounterTs: Number.NaN, lastCounterWh: 0,
        ...(d.desk !== undefined ? { desk: d.desk } : {}),
        ...(d.zone !== undefined ? { zone: d.zone } : d.desk !== undefined ? { zone: deskZone.get(d.desk)! } : {}),
      };
      this.#meters.push(m);
      this.#meterById.set(d.id, m);
      carriers.add(d.carrier);
      if (role === 'main') this.#mainCarriers.add(d.carrier);
    }
    this.carriers = [...carriers].sort();
    this.#members = new Set(site.members.map((m) => m.id));
    this.#priced = hasTariffs(site);
    this.#presence = new PresenceTracker({ clock: this.clock, operator: site.operator, deskZone, sensorDesks, sensorTiming });
  }

  // ---------------------------------------------------------------- input (time order)

  /** Whether a reading can affect the footprint (energy, occupancy, grid intensity). */
  uses(r: Pick<EnrichedReading, 'device' | 'metric'>): boolean {
    if (this.#meterById.has(r.device)) return r.metric === 'energy_wh' || r.metric === 'power_w';
    if (this.#occupancyDesk.has(r.device)) return r.metric === 'occupied';
    return this.#gridDevices.has(r.device) && r.metric === 'grid_intensity_g_per_kwh';
  }

  /** The index of a device's meter (energy or power), or −1: the key for `onMeterReading`. */
  meterIndex(device: string): number {
    return this.#meterById.get(device)?.idx ?? -1;
  }

  /** Whether a meter already counts from its counter, so its power readings change nothing (§1). */
  countsFromCounter(idx: number): boolean {
    return this.#meters[idx]!.mode === 'counter';
  }

  /**
   * Starts the interval clock at the earliest input (a no-op once started). A caller that
   * feeds meters before other events (stream.ts) says where the input begins.
   */
  startAt(ts: number): void {
    this.#start(ts);
  }

  /**
   * A month (billing period, §8) is computed from its start: a priced site owes its
   * standing charge for every day of the period, data or not, so the interval clock starts
   * at the period's start (a no-op once started, or without tariffs).
   */
  coverFrom(periodStart: number): void {
    if (this.#priced) this.#start(periodStart);
  }

  /**
   * One meter reading, by meter index: `onReading` without the lookups. Meters are
   * independent of each other and of presence, so a caller may feed each meter's readings
   * in its own time order (stream.ts).
   */
  onMeterReading(idx: number, ts: number, kind: MeterKind, value: number): void {
    this.#start(ts);
    const meter = this.#meters[idx]!;
    if (kind === METER_COUNTER) this.#onCounter(meter, ts, value);
    else this.#onPower(meter, ts, value);
  }

  onReading(r: EnrichedReading): void {
    if (!this.uses(r)) return; // temperature, battery, …: no effect, not even on the clock
    this.#start(r.ts);
    const meter = this.#meterById.get(r.device);
    if (meter) {
      this.onMeterReading(meter.idx, r.ts, r.metric === 'energy_wh' ? METER_COUNTER : METER_POWER, r.value);
      return;
    }
    const desk = this.#occupancyDesk.get(r.device);
    if (desk !== undefined) {
      this.#presence.occupancy(desk, r.value >= 0.5, r.ts);
      return;
    }
    const iv = this.#interval(this.clock.intervalStart(r.ts));
    if (iv) iv.grid = { ts: r.ts, value: r.value };
  }

  onCheckin(c: EnrichedCheckin): void {
    this.#start(c.ts);
    if (c.action === 'check_in') this.#presence.checkIn(c.member, c.device, c.desk, c.ts);
    else this.#presence.checkOut(c.member, c.ts);
  }

  // ---------------------------------------------------------------- closing

  /**
   * Input is complete before `watermark`: close every interval that nothing later can
   * change (see the header), and return how many closed.
   */
  advance(watermark: number): number {
    if (Number.isNaN(this.#nextClose)) return 0;
    this.#presence.advance(watermark);
    let limit = watermark - this.closeDelayMs;
    const hold = this.#opts.counterHoldMs;
    if (hold !== undefined) {
      for (const m of this.#meters) {
        if (m.mode === 'counter' && watermark - m.lastCounterTs < hold) limit = Math.min(limit, m.lastCounterTs);
      }
    }
    let n = 0;
    while (this.#nextClose + this.clock.intervalMs <= limit) {
      this.#closeInterval(this.#nextClose, watermark);
      n++;
    }
    this.#drainSessions();
    return n;
  }

  /**
   * The input up to `to` is all there is (end of a batch run, or a test's flush): close
   * every interval ending by `to` and re-emit the open month's days with the pool so far.
   * `knownUpTo` (≥ to) says how far the meters' input is known, for the `missing` rule.
   */
  finish(to: number, knownUpTo = to): void {
    if (Number.isNaN(this.#nextClose)) return;
    this.#presence.advance(to);
    while (this.#nextClose + this.clock.intervalMs <= to) this.#closeInterval(this.#nextClose, knownUpTo);
    if (this.#month) for (const d of this.#month.days.values()) this.#emitDay(this.#month, d, false);
    this.#drainSessions();
  }

  /** Points produced since the last call. */
  drainPoints(): Point[] {
    const out = this.#points;
    this.#points = [];
    return out;
  }

  /** Energy and carbon of the site's local day so far (closed intervals plus open ones). */
  today(now: number): { kwh: number; kgco2e: number; by_carrier: Record<string, number> } {
    const day = this.clock.day(now);
    const byCarrier: Record<string, number> = {};
    let kg = 0;
    const factors = factorSetFor(this.site.factors, day.year);
    if (this.#today?.key === day.key) {
      for (const c of this.carriers) byCarrier[c] = this.#today.metered[c] ?? 0;
      kg = this.#today.kg;
    } else for (const c of this.carriers) byCarrier[c] = 0;
    for (const iv of this.#open.values()) {
      if (iv.start < day.start || iv.start >= day.end || iv.start < this.#nextClose) continue;
      for (const c of this.carriers) {
        const e = this.#meteredOpen(iv, c);
        byCarrier[c]! += e;
        kg += e * factorOf(factors, c);
      }
    }
    return { kwh: Object.values(byCarrier).reduce((a, b) => a + b, 0), kgco2e: kg, by_carrier: byCarrier };
  }

  /** Open intervals and presence entries held, for memory checks. */
  get held(): { intervals: number; sessions: number; sensors: number; monthDays: number } {
    return { intervals: this.#open.size, ...this.#presence.size, monthDays: this.#month?.days.size ?? 0 };
  }

  // ---------------------------------------------------------------- meters (§1 "Energy per interval")

  #start(ts: number): void {
    if (Number.isNaN(this.#nextClose)) this.#nextClose = this.clock.intervalStart(ts);
  }

  /** Cumulative counter: the difference is spread uniformly between readings; a decrease is a reset. */
  #onCounter(m: Meter, ts: number, wh: number): void {
    const first = m.mode !== 'counter' || Number.isNaN(m.lastCounterTs);
    m.mode = 'counter';
    if (!first) {
      const diffWh = wh >= m.lastCounterWh ? wh - m.lastCounterWh : wh;
      if (diffWh > 0) this.#spreadUniform(m.idx, m.lastCounterTs, ts, diffWh / WH_PER_KWH);
    }
    // Nothing is counted before a device's first reading.
    m.lastCounterTs = ts;
    m.lastCounterWh = wh;
  }

  /** Power only: trapezoid between readings at most max_gap apart; longer gaps are `missing`. */
  #onPower(m: Meter, ts: number, watts: number): void {
    if (m.mode === 'counter') return; // counters win
    // Negative power (export) is not consumption; allocations are never negative.
    const w = Math.max(0, watts);
    if (m.mode === 'power' && ts > m.lastPowerTs) {
      if (ts - m.lastPowerTs <= this.#maxGapMs) this.#spreadTrapezoid(m.idx, m.lastPowerTs, m.lastPowerW, ts, w);
      else this.#spreadMissing(m.idx, m.lastPowerTs, ts, m.lastPowerW);
    }
    m.mode = 'power';
    m.lastPowerTs = ts;
    m.lastPowerW = w;
  }

  #interval(start: number): OpenInterval | undefined {
    if (this.#lastOpen?.start === start) return this.#lastOpen;
    if (start < this.#nextClose) return undefined;
    let iv = this.#open.get(start);
    if (!iv) {
      const n = this.#meters.length;
      iv = { start, end: start + this.clock.intervalMs, energy: new Float64Array(n), missingMs: new Float64Array(n), missingKwh: new Float64Array(n) };
      this.#open.set(start, iv);
    }
    this.#lastOpen = iv;
    return iv;
  }

  #addEnergy(start: number, idx: number, kwh: number): void {
    const iv = this.#interval(start);
    if (iv) iv.energy[idx]! += kwh;
    else this.#opts.onLateEnergy?.(start);
  }

  #spreadUniform(idx: number, t1: number, t2: number, kwh: number): void {
    const dt = this.clock.intervalMs;
    if (t2 <= t1) {
      this.#addEnergy(this.clock.intervalStart(t2), idx, kwh);
      return;
    }
    let s = this.clock.intervalStart(t1);
    if (s + dt >= t2) {
      this.#addEnergy(s, idx, kwh); // the common case: both readings in one interval
      return;
    }
    for (; s < t2; s += dt) {
      const a = Math.max(t1, s);
      const b = Math.min(t2, s + dt);
      if (b > a) this.#addEnergy(s, idx, (kwh * (b - a)) / (t2 - t1));
    }
  }

  /** ∫ of the line through (t1, p1) and (t2, p2), split exactly at interval boundaries. */
  #spreadTrapezoid(idx: number, t1: number, p1: number, t2: number, p2: number): void {
    const dt = this.clock.intervalMs;
    const slope = (p2 - p1) / (t2 - t1);
    for (let s = this.clock.intervalStart(t1); s < t2; s += dt) {
      const a = Math.max(t1, s);
      const b = Math.min(t2, s + dt);
      if (b <= a) continue;
      const pa = p1 + slope * (a - t1);
      const pb = p1 + slope * (b - t1);
      this.#addEnergy(s, idx, ((pa + pb) / 2) * (b - a) / WMS_PER_KWH);
    }
  }

  /**
   * A gap longer than max_gap: no energy, flagged `missing`. Its expected energy (for the
   * measured share, §5) holds the last power over the gap. Intervals that closed during
   * the gap were flagged when they closed.
   */
  #spreadMissing(idx: number, t1: number, t2: number, watts: number): void {
    const dt = this.clock.intervalMs;
    for (let s = Math.max(this.clock.intervalStart(t1), this.#nextClose); s < t2; s += dt) {
      const a = Math.max(t1, s);
      const b = Math.min(t2, s + dt);
      if (b <= a) continue;
      const iv = this.#interval(s)!;
      iv.missingMs[idx]! += b - a;
      iv.missingKwh[idx]! += (watts * (b - a)) / WMS_PER_KWH;
    }
  }

  /**
   * Provisional metered energy (kWh per carrier) of meter readings the engine has not been
   * fed yet (still inside the lateness window), from each meter's last released state. It
   * changes nothing: it lets the live view show today's energy up to now rather than up to
   * now − lateness. Same rules as §1 (counter diffs, resets, trapezoids within max_gap) and
   * the same metered total per carrier (main, or the sub-meters when they exceed it).
   * `waiting(idx)` gives a meter's waiting readings in time order.
   */
  previewEnergy(waiting: (idx: number) => MeterReadings | undefined, from: number, to: number): Record<string, number> {
    const main = new Map<Carrier, number>();
    const sub = new Map<Carrier, number>();
    for (const m of this.#meters) {
      const w = waiting(m.idx);
      if (!w || w.length === 0) continue;
      const kwh = this.#previewMeter(m, w, from, to);
      const into = m.role === 'main' ? main : sub;
      into.set(m.carrier, (into.get(m.carrier) ?? 0) + kwh);
    }
    const out: Record<string, number> = {};
    for (const c of this.carriers) {
      const sm = sub.get(c) ?? 0;
      out[c] = this.#mainCarriers.has(c) ? Math.max(main.get(c) ?? 0, sm) : sm;
    }
    return out;
  }

  #previewMeter(m: Meter, w: MeterReadings, from: number, to: number): number {
    let counters = 0;
    let powers = 0;
    for (let i = 0; i < w.length; i++) {
      if (w.ts[i]! < from || w.ts[i]! >= to) continue;
      if (w.kind[i] === METER_COUNTER) counters++;
      else powers++;
    }
    let kwh = 0;
    if (counters > 0 && m.mode !== 'power') {
      let prev = Number.NaN;
      if (m.mode === 'counter' && !Number.isNaN(m.lastCounterTs)) prev = m.lastCounterWh;
      for (let i = 0; i < w.length; i++) {
        if (w.kind[i] !== METER_COUNTER || w.ts[i]! < from || w.ts[i]! >= to) continue;
        const wh = w.value[i]!;
        if (Number.isNaN(prev)) prev = wh;
        kwh += (wh >= prev ? wh - prev : wh) / WH_PER_KWH;
        prev = wh;
      }
    } else if (powers > 0 && m.mode !== 'counter') {
      let prevTs = m.lastPowerTs;
      let prevW = m.lastPowerW;
      for (let i = 0; i < w.length; i++) {
        if (w.kind[i] !== METER_POWER || w.ts[i]! < from || w.ts[i]! >= to) continue;
        const ts = w.ts[i]!;
        const pw = w.value[i]!;
        if (Number.isNaN(prevTs)) {
          prevTs = ts;
          prevW = pw;
        }
        const a = Math.max(prevTs, from);
        if (ts > a && ts - prevTs <= this.#maxGapMs) {
          // Trapezoid over the part after `from`, with the line interpolated at `from`.
          const wa = prevW + ((pw - prevW) * (a - prevTs)) / Math.max(1, ts - prevTs);
          kwh += (((wa + pw) / 2) * (ts - a)) / WMS_PER_KWH;
        }
        prevTs = ts;
        prevW = pw;
      }
    }
    return kwh;
  }

  #meteredOpen(iv: OpenInterval, c: Carrier): number {
    let main = 0;
    let sub = 0;
    for (const m of this.#meters) {
      if (m.carrier !== c) continue;
      if (m.role === 'main') main += iv.energy[m.idx]!;
      else sub += iv.energy[m.idx]!;
    }
    return this.#mainCarriers.has(c) ? Math.max(main, sub) : sub;
  }

  // ---------------------------------------------------------------- one interval (§2, §3, §4)

  #closeInterval(start: number, knownUpTo: number): void {
    const n = this.#meters.length;
    const iv = this.#open.get(start) ?? { start, end: start + this.clock.intervalMs, energy: new Float64Array(n), missingMs: new Float64Array(n), missingKwh: new Float64Array(n) };
    this.#open.delete(start);
    if (this.#lastOpen === iv) this.#lastOpen = undefined;
    this.#nextClose = iv.end;
    if (iv.grid) this.#grid = iv.grid;

    // A power meter silent since before the end, with its next reading more than max_gap
    // after its last one (nothing arrived up to `knownUpTo`): the rest of the interval is missing.
    for (const m of this.#meters) {
      if (m.mode !== 'power' || !(m.lastPowerTs < iv.end) || knownUpTo - m.lastPowerTs <= this.#maxGapMs) continue;
      const a = Math.max(m.lastPowerTs, iv.start);
      iv.missingMs[m.idx]! += iv.end - a;
      iv.missingKwh[m.idx]! += (m.lastPowerW * (iv.end - a)) / WMS_PER_KWH;
    }

    const presence = this.#presence.intervalPresence(iv.start, iv.end);
    this.#presence.prune(iv.end);
    const outputFrom = this.#opts.outputFrom ?? -Infinity;
    if (iv.start < outputFrom) return;

    const meters: MeterEnergy[] = this.#meters.map((m) => ({
      device: m.id, role: m.role, carrier: m.carrier, kwh: iv.energy[m.idx]!,
      ...(m.desk !== undefined ? { desk: m.desk } : {}), ...(m.zone !== undefined ? { zone: m.zone } : {}),
    }));
    const balances = allocateInterval(meters, presence, this.carriers, this.#mainCarriers);
    const day = this.clock.day(iv.start);
    const month = this.#monthFor(iv.start, day);
    const dayAcc = this.#dayFor(month, day);
    const factors = dayAcc.factors;
    const ci = this.#grid && iv.end - this.#grid.ts <= GRID_STALE_MS ? this.#grid.value : undefined;
    const hoursPerP = (iv.end - iv.start) / HOUR_MS;
    const prices = this.#priced ? intervalPrices(this.site, this.clock, iv.start, iv.end) : NO_PRICES;

    this.#emitAccounts(iv, presence, balances, dayAcc, month, factors, ci, hoursPerP, prices);
    this.#emitSite(iv, presence, balances, month, dayAcc, factors, ci, prices);

    if (iv.end >= month.end) this.#finalizeMonth(month);
    else if (iv.end >= day.end) this.#emitDay(month, dayAcc, false);
  }

  #emitAccounts(
    iv: OpenInterval, presence: IntervalPresence, balances: Map<Carrier, CarrierBalance>,
    dayAcc: DayAcc, month: MonthAcc, factors: FactorSet, ci: number | undefined, hoursPerP: number,
    prices: ReadonlyMap<Carrier, IntervalPrice>,
  ): void {
    const accounts = new Set<string>(presence.site.keys());
    for (const b of balances.values()) {
      for (const k of b.direct.keys()) accounts.add(k);
      for (const k of b.shared.keys()) accounts.add(k);
    }
    for (const account of [...accounts].sort()) {
      const hours = (presence.site.get(account) ?? 0) * hoursPerP;
      let da = dayAcc.accounts.get(account);
      if (!da) dayAcc.accounts.set(account, (da = { hours: 0, direct: {}, shared: {}, kgco2e: 0, gridKg: 0, cost: {} }));
      const hoursBefore = da.hours;
      const fields: IntervalFields = { hours };
      let direct = 0, shared = 0, kg = 0, directEl = 0, el = 0, cost = 0;
      for (const b of balances.values()) {
        const d = b.direct.get(account) ?? 0;
        const s = b.shared.get(account) ?? 0;
        fields[FIELD.kwh(b.carrier)] = d + s;
        // §8: direct and shared energy at the interval's price, like the energy itself (§2).
        const p = prices.get(b.carrier);
        if (p) {
          const c = energyCost(p, d + s);
          cost += c;
          da.cost[b.carrier] = (da.cost[b.carrier] ?? 0) + c;
        }
        direct += d;
        shared += s;
        kg += (d + s) * factorOf(factors, b.carrier);
        da.direct[b.carrier] = (da.direct[b.carrier] ?? 0) + d;
        da.shared[b.carrier] = (da.shared[b.carrier] ?? 0) + s;
        if (b.carrier === 'electricity') (directEl = d), (el = d + s);
      }
      fields.kwh_direct = direct;
      fields.kwh_shared = shared;
      fields.kgco2e = kg;
      if (this.#priced) fields.cost = cost;
      da.hours += hours;
      da.kgco2e += kg;
      if (ci !== undefined) {
        fields.grid_kgco2e = (el * ci) / 1000;
        da.gridKg += fields.grid_kgco2e;
      }
      if (this.#isMember(account)) {
        for (const sc of SCENARIOS) {
          const base = baselineAccrual(this.site.baseline, factors, sc, hoursBefore, hours, directEl);
          fields[FIELD.baseline(sc)] = base;
          fields[FIELD.avoided(sc)] = base - kg;
        }
      }
      month.hours.set(account, (month.hours.get(account) ?? 0) + hours);
      month.hoursTotal += hours;
      this.#push(M_INTERVAL, { site: this.site.id, account }, fields, iv.start);
    }
  }

  #emitSite(
    iv: OpenInterval, presence: IntervalPresence, balances: Map<Carrier, CarrierBalance>,
    month: MonthAcc, dayAcc: DayAcc, factors: FactorSet, ci: number | undefined,
    prices: ReadonlyMap<Carrier, IntervalPrice>,
  ): void {
    const poolFields: IntervalFields = { kgco2e: 0 };
    if (this.#priced) poolFields.cost = 0;
    for (const b of balances.values()) {
      const c = b.carrier;
      let measured = 0, missing = 0, missingDevices = 0;
      for (const m of this.#meters) {
        if (m.carrier !== c) continue;
        measured += iv.energy[m.idx]!;
        missing += iv.missingKwh[m.idx]!;
        if (iv.missingMs[m.idx]! > 0) missingDevices++;
      }
      let direct = 0, shared = 0;
      for (const v of b.direct.values()) direct += v;
      for (const v of b.shared.values()) shared += v;
      const ef = factorOf(factors, c);
      const fields: SiteFields = {
        metered_kwh: b.metered, sub_kwh: b.sub, residual_kwh: b.residual, clamped_kwh: b.clamped,
        pool_kwh: b.pool, direct_kwh: direct, shared_kwh: shared,
        measured_kwh: measured, missing_kwh: missing, missing_devices: missingDevices,
        kgco2e: b.metered * ef,
      };
      if (b.main !== null) fields.main_kwh = b.main;
      if (c === 'electricity' && ci !== undefined) fields.grid_kgco2e = (b.metered * ci) / 1000;
      // §8: the interval's bill, and the pooled cost: pooled energy plus the standing charge,
      // which is a fixed cost of the site and is shared out like standby energy (M4).
      const p = prices.get(c);
      if (p) {
        const bill = billItems(p, b.metered);
        fields.cost = bill.total;
        fields.cost_energy = bill.energy;
        fields.cost_levies = bill.levies;
        fields.cost_standing = bill.standing;
        fields.cost_vat = bill.vat;
        const poolCost = energyCost(p, b.pool) + standingCost(p);
        poolFields.cost! += poolCost;
        month.poolCost[c] = (month.poolCost[c] ?? 0) + poolCost;
        dayAcc.poolCost[c] = (dayAcc.poolCost[c] ?? 0) + poolCost;
        month.bill[c] = (month.bill[c] ?? 0) + bill.total;
        month.directSharedCost[c] = (month.directSharedCost[c] ?? 0) + energyCost(p, direct + shared);
      } else if (this.#priced && this.site.tariffs[c]) fields.unpriced_kwh = b.metered;
      this.#push(M_SITE, { site: this.site.id, carrier: c }, fields, iv.start);

      poolFields[FIELD.kwh(c)] = b.pool;
      poolFields.kgco2e! += b.pool * ef;
      month.pool[c] = (month.pool[c] ?? 0) + b.pool;
      dayAcc.pool[c] = (dayAcc.pool[c] ?? 0) + b.pool;
      month.metered[c] = (month.metered[c] ?? 0) + b.metered;
      month.directShared[c] = (month.directShared[c] ?? 0) + direct + shared;
      month.clamped[c] = (month.clamped[c] ?? 0) + b.clamped;
      if (c === 'electricity' && ci !== undefined) {
        month.poolGridKwh += b.pool;
        month.poolGridKg += (b.pool * ci) / 1000;
      }
      this.#addToday(dayAcc.day, c, b.metered, b.metered * ef);
    }
    this.#push(M_INTERVAL, { site: this.site.id, account: ACCOUNT_POOL }, poolFields, iv.start);
    const h = presence.hours;
    this.#push(M_PRESENCE, { site: this.site.id }, {
      people: presence.siteN,
      hours_total: presence.siteN * ((iv.end - iv.start) / HOUR_MS),
      desk_session_hours: h.desk_sessions,
      desk_session_hours_sensor: h.desk_sessions_sensor,
      entrance_session_hours: h.entrance_sessions,
      unidentified_hours: h.unidentified,
      sensor_unknown_hours: h.sensor_unknown,
    }, iv.start);
  }

  // ---------------------------------------------------------------- days and months (M4, Days, M6)

  #monthFor(ts: number, day: LocalDay): MonthAcc {
    if (this.#month && ts < this.#month.end) return this.#month;
    // A month whose last interval was never closed (the engine started mid-month in a
    // previous run) is finalised with what it has.
    if (this.#month) this.#finalizeMonth(this.#month);
    // The pool is settled per billing period (§2 M4, §8): a calendar month unless the site
    // sets another start day. The period's key is the local month it starts in.
    const start = this.clock.periodStart(ts);
    this.#month = {
      key: this.clock.day(start).month, start, end: this.clock.nextPeriodStart(ts), factors: factorSetFor(this.site.factors, day.year),
      firstInterval: ts, days: new Map(), hours: new Map(), hoursTotal: 0, pool: {}, poolGridKwh: 0, poolGridKg: 0,
      metered: {}, directShared: {}, clamped: {}, poolCost: {}, bill: {}, directSharedCost: {},
    };
    return this.#month;
  }

  #dayFor(month: MonthAcc, day: LocalDay): DayAcc {
    let d = month.days.get(day.key);
    if (!d) month.days.set(day.key, (d = { day, factors: factorSetFor(this.site.factors, day.year), accounts: new Map(), pool: {}, poolCost: {} }));
    return d;
  }

  /**
   * One local day's points. Pool share of account k on day d (M4 + "Days"):
   *   Pool · H(k)/ΣH · h(k,d)/H(k) = Pool · h(k,d)/ΣH,
   * with Pool and ΣH of the month so far while it is open (provisional), final once closed.
   */
  #emitDay(month: MonthAcc, d: DayAcc, final: boolean): void {
    this.#points.push(...this.#dayPoints(month, d, final));
  }

  /**
   * The open month's day points as they stand (provisional pool shares), without emitting
   * them: the API overlays these on stored days so today's figure is live.
   */
  provisionalDays(): Point[] {
    const month = this.#month;
    if (!month) return [];
    return [...month.days.values()].flatMap((d) => this.#dayPoints(month, d, false));
  }

  #dayPoints(month: MonthAcc, d: DayAcc, final: boolean): Point[] {
    const out: Point[] = [];
    const site = this.site.id;
    for (const [account, da] of [...d.accounts.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const fields: DayFields = { hours: da.hours, final: final ? 1 : 0 };
      let direct = 0, shared = 0, pool = 0, kg = da.kgco2e, gridKg = da.gridKg, cost = 0, costPool = 0;
      for (const c of this.carriers) {
        const share = month.hoursTotal > 0 ? ((month.pool[c] ?? 0) * da.hours) / month.hoursTotal : 0;
        if (this.#priced && this.site.tariffs[c]) {
          // §8: the pooled cost is shared out by hours, as the pool energy is (M4 + "Days").
          const costShare = month.hoursTotal > 0 ? ((month.poolCost[c] ?? 0) * da.hours) / month.hoursTotal : 0;
          fields[FIELD.cost(c)] = (da.cost[c] ?? 0) + costShare;
          cost += (da.cost[c] ?? 0) + costShare;
          costPool += costShare;
        }
        const dc = da.direct[c] ?? 0;
        const sc = da.shared[c] ?? 0;
        fields[FIELD.kwh(c)] = dc + sc + share;
        fields[FIELD.kwhPool(c)] = share;
        direct += dc;
        shared += sc;
        pool += share;
        kg += share * factorOf(d.factors, c);
        if (c === 'electricity' && month.poolGridKwh > 0) gridKg += share * (month.poolGridKg / month.poolGridKwh);
      }
      fields.kwh_direct = direct;
      fields.kwh_shared = shared;
      fields.kwh_pool = pool;
      fields.kgco2e = kg;
      fields.grid_kgco2e = gridKg;
      if (this.#priced) {
        fields.cost = cost;
        fields.cost_pool = costPool;
      }
      if (this.#isMember(account)) {
        for (const sc of SCENARIOS) {
          const base = baselineDay(this.site.baseline, d.factors, sc, da.hours, da.direct.electricity ?? 0).kgco2e;
          fields[FIELD.baseline(sc)] = base;
          fields[FIELD.avoided(sc)] = base - kg;
          fields[FIELD.reduction(sc)] = base > 0 ? (base - kg) / base : 0;
        }
      }
      out.push({ measurement: M_DAY, tags: { site, account }, fields, ts: d.day.start });
    }
    // With nobody present in the month (so far), the pool stays unallocated (M4).
    let dayPool = 0;
    for (const c of this.carriers) dayPool += (d.pool[c] ?? 0) + (d.poolCost[c] ?? 0);
    if (dayPool > 0) {
      const fields: DayFields = { final: final ? 1 : 0, kgco2e: 0, kwh_pool: 0 };
      if (this.#priced) (fields.cost = 0), (fields.cost_pool = 0);
      for (const c of this.carriers) {
        const un = month.hoursTotal > 0 ? 0 : d.pool[c] ?? 0;
        fields[FIELD.kwh(c)] = un;
        fields.kwh_pool! += un;
        fields.kgco2e! += un * factorOf(d.factors, c);
        if (this.#priced && this.site.tariffs[c]) {
          // A standing charge with nobody present all period stays unallocated, like the pool (§8).
          const unCost = month.hoursTotal > 0 ? 0 : d.poolCost[c] ?? 0;
          fields[FIELD.cost(c)] = unCost;
          fields.cost! += unCost;
          fields.cost_pool! += unCost;
        }
      }
      out.push({ measurement: M_DAY, tags: { site, account: ACCOUNT_UNALLOCATED }, fields, ts: d.day.start });
    }
    return out;
  }

  #finalizeMonth(month: MonthAcc): void {
    if (month.firstInterval > month.start) this.#opts.onPartialMonth?.(month.start);
    for (const d of month.days.values()) this.#emitDay(month, d, true);
    const site = this.site.id;
    for (const [account, h] of [...month.hours.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const fields: MonthFields = { hours: h, final: 1 };
      for (const c of this.carriers) fields[FIELD.kwhPool(c)] = month.hoursTotal > 0 ? ((month.pool[c] ?? 0) * h) / month.hoursTotal : 0;
      this.#push(M_MONTH, { site, account }, fields, month.start);
    }
    const siteFields: MonthFields = { hours_total: month.hoursTotal, final: 1 };
    for (const c of this.carriers) {
      const pool = month.pool[c] ?? 0;
      const unallocated = month.hoursTotal > 0 ? 0 : pool;
      // Σ allocations = direct + shared + pool shares; the shares sum to the pool when ΣH > 0.
      const allocated = (month.directShared[c] ?? 0) + (month.hoursTotal > 0 ? pool : 0);
      const metered = month.metered[c] ?? 0;
      const residual = metered - (allocated + unallocated);
      siteFields[FIELD.meteredKwh(c)] = metered;
      siteFields[FIELD.poolKwh(c)] = pool;
      siteFields[FIELD.unallocatedKwh(c)] = unallocated;
      siteFields[FIELD.clampedKwh(c)] = month.clamped[c] ?? 0;
      siteFields[FIELD.residualKwh(c)] = residual;
      if (this.#priced && this.site.tariffs[c]) {
        // §8 reconciliation: bill = Σ direct + shared cost + pooled cost (all shared out, or unallocated).
        const poolCost = month.poolCost[c] ?? 0;
        const bill = month.bill[c] ?? 0;
        const unCost = month.hoursTotal > 0 ? 0 : poolCost;
        siteFields[FIELD.billCost(c)] = bill;
        siteFields[FIELD.unallocatedCost(c)] = unCost;
        siteFields[FIELD.costResidual(c)] = bill - ((month.directSharedCost[c] ?? 0) + (month.hoursTotal > 0 ? poolCost : 0) + unCost);
      }
      this.conservation.push({ site, month: month.key, carrier: c, metered, allocated, unallocated, clamped: month.clamped[c] ?? 0, residual });
    }
    this.#push(M_MONTH, { site, account: ACCOUNT_SITE }, siteFields, month.start);
    if (this.#month === month) this.#month = undefined;
  }

  #drainSessions(): void {
    const outputFrom = this.#opts.outputFrom ?? -Infinity;
    for (const s of this.#presence.drainEnded()) {
      if (s.start < outputFrom) continue;
      const tags: Record<string, string> = { site: this.site.id, member: s.member, kind: s.kind, device: s.device };
      if (s.desk !== undefined) tags.desk = s.desk;
      if (s.zone !== undefined) tags.zone = s.zone;
      this.#push(M_SESSION, tags, { end: s.end, hours: (s.end - s.start) / HOUR_MS }, s.start);
    }
  }

  #addToday(day: LocalDay, c: Carrier, kwh: number, kg: number): void {
    if (this.#today?.key !== day.key) this.#today = { key: day.key, metered: {}, kg: 0 };
    this.#today.metered[c] = (this.#today.metered[c] ?? 0) + kwh;
    this.#today.kg += kg;
  }

  /** Members get a baseline (§4); the operator account does not. */
  #isMember(account: string): boolean {
    return account !== this.site.operator && (this.#members.has(account) || !account.startsWith('_'));
  }

  #push<M extends keyof SeriesFields>(measurement: M, tags: Record<string, string>, fields: SeriesFields[M], ts: number): void {
    this.#points.push({ measurement, tags, fields: fields as Record<string, number>, ts });
  }
}

/** Feeds a time-ordered engine with one site's events, in order. */
export function feed(engine: SiteFootprintEngine, e: FootprintEvent): void {
  if (e.type === 'reading') engine.onReading(e.reading);
  else engine.onCheckin(e.checkin);
}
