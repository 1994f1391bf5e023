/**
 * The live footprint path: readings arrive as they come (out of order, late, duplicated);
 * a reorder buffer releases them to the engine in the canonical order once the lateness
 * window has passed, so the engine sees exactly what a batch recompute reads back from the
 * store (issue 3, item 6). Anything arriving after its window has closed cannot be merged
 * any more; its calendar month is marked for recompute instead.
 */
import type { Carrier } from '../devices/kinds.ts';
import type { SiteFile } from '../devices/site.ts';
import type { TimeSeriesStore } from '../store/types.ts';
import { METER_COUNTER, METER_POWER, SiteFootprintEngine, feed, type MeterKind, type MeterReadings } from './engine.ts';
import { factorOf, factorSetFor } from './emissions.ts';
import { orderKey, type EnrichedReading, type FootprintEvent } from './events.ts';
import { readEvents, replayMonth } from './recompute.ts';

export const DEFAULT_LATENESS_MS = 10 * 60_000;
/** How long a live interval waits for a counter that reported recently (see engine.ts). */
export const DEFAULT_COUNTER_HOLD_MS = 60 * 60_000;

export interface SiteStreamOptions {
  latenessMs?: number;
  counterHoldMs?: number;
}

/**
 * One site's live engine behind its reorder buffers. Meter readings (energy and power: all
 * but a trickle of the traffic) wait per meter, as columns of numbers in time order, because
 * meters are independent of each other and of presence; the rest (occupancy, grid
 * intensity, check-ins) waits in one buffer in the canonical order. Holding a reading costs
 * 17 bytes and no object, so the lateness window's memory stays small and out of the
 * garbage collector's way at thousands of messages a second (bench/RESULTS.md).
 */
export class SiteFootprintStream {
  #engine: SiteFootprintEngine;
  readonly #opts: SiteStreamOptions;
  readonly latenessMs: number;
  /** Buffered non-meter events in canonical order (ts, key, arrival). */
  #pending: Buffered[] = [];
  /** Non-meter arrivals since the last release, unsorted. */
  #incoming: Buffered[] = [];
  /** Waiting meter readings, by meter index. */
  readonly #meters: MeterQueue[] = [];
  #seq = 0;
  #maxTs = -Infinity;
  /** Everything before this has been released to the engine. */
  #released = -Infinity;
  /** Local months (their start instants) that need a batch recompute. */
  readonly dirtyMonths = new Set<number>();
  lateEvents = 0;

  constructor(site: SiteFile, opts: SiteStreamOptions = {}) {
    this.latenessMs = opts.latenessMs ?? DEFAULT_LATENESS_MS;
    this.#opts = opts;
    this.#engine = this.#newEngine(site);
  }

  get engine(): SiteFootprintEngine {
    return this.#engine;
  }

  /**
   * After a restart: rebuilds the open month from the raw data in the store up to
   * `now − lateness`, so its pool, hours and days are whole, then continues live. Call it
   * before the first release; messages buffered meanwhile that are older than the replayed
   * range are treated as late. Returns the number of stored events replayed.
   */
  async warmStart(store: TimeSeriesStore, now: number): Promise<number> {
    const upTo = now - this.latenessMs;
    const monthStart = this.#engine.clock.periodStart(upTo);
    // Intervals before the month are only warm-up: the previous month stays as stored.
    this.#engine = this.#newEngine(this.#engine.site, monthStart);
    const n = await replayMonth(store, this.#engine.site, this.#engine, monthStart, upTo, this.latenessMs);
    this.#released = Math.max(this.#released, upTo);
    this.#incoming = this.#incoming.filter((b) => {
      if (b.e.ts >= upTo) return true;
      this.#late(b.e.ts);
      return false;
    });
    for (const q of this.#meters) {
      if (!q) continue;
      const k = q.countBefore(upTo);
      for (let i = 0; i < k; i++) this.#late(q.ts[i]!);
      q.drop(k);
    }
    // What the previous process stored within its last lateness window has not reached an
    // engine yet: it goes back into the reorder buffers with what has arrived since.
    const recent = await readEvents(store, this.#engine.site.id, upTo, now);
    for (const e of recent) this.push(e);
    return n + recent.length;
  }

  #newEngine(site: SiteFile, outputFrom?: number): SiteFootprintEngine {
    return new SiteFootprintEngine(site, {
      counterHoldMs: this.#opts.counterHoldMs ?? DEFAULT_COUNTER_HOLD_MS,
      onLateEnergy: (start) => this.#markDirty(start),
      onPartialMonth: (start) => this.dirtyMonths.add(start),
      ...(outputFrom !== undefined ? { outputFrom } : {}),
    });
  }

  push(e: FootprintEvent): void {
    if (e.type === 'reading') {
      this.pushReading(e.reading);
      return;
    }
    this.#pushEvent(e);
  }

  /** A reading; the same as `push` of a reading event, without building the event. */
  pushReading(r: EnrichedReading): void {
    const idx = this.#engine.meterIndex(r.device);
    if (idx < 0) {
      if (this.#engine.uses(r)) this.#pushEvent({ type: 'reading', ts: r.ts, reading: r });
      return;
    }
    let kind: MeterKind;
    if (r.metric === 'energy_wh') kind = METER_COUNTER;
    else if (r.metric === 'power_w') kind = METER_POWER;
    else return;
    // Counters win (§1): once a meter counts from its counter, its power readings change nothing.
    if (kind === METER_POWER && this.#engine.countsFromCounter(idx)) return;
    if (r.ts < this.#released) {
      this.#late(r.ts);
      return;
    }
    (this.#meters[idx] ??= new MeterQueue()).insert(r.ts, kind, r.value);
    if (r.ts > this.#maxTs) this.#maxTs = r.ts;
  }

  #pushEvent(e: FootprintEvent): void {
    if (e.ts < this.#released) {
      this.#late(e.ts);
      return;
    }
    this.#incoming.push({ e, key: orderKey(e), seq: this.#seq++ });
    if (e.ts > this.#maxTs) this.#maxTs = e.ts;
  }

  /**
   * An event whose window has closed: the engine has moved on. The store has it, so a
   * recompute of its month will include it.
   */
  #late(ts: number): void {
    this.lateEvents++;
    this.#markDirty(ts);
  }

  /**
   * Releases events older than the watermark (newest timestamp − lateness, or `idleNow`
   * − lateness when the caller says nothing arrived for a while) and closes intervals.
   */
  release(idleNow?: number): void {
    let watermark = this.#maxTs - this.latenessMs;
    if (idleNow !== undefined) watermark = Math.max(watermark, idleNow - this.latenessMs);
    if (!(watermark > this.#released)) return;
    this.#releaseUpTo(watermark);
    this.engine.advance(watermark);
  }

  /** Releases everything before `to` and closes every interval ending by then (tests, shutdown). */
  flush(to: number): void {
    this.#releaseUpTo(to);
    this.engine.finish(to);
  }

  /**
   * Today so far for the live view: what the engine has (up to the watermark) plus a
   * provisional preview of the readings still waiting in the lateness window.
   */
  today(now: number): { kwh: number; kgco2e: number; by_carrier: Record<string, number> } {
    const base = this.engine.today(now);
    const day = this.engine.clock.day(now);
    const from = Math.max(day.start, this.#released);
    if (!(from < day.end) || !this.#meters.some((q) => q && q.length > 0)) return base;
    const extra = this.engine.previewEnergy((idx) => this.#meters[idx], from, day.end);
    const factors = factorSetFor(this.engine.site.factors, day.year);
    const byCarrier = { ...base.by_carrier };
    let kg = base.kgco2e;
    for (const [c, e] of Object.entries(extra)) {
      byCarrier[c] = (byCarrier[c] ?? 0) + e;
      kg += e * factorOf(factors, c as Carrier);
    }
    return { kwh: Object.values(byCarrier).reduce((a, b) => a + b, 0), kgco2e: kg, by_carrier: byCarrier };
  }

  get pending(): number {
    let n = this.#pending.length + this.#incoming.length;
    for (const q of this.#meters) if (q) n += q.length;
    return n;
  }

  #releaseUpTo(watermark: number): void {
    // Sort the new arrivals, merge them into the ordered buffer (linear), then feed the
    // prefix older than the watermark.
    if (this.#incoming.length > 0) {
      this.#incoming.sort(compareBuffered);
      this.#pending = mergeSorted(this.#pending, this.#incoming);
      this.#incoming = [];
    }
    const engine = this.engine;
    // The engine's clock starts at the earliest input, whichever buffer holds it.
    let first = this.#pending.length > 0 ? this.#pending[0]!.e.ts : Infinity;
    for (const q of this.#meters) if (q && q.length > 0 && q.ts[0]! < first) first = q.ts[0]!;
    if (first < watermark) engine.startAt(first);
    for (let idx = 0; idx < this.#meters.length; idx++) {
      const q = this.#meters[idx];
      if (!q || q.length === 0) continue;
      const k = q.countBefore(watermark);
      for (let i = 0; i < k; i++) engine.onMeterReading(idx, q.ts[i]!, q.kind[i] as MeterKind, q.value[i]!);
      q.drop(k);
    }
    const buf = this.#pending;
    let i = 0;
    for (; i < buf.length; i++) {
      const cur = buf[i]!;
      if (cur.e.ts >= watermark) break;
      // A duplicate (same series, field and time) overwrites, as in the store: the last
      // arrival wins.
      const next = buf[i + 1];
      if (next && next.e.ts === cur.e.ts && next.key === cur.key) continue;
      feed(engine, cur.e);
    }
    this.#pending = i === buf.length ? [] : buf.slice(i);
    this.#released = Math.max(this.#released, watermark);
  }

  #markDirty(ts: number): void {
    this.dirtyMonths.add(this.engine.clock.periodStart(ts));
  }
}

/**
 * One meter's waiting readings in canonical order (time, then energy before power), as
 * growable columns. A reading for a time and kind already waiting replaces it: the last
 * arrival wins, as in the store.
 */
class MeterQueue implements MeterReadings {
  ts = new Float64Array(8);
  kind = new Uint8Array(8);
  value = new Float64Array(8);
  length = 0;

  insert(ts: number, kind: MeterKind, value: number): void {
    let n = this.length;
    // Nearly always in order: append.
    let at = n;
    if (n > 0 && !(ts > this.ts[n - 1]! || (ts === this.ts[n - 1]! && kind > this.kind[n - 1]!))) {
      at = this.#lowerBound(ts, kind);
      if (at < n && this.ts[at] === ts && this.kind[at] === kind) {
        this.value[at] = value;
        return;
      }
    }
    if (n === this.ts.length) this.#resize(n * 2);
    if (at < n) {
      this.ts.copyWithin(at + 1, at, n);
      this.kind.copyWithin(at + 1, at, n);
      this.value.copyWithin(at + 1, at, n);
    }
    this.ts[at] = ts;
    this.kind[at] = kind;
    this.value[at] = value;
    this.length = ++n;
  }

  /** How many waiting readings are older than `t`. */
  countBefore(t: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ts[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Forgets the first `k` readings (they reached the engine). */
  drop(k: number): void {
    if (k <= 0) return;
    const n = this.length;
    this.ts.copyWithin(0, k, n);
    this.kind.copyWithin(0, k, n);
    this.value.copyWithin(0, k, n);
    this.length = n - k;
    // Give back what a burst grew.
    if (this.ts.length > 64 && this.length * 4 < this.ts.length) this.#resize(Math.max(8, this.length * 2));
  }

  #lowerBound(ts: number, kind: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const t = this.ts[mid]!;
      if (t < ts || (t === ts && this.kind[mid]! < kind)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #resize(size: number): void {
    const n = this.length;
    const ts = new Float64Array(size);
    const kind = new Uint8Array(size);
    const value = new Float64Array(size);
    ts.set(this.ts.subarray(0, n));
    kind.set(this.kind.subarray(0, n));
    value.set(this.value.subarray(0, n));
    this.ts = ts;
    this.kind = kind;
    this.value = value;
  }
}

interface Buffered {
  e: FootprintEvent;
  key: string;
  seq: number;
}

function compareBuffered(a: Buffered, b: Buffered): number {
  if (a.e.ts !== b.e.ts) return a.e.ts - b.e.ts;
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  return a.seq - b.seq;
}

function mergeSorted(a: Buffered[], b: Buffered[]): Buffered[] {
  if (a.length === 0) return b;
  const out = new Array<Buffered>(a.length + b.length);
  let i = 0, j = 0, k = 0;
  while (i < a.length && j < b.length) out[k++] = compareBuffered(a[i]!, b[j]!) <= 0 ? a[i++]! : b[j++]!;
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  return out;
}
