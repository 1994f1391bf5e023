/**
 * Waste and maintenance alerts (issue 7), raised by ingest so they exist without a browser
 * open. A processor with explicit state: it follows enriched readings and check-ins, and
 * once a second (`tick(now)`) decides which conditions hold, with the estimated energy and
 * emissions wasted since each began:
 *
 * - lights or heating on in a zone nobody is in, for over 15 minutes;
 * - a desk plug drawing power outside opening hours with nobody checked in at the desk;
 * - a device silent for over three times its cadence, or announcing itself offline
 *   (Zigbee2MQTT devices that report on change only are judged by their availability);
 * - a battery under 15 %.
 *
 * Conditions are dated by the readings' own timestamps (a gateway replaying its buffer
 * raises alerts dated when the waste began); "after hours" is the site's local time.
 */
import { EventEmitter } from 'node:events';
import type { Alert, AlertKind, AlertsResponse } from '../devices/api-types.ts';
import { DEVICE_KINDS, type Carrier } from '../devices/kinds.ts';
import { openingHoursOf } from '../devices/site.ts';
import type { Registry, RegisteredDevice } from '../store/registry.ts';
import type { LocalClock } from '../footprint/clock.ts';
import { factorOf, factorSetFor } from '../footprint/emissions.ts';
import type { EnrichedCheckin, EnrichedReading, Processor } from './types.ts';
import { BySiteDevice } from '../devices/by-device.ts';
import { SiteStates, type SiteState } from './sites.ts';

/** Lights or heating must be on in an empty zone this long before it counts as waste (issue 7). */
export const WASTE_AFTER_MS = 15 * 60_000;
/** A battery under this is low (issue 7). */
export const LOW_BATTERY_PCT = 15;
/** …and stops being low only at this, so a reading wobbling around 15 % does not flap. */
export const BATTERY_RECOVERED_PCT = 20;
/** Silent after this many missed reporting intervals (DEVICE_KINDS cadence; issue 7). */
export const SILENT_CADENCES = 3;
/**
 * Above this a desk plug is powering something in use rather than idling: EU ecodesign
 * rules cap off/standby draw at 0.5 W per device (Regulation (EU) 2019/2021, Annex II), so
 * a few chargers and a docked monitor on standby stay well under 5 W.
 */
export const DRAWING_POWER_W = 5;
/** A lighting circuit drawing more than this is on even without an `on` field. */
export const LIGHTS_ON_W = 5;
/** Resolved alerts are listed this long. */
export const RESOLVED_KEPT_MS = 24 * 3_600_000;
const RESOLVED_KEPT_MAX = 100;
/** Energy checkpoints kept per device, enough for hours of 30 s readings. */
const CHECKPOINTS_KEPT = 1_024;
/** The kinds whose waste alerts price the energy wasted: only their energy is tracked. */
const WASTE_KINDS: ReadonlySet<RegisteredDevice['kind']> = new Set(['zone_lighting', 'zone_heating', 'desk_plug']);

export interface AlertsOptions {
  registry: Registry;
  /**
   * The per-site state it reads (clock, presence, desk occupancy), fed by the pipeline ahead
   * of this processor. Without it, alerts keep and feed their own (tests).
   */
  sites?: SiteStates;
  /** Availability and last-seen per device, from ingest (`Ingest.activity`). */
  activity?: (site: string, device: string) => { lastSeen: number; status: 'online' | 'offline' | null } | undefined;
}

interface Timed {
  value: number;
  ts: number;
}

/**
 * Cumulative energy of one device at the time of each reading, for "wasted since": the
 * last CHECKPOINTS_KEPT (ts, cumulative Wh) pairs, ascending, in a ring of numbers (16 bytes
 * a checkpoint and no objects: 10,000 devices hold at most 160 MB, bench/RESULTS.md). Kept
 * only for the WASTE_KINDS.
 */
class EnergyTrack {
  #ts = new Float64Array(16);
  #cum = new Float64Array(16);
  #head = 0;
  length = 0;
  lastPower: Timed | null = null;
  lastCounter: Timed | null = null;
  /** Once a device reports a counter, its energy comes from the counter (METHODOLOGY §1). */
  usesCounter = false;

  /** Timestamp and cumulative Wh of checkpoint `i` (0 = oldest kept). */
  ts(i: number): number {
    return this.#ts[(this.#head + i) % this.#ts.length]!;
  }

  cum(i: number): number {
    return this.#cum[(this.#head + i) % this.#cum.length]!;
  }

  push(ts: number, cum: number): void {
    if (this.length === this.#ts.length) {
      if (this.length < CHECKPOINTS_KEPT) this.#grow();
      else {
        // Full: the oldest checkpoint makes way.
        this.#head = (this.#head + 1) % this.#ts.length;
        this.length--;
      }
    }
    const at = (this.#head + this.length) % this.#ts.length;
    this.#ts[at] = ts;
    this.#cum[at] = cum;
    this.length++;
  }

  setLastCum(cum: number): void {
    this.#cum[(this.#head + this.length - 1) % this.#cum.length] = cum;
  }

  #grow(): void {
    const size = Math.min(CHECKPOINTS_KEPT, this.#ts.length * 2);
    const ts = new Float64Array(size);
    const cum = new Float64Array(size);
    for (let i = 0; i < this.length; i++) {
      ts[i] = this.ts(i);
      cum[i] = this.cum(i);
    }
    this.#ts = ts;
    this.#cum = cum;
    this.#head = 0;
  }
}

interface DeviceTrack {
  values: Map<string, Timed>;
  /** When the device last became active (lights/heating on, plug drawing); null while inactive. */
  activeSince: number | null;
  energy: EnergyTrack;
  batteryLowSince: number | null;
}

interface SiteTrack {
  active: Map<string, Alert>;
  resolved: Alert[];
}

interface Condition {
  key: string;
  kind: AlertKind;
  device: RegisteredDevice;
  since: number;
  message: string;
  value: number | null;
  waste: boolean;
}

export class AlertsProcessor extends EventEmitter implements Processor {
  readonly name = 'alerts';
  readonly #opts: AlertsOptions;
  readonly #devices = new BySiteDevice<DeviceTrack>();
  readonly #sites = new Map<string, SiteTrack>();
  readonly #states: SiteStates;
  /** Whether this processor feeds the site states itself (nobody else does). */
  readonly #feeds: boolean;
  /** First tick: devices never heard from are silent counted from here. */
  #startedAt: number | null = null;
  #lastTick: number | null = null;

  constructor(opts: AlertsOptions) {
    super();
    this.#opts = opts;
    this.#feeds = !opts.sites;
    this.#states = opts.sites ?? new SiteStates(opts.registry);
  }

  onReadings(batch: readonly EnrichedReading[]): void {
    if (this.#feeds) this.#states.onReadings(batch);
    // A batch is one device's message: look the device up once.
    let d: DeviceTrack | undefined;
    let device = '';
    let site = '';
    for (const r of batch) {
      if (d === undefined || r.device !== device || r.site !== site) {
        d = this.#device(r.site, r.device);
        device = r.device;
        site = r.site;
      }
      if ((r.metric === 'power_w' || r.metric === 'energy_wh') && WASTE_KINDS.has(r.kind)) this.#integrate(d.energy, r.metric, r.value, r.ts);
      const prev = d.values.get(r.metric);
      if (prev && prev.ts > r.ts) continue; // a late, older reading does not change the state
      if (prev) {
        prev.value = r.value;
        prev.ts = r.ts;
      } else d.values.set(r.metric, { value: r.value, ts: r.ts });

      if (r.metric === 'battery_pct') {
        if (r.value < LOW_BATTERY_PCT) d.batteryLowSince ??= r.ts;
        else if (r.value >= BATTERY_RECOVERED_PCT) d.batteryLowSince = null;
      }
      const active = isActive(r.kind, d.values);
      if (active) d.activeSince ??= r.ts;
      else d.activeSince = null;
    }
  }

  onCheckins(batch: readonly EnrichedCheckin[]): void {
    if (this.#feeds) this.#states.onCheckins(batch);
  }

  tick(now: number): [] {
    this.#startedAt ??= now;
    this.#lastTick = now;
    // The sites this process owns: past one machine, another process raises the rest's alerts.
    for (const site of this.#opts.sites ? this.#opts.sites.sites() : this.#opts.registry.sites()) this.#evaluate(site.id, now);
    return [];
  }

  /** Active and recently resolved alerts of a site, as of the last tick. */
  list(siteId: string, now = this.#lastTick ?? Date.now()): AlertsResponse {
    const site = this.#sites.get(siteId);
    return {
      site: siteId,
      at: now,
      active: site ? [...site.active.values()].sort((a, b) => b.since - a.since) : [],
      resolved: site ? site.resolved.filter((a) => now - (a.resolved_at ?? now) <= RESOLVED_KEPT_MS) : [],
    };
  }

  /** Latest battery reading of a device, for the devices page. */
  battery(site: string, device: string): Timed | undefined {
    return this.#devices.get(site, device)?.values.get('battery_pct');
  }

  // ---------------------------------------------------------------- evaluation

  #evaluate(siteId: string, now: number): void {
    const site = this.#site(siteId);
    const state = this.#states.get(siteId);
    if (!site || !state) return;
    const conditions = new Map<string, Condition>();
    const add = (c: Condition) => conditions.set(c.key, c);
    const devices = this.#opts.registry.devices(siteId);
    const today = state.clock.day(now).key;
    const closedSince = this.#closedSince(state, now);
    const zoneEmpty = new Map<string, number | null>();
    const emptySince = (zone: string) => {
      if (!zoneEmpty.has(zone)) zoneEmpty.set(zone, this.#zoneEmptySince(state, zone, today, now));
      return zoneEmpty.get(zone)!;
    };
    const zoneName = (zone: string) => state.site.zones.find((z) => z.id === zone)?.name ?? zone;

    for (const device of devices) {
      const track = this.#devices.get(siteId, device.device);
      const label = device.name ?? device.device;

      // Waste: lights or heating on in an empty zone.
      if ((device.kind === 'zone_lighting' || device.kind === 'zone_heating') && device.zone && !device.desk && track?.activeSince != null) {
        const empty = emptySince(device.zone);
        if (empty !== null) {
          const since = Math.max(empty, track.activeSince);
          if (now - since >= WASTE_AFTER_MS) {
            const lights = device.kind === 'zone_lighting';
            add({
              key: `${lights ? 'lights_empty_zone' : 'heating_empty_zone'}:${device.device}`,
              kind: lights ? 'lights_empty_zone' : 'heating_empty_zone',
              device,
              since,
              message: `${lights ? 'Lights' : 'Heating'} on in ${zoneName(device.zone)} with nobody there (${label})`,
              value: track.values.get('power_w')?.value ?? null,
              waste: true,
            });
          }
        }
      }

      // Waste: a desk plug drawing power after hours with nobody checked in at the desk.
      if (device.kind === 'desk_plug' && device.desk && track?.activeSince != null && closedSince !== null) {
        const desk = device.desk;
        const someoneThere = [...state.presence.values()].some((p) => p.desk === desk && p.day === today);
        if (!someoneThere) {
          const since = Math.max(closedSince, track.activeSince, state.deskLeft.get(desk) ?? -Infinity);
          if (now - since >= WASTE_AFTER_MS) {
            add({
              key: `plug_after_hours:${device.device}`,
              kind: 'plug_after_hours',
              device,
              since,
              message: `Desk ${desk} plug drawing power after hours with nobody checked in`,
              value: track.values.get('power_w')?.value ?? null,
              waste: true,
            });
          }
        }
      }

      // Maintenance: battery low.
      if (track?.batteryLowSince != null) {
        const pct = track.values.get('battery_pct')?.value ?? null;
        add({ key: `battery_low:${device.device}`, kind: 'battery_low', device, since: track.batteryLowSince, message: `Battery low on ${label}${pct !== null ? ` (${Math.round(pct)} %)` : ''}: replace it soon`, value: pct, waste: false });
      }

      // Maintenance: offline or silent.
      const silence = this.#silence(device, now);
      if (silence) add(silence);
    }

    this.#apply(siteId, site, conditions, now);
  }

  #silence(device: RegisteredDevice, now: number): Condition | null {
    if (!this.#opts.activity) return null;
    const act = this.#opts.activity(device.site, device.device);
    const label = device.name ?? device.device;
    if (act?.status === 'offline') {
      return { key: `device_offline:${device.device}`, kind: 'device_offline', device, since: act.lastSeen, message: `${label} reports itself offline`, value: null, waste: false };
    }
    // Zigbee2MQTT devices often report on change only: with availability known and online,
    // a quiet device is a calm room, not a fault.
    if (device.foreign?.ecosystem === 'zigbee2mqtt' && act?.status === 'online') return null;
    const limit = SILENT_CADENCES * DEVICE_KINDS[device.kind].cadenceS * 1000;
    const lastSeen = act && act.lastSeen > 0 ? act.lastSeen : null;
    const since = lastSeen ?? this.#startedAt ?? now;
    if (now - since <= limit) return null;
    return {
      key: `device_silent:${device.device}`,
      kind: 'device_silent',
      device,
      since,
      message: lastSeen === null ? `${label} has not reported since deskprint started` : `${label} is silent: nothing for over ${SILENT_CADENCES}× its ${formatCadence(DEVICE_KINDS[device.kind].cadenceS)} reporting interval`,
      value: null,
      waste: false,
    };
  }

  /** Raises new alerts, refreshes the estimates of active ones, resolves the rest. */
  #apply(siteId: string, site: SiteTrack, conditions: Map<string, Condition>, now: number): void {
    let changed = false;
    for (const [key, c] of conditions) {
      const existing = site.active.get(key);
      const waste = c.waste ? this.#waste(siteId, c.device, c.since, now) : { kwh: null, kg: null };
      if (existing && existing.since === c.since) {
        site.active.set(key, { ...existing, message: c.message, value: c.value, wasted_kwh: waste.kwh, wasted_kgco2e: waste.kg });
        continue;
      }
      if (existing) this.#resolve(site, existing, now);
      site.active.set(key, {
        id: `${siteId}:${key}:${c.since}`,
        site: siteId,
        kind: c.kind,
        device: c.device.device,
        zone: c.device.zone ?? null,
        desk: c.device.desk ?? null,
        message: c.message,
        since: c.since,
        raised_at: now,
        resolved_at: null,
        wasted_kwh: waste.kwh,
        wasted_kgco2e: waste.kg,
        value: c.value,
      });
      changed = true;
    }
    for (const [key, alert] of site.active) {
      if (conditions.has(key)) continue;
      site.active.delete(key);
      this.#resolve(site, alert, now);
      changed = true;
    }
    // Waste estimates grow every second, so active alerts go out on every tick.
    if (changed || site.active.size > 0) this.emit('alerts', this.list(siteId, now));
  }

  #resolve(site: SiteTrack, alert: Alert, now: number): void {
    // The waste estimate runs up to the tick that saw the condition end.
    const device = alert.wasted_kwh !== null && alert.device ? this.#opts.registry.device(alert.site, alert.device) : undefined;
    const waste = device ? this.#waste(alert.site, device, alert.since, now) : { kwh: alert.wasted_kwh, kg: alert.wasted_kgco2e };
    site.resolved.unshift({ ...alert, resolved_at: now, wasted_kwh: waste.kwh, wasted_kgco2e: waste.kg });
    const cutoff = now - RESOLVED_KEPT_MS;
    site.resolved = site.resolved.filter((a) => (a.resolved_at ?? now) >= cutoff).slice(0, RESOLVED_KEPT_MAX);
  }

  /** Energy a device used from `since` to `now`, and its emissions at the site's factor for the year. */
  #waste(siteId: string, device: RegisteredDevice, since: number, now: number): { kwh: number | null; kg: number | null } {
    const track = this.#devices.get(siteId, device.device);
    if (!track || (track.energy.lastPower === null && track.energy.lastCounter === null)) return { kwh: null, kg: null };
    const kwh = Math.max(0, energyAt(track.energy, now) - energyAt(track.energy, since)) / 1000;
    const state = this.#states.get(siteId);
    if (!state || !device.carrier) return { kwh, kg: null };
    const year = state.clock.day(since).year;
    return { kwh, kg: kwh * factorOf(factorSetFor(state.site.factors, year), device.carrier as Carrier) };
  }

  // ---------------------------------------------------------------- presence and hours

  /** Since when a zone has been empty, or null while someone is there. */
  #zoneEmptySince(site: SiteState, zone: string, today: string, now: number): number | null {
    const siteFile = site.site;
    let since = site.zoneLeft.get(zone) ?? -Infinity;
    for (const p of site.presence.values()) {
      if (p.zone !== zone) continue;
      if (p.day === today) return null;
      // A session from an earlier day ended with that day (METHODOLOGY §1).
      since = Math.max(since, site.clock.day(p.since).end);
    }
    const zoneDesks = siteFile.desks.filter((d) => d.zone === zone);
    let heard = false;
    for (const desk of zoneDesks) {
      const state = site.desks.get(desk.id);
      if (!state) continue;
      if (state.occupied) return null;
      heard = true;
      since = Math.max(since, state.since);
    }
    // Without a single occupancy reading the zone is known empty only since we started listening.
    if (!heard) since = Math.max(since, this.#startedAt ?? now);
    return since;
  }

  /**
   * When the current closed period began in the site's local time (its `opening_hours`), or
   * null while open.
   */
  #closedSince(state: SiteState, now: number): number | null {
    const { site, clock } = state;
    const week = openingHoursOf(site);
    const hoursOf = (d: { start: number }) => week[new Date(d.start + clock.offsetMs(d.start) + 12 * 3_600_000).getUTCDay()]!;
    let day = clock.day(now);
    const today = hoursOf(day);
    if (today) {
      const open = wallTime(clock, day.start, today[0]);
      const close = wallTime(clock, day.start, today[1]);
      if (now >= open && now < close) return null;
      if (now >= close) return close;
    }
    // Before opening, or a closed day: closed since the last open day's closing time.
    for (let i = 0; i < 7; i++) {
      day = clock.day(day.start - 1);
      const hours = hoursOf(day);
      if (hours) return wallTime(clock, day.start, hours[1]);
    }
    return day.start;
  }

  // ---------------------------------------------------------------- state

  #device(site: string, device: string): DeviceTrack {
    let d = this.#devices.get(site, device);
    if (!d) {
      d = { values: new Map(), activeSince: null, energy: new EnergyTrack(), batteryLowSince: null };
      this.#devices.set(site, device, d);
    }
    return d;
  }

  #site(siteId: string): SiteTrack | undefined {
    let s = this.#sites.get(siteId);
    if (!s) {
      if (!this.#opts.registry.site(siteId)) return undefined;
      s = { active: new Map(), resolved: [] };
      this.#sites.set(siteId, s);
    }
    return s;
  }

  #integrate(e: EnergyTrack, metric: 'power_w' | 'energy_wh', value: number, ts: number): void {
    const n = e.length;
    const lastTs = n > 0 ? e.ts(n - 1) : Number.NaN;
    // Energy is integrated in arrival order; a late reading only updates nothing (the live
    // estimate is not a footprint of record, which recomputes from the store).
    if (ts < lastTs) return;
    let cum = n > 0 ? e.cum(n - 1) : 0;
    if (metric === 'energy_wh') {
      const c = e.lastCounter;
      if (!e.usesCounter) {
        e.usesCounter = true;
      } else if (c && ts > c.ts) {
        // A decrease is a counter reset: the new reading is the energy since the reset.
        cum += value >= c.value ? value - c.value : value;
      }
      if (c) {
        c.value = value;
        c.ts = ts;
      } else e.lastCounter = { value, ts };
    } else {
      const p = e.lastPower;
      if (p) {
        if (!e.usesCounter) cum += ((p.value + value) / 2) * ((ts - p.ts) / 3_600_000);
        p.value = value;
        p.ts = ts;
      } else e.lastPower = { value, ts };
    }
    if (lastTs === ts) e.setLastCum(cum);
    else e.push(ts, cum);
  }
}

/** Whether a device is in the state that wastes energy when nobody needs it. */
function isActive(kind: RegisteredDevice['kind'], values: Map<string, Timed>): boolean {
  if (kind === 'zone_lighting') {
    const on = values.get('on')?.value;
    return on === 1 || (on === undefined && (values.get('power_w')?.value ?? 0) > LIGHTS_ON_W);
  }
  if (kind === 'zone_heating') return (values.get('valve_pct')?.value ?? 0) > 0 || values.get('on')?.value === 1;
  if (kind === 'desk_plug') return (values.get('power_w')?.value ?? 0) > DRAWING_POWER_W && values.get('on')?.value !== 0;
  return false;
}

/**
 * Cumulative Wh of a device at instant `t`: interpolated between checkpoints, and after the
 * last one extended at the last known power. Many devices report on change only, so the
 * last value holds, as it does for the on/off state that keeps the alert active; this is
 * an estimate for action, not the footprint of record (which recomputes from the store).
 */
function energyAt(e: EnergyTrack, t: number): number {
  const n = e.length;
  if (n === 0) return 0;
  if (t <= e.ts(0)) return e.cum(0);
  let lo = 0;
  let hi = n - 1;
  if (t >= e.ts(hi)) {
    const watts = e.usesCounter ? counterPower(e) : (e.lastPower?.value ?? 0);
    return e.cum(hi) + (watts * (t - e.ts(hi))) / 3_600_000;
  }
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (e.ts(mid) <= t) lo = mid;
    else hi = mid;
  }
  const t0 = e.ts(lo);
  const c0 = e.cum(lo);
  return c0 + ((e.cum(hi) - c0) * (t - t0)) / (e.ts(hi) - t0);
}

/** Mean power over the last two counter readings, W. */
function counterPower(e: EnergyTrack): number {
  const n = e.length;
  if (n < 2 || e.ts(n - 1) <= e.ts(n - 2)) return 0;
  return ((e.cum(n - 1) - e.cum(n - 2)) * 3_600_000) / (e.ts(n - 1) - e.ts(n - 2));
}

/** The instant of local wall time `min` minutes after the local midnight `dayStart`. */
function wallTime(clock: LocalClock, dayStart: number, min: number): number {
  // Wall-clock minutes, not elapsed: on a DST day 20:00 is not 20 h after midnight.
  const guess = dayStart + min * 60_000;
  return guess - (clock.offsetMs(guess) - clock.offsetMs(dayStart));
}

function formatCadence(seconds: number): string {
  return seconds >= 3600 ? `${seconds / 3600} h` : seconds >= 60 ? `${seconds / 60} min` : `${seconds} s`;
}
