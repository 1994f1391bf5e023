/**
 * Live state per site: the latest value of every device metric, who is checked in where,
 * and a snapshot (`LiveSnapshot`, devices/api-types.ts) taken once a second for the API,
 * socket.io and MQTT followers.
 */
import { EventEmitter } from 'node:events';
import type { LiveSnapshot } from '../devices/api-types.ts';
import { DEVICE_KINDS, type Carrier } from '../devices/kinds.ts';
import type { Registry, RegisteredDevice } from '../store/registry.ts';
import type { EnrichedCheckin, EnrichedReading, Processor } from './types.ts';
import { BySiteDevice } from '../devices/by-device.ts';

interface DeviceState {
  values: Map<string, { value: number; ts: number }>;
  /** Power derived from consecutive counter readings, for devices that report energy only. */
  derivedPower: { value: number; ts: number } | null;
  lastCounter: { wh: number; ts: number } | null;
}

interface Presence {
  member: string;
  desk?: string;
  zone?: string;
  since: number;
  /** Local date (YYYY-MM-DD) of the check-in; sessions end with the local day. */
  day: string;
}

export type TodayTotals = NonNullable<LiveSnapshot['today']>;

export interface LiveStateOptions {
  registry: Registry;
  /** Today's energy and emissions per site, from the footprint engine. */
  today?: (site: string) => TodayTotals | null;
  /** Availability and last-seen per device, from ingest. */
  activity?: (site: string, device: string) => { lastSeen: number; status: 'online' | 'offline' | null } | undefined;
  clock?: () => number;
}

/** A reading older than this many cadences no longer counts as "live". */
const STALE_CADENCES = 3;

export class LiveState extends EventEmitter implements Processor {
  readonly name = 'live';
  #opts: LiveStateOptions;
  #devices = new BySiteDevice<DeviceState>();
  #presence = new Map<string, Map<string, Presence>>();
  #latest = new Map<string, LiveSnapshot>();

  constructor(opts: LiveStateOptions) {
    super();
    this.#opts = opts;
  }

  #now(): number {
    return (this.#opts.clock ?? Date.now)();
  }

  onReadings(batch: readonly EnrichedReading[]): void {
    let d: DeviceState | undefined;
    let last: EnrichedReading | undefined;
    for (const r of batch) {
      // A batch is usually one message of one device: look its state up once.
      if (!d || r.site !== last!.site || r.device !== last!.device) {
        d = this.#devices.get(r.site, r.device);
        if (!d) this.#devices.set(r.site, r.device, (d = { values: new Map(), derivedPower: null, lastCounter: null }));
      }
      last = r;
      const prev = d.values.get(r.metric);
      if (prev && prev.ts > r.ts) continue; // an older, late reading does not change the live view
      if (prev) {
        prev.value = r.value;
        prev.ts = r.ts;
      } else d.values.set(r.metric, { value: r.value, ts: r.ts });
      if (r.metric === 'energy_wh') {
        const c = d.lastCounter;
        if (c && r.ts > c.ts && r.value >= c.wh) d.derivedPower = { value: ((r.value - c.wh) * 3_600_000) / (r.ts - c.ts), ts: r.ts };
        if (c) {
          c.wh = r.value;
          c.ts = r.ts;
        } else d.lastCounter = { wh: r.value, ts: r.ts };
      }
    }
  }

  onCheckins(batch: readonly EnrichedCheckin[]): void {
    for (const c of batch) {
      let site = this.#presence.get(c.site);
      if (!site) this.#presence.set(c.site, (site = new Map()));
      if (c.action === 'check_out') {
        site.delete(c.member);
        continue;
      }
      // Checking in elsewhere ends the previous session (METHODOLOGY §1, presence).
      site.set(c.member, { member: c.member, ...(c.desk ? { desk: c.desk } : {}), ...(c.zone ? { zone: c.zone } : {}), since: c.ts, day: this.#localDay(c.site, c.ts) });
    }
  }

  #localDay(siteId: string, ts: number): string {
    const tz = this.#opts.registry.site(siteId)?.timezone ?? 'UTC';
    return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ts);
  }

  /** Latest value of a device metric if it is still fresh. */
  #fresh(d: RegisteredDevice, metric: string, now: number): number | null {
    const s = this.#devices.get(d.site, d.device);
    const v = s?.values.get(metric);
    if (!v) return null;
    return now - v.ts <= STALE_CADENCES * DEVICE_KINDS[d.kind].cadenceS * 1000 ? v.value : null;
  }

  #power(d: RegisteredDevice, now: number): number | null {
    const p = this.#fresh(d, 'power_w', now);
    if (p !== null) return p;
    const s = this.#devices.get(d.site, d.device);
    const dp = s?.derivedPower;
    if (dp && now - dp.ts <= STALE_CADENCES * DEVICE_KINDS[d.kind].cadenceS * 1000) return dp.value;
    return null;
  }

  snapshot(siteId: string): LiveSnapshot | undefined {
    const site = this.#opts.registry.site(siteId);
    if (!site) return undefined;
    const started = performance.now();
    const now = this.#now();
    const devices = this.#opts.registry.devices(siteId);
    const today = this.#localDay(siteId, now);
    const presence = [...(this.#presence.get(siteId)?.values() ?? [])].filter((p) => p.day === today);
    const checkedInDesks = new Set(presence.map((p) => p.desk).filter((d): d is string => d !== undefined));

    const byCategory = { desk: 0, lighting: 0, heating: 0, hvac: 0, common: 0, unmetered: 0 };
    const subByCarrier = new Map<Carrier, number>();
    const mainByCarrier = new Map<Carrier, number>();
    const zonePower = new Map<string, number>();
    const deskPower = new Map<string, number>();
    const deskOccupied = new Map<string, boolean>();
    let online = 0;
    let offline = 0;
    let silent = 0;

    for (const d of devices) {
      const act = this.#opts.activity?.(siteId, d.device);
      const cadenceMs = DEVICE_KINDS[d.kind].cadenceS * 1000;
      if (act?.status === 'offline') offline++;
      else if (act && act.lastSeen > 0 && now - act.lastSeen <= STALE_CADENCES * cadenceMs) online++;
      else silent++;

      if (d.kind === 'desk_occupancy' && d.desk) {
        const occ = this.#fresh(d, 'occupied', now);
        if (occ !== null) deskOccupied.set(d.desk, occ === 1);
      }
      if (!d.carrier || !d.category) continue;
      const p = this.#power(d, now);
      if (p === null) continue;
      if (d.category === 'main') {
        mainByCarrier.set(d.carrier, (mainByCarrier.get(d.carrier) ?? 0) + p);
        continue;
      }
      byCategory[d.category] += p;
      subByCarrier.set(d.carrier, (subByCarrier.get(d.carrier) ?? 0) + p);
      if (d.zone) zonePower.set(d.zone, (zonePower.get(d.zone) ?? 0) + p);
      if (d.desk) deskPower.set(d.desk, (deskPower.get(d.desk) ?? 0) + p);
    }

    const byCarrier: Record<string, number> = {};
    for (const c of new Set([...subByCarrier.keys(), ...mainByCarrier.keys()])) {
      const sub = subByCarrier.get(c) ?? 0;
      const main = mainByCarrier.get(c);
      // Main meter where present (the residual is unmetered load), else the sum of sub-meters.
      if (main !== undefined) {
        byCategory.unmetered += Math.max(0, main - sub);
        byCarrier[c] = Math.max(main, sub);
      } else byCarrier[c] = sub;
    }
    const total = Object.values(byCarrier).reduce((a, b) => a + b, 0);

    const unidentified = [...deskOccupied.entries()].filter(([desk, occ]) => occ && !checkedInDesks.has(desk)).map(([desk]) => desk);
    const zones = site.zones.map((z) => {
      const zoneDevices = devices.filter((d) => d.zone === z.id && !d.desk);
      const firstOf = (metric: string) => {
        for (const d of zoneDevices) {
          const v = this.#fresh(d, metric, now);
          if (v !== null) return v;
        }
        return null;
      };
      const lighting = zoneDevices.filter((d) => d.kind === 'zone_lighting');
      const lightsOn = lighting.length === 0 ? null : lighting.some((d) => this.#fresh(d, 'on', now) === 1 || (this.#power(d, now) ?? 0) > 5);
      const heating = zoneDevices.filter((d) => d.kind === 'zone_heating');
      const heatingOn = heating.length === 0 ? null : heating.some((d) => (this.#fresh(d, 'valve_pct', now) ?? 0) > 0 || this.#fresh(d, 'on', now) === 1);
      const zoneDesks = site.desks.filter((k) => k.zone === z.id);
      const people = presence.filter((p) => p.zone === z.id).length + unidentified.filter((k) => zoneDesks.some((zd) => zd.id === k)).length;
      return {
        id: z.id,
        name: z.name,
        temperature_c: firstOf('temperature_c'),
        setpoint_c: firstOf('setpoint_c'),
        lights_on: lightsOn,
        heating_on: heatingOn,
        desks_total: zoneDesks.length,
        desks_occupied: zoneDesks.filter((k) => deskOccupied.get(k.id) === true).length,
        people,
        power_w: round(zonePower.get(z.id) ?? 0),
      };
    });

    const snapshot: LiveSnapshot = {
      site: site.id,
      name: site.name,
      at: now,
      power_w: {
        total: round(total),
        by_category: Object.fromEntries(Object.entries(byCategory).map(([k, v]) => [k, round(v)])) as LiveSnapshot['power_w']['by_category'],
        by_carrier: Object.fromEntries(Object.entries(byCarrier).map(([k, v]) => [k, round(v)])),
      },
      desks: {
        total: site.desks.length,
        occupied: [...deskOccupied.values()].filter(Boolean).length,
        checked_in: site.desks.filter((k) => checkedInDesks.has(k.id)).length,
      },
      people_present: presence.length + unidentified.length,
      zones,
      desk_states: site.desks.map((k) => ({
        id: k.id,
        zone: k.zone,
        x: k.x ?? null,
        y: k.y ?? null,
        occupied: deskOccupied.get(k.id) ?? null,
        checked_in: checkedInDesks.has(k.id),
        power_w: deskPower.has(k.id) ? round(deskPower.get(k.id)!) : null,
      })),
      devices: { total: devices.length, online, offline, silent },
      today: this.#opts.today?.(siteId) ?? null,
    };
    this.#latest.set(siteId, snapshot);
    this.#taken.set(siteId, { at: performance.now(), costMs: performance.now() - started });
    return snapshot;
  }

  /** When each site's latest snapshot was taken (monotonic ms) and how long it took. */
  readonly #taken = new Map<string, { at: number; costMs: number }>();

  /** Takes a snapshot of every site and emits `live` for each. Called at 1 Hz by ingest. */
  tick(): [] {
    for (const site of this.#opts.registry.sites()) {
      const s = this.snapshot(site.id);
      if (s) this.emit('live', s);
    }
    return [];
  }

  /**
   * The site's live view for a request: the 1 Hz snapshot while it is recent, otherwise a
   * fresh one, so a reading shows in `GET …/live` within a quarter of a second rather than
   * up to a whole tick later. A site whose snapshot is costly is refreshed less often (at
   * most a tenth of the time goes to snapshots asked for this way).
   */
  latest(siteId: string): LiveSnapshot | undefined {
    const cached = this.#latest.get(siteId);
    const taken = this.#taken.get(siteId);
    if (cached && taken && performance.now() - taken.at < Math.max(LIVE_FRESH_MS, 10 * taken.costMs)) return cached;
    return this.snapshot(siteId) ?? cached;
  }
}

/** A live snapshot younger than this answers a request as it is. */
const LIVE_FRESH_MS = 250;

function round(v: number): number {
  return Math.round(v * 10) / 10;
}
