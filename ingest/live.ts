/**
 * Live state per site: the latest value of every device metric, who is checked in where,
 * and a snapshot (`LiveSnapshot`, devices/api-types.ts) taken once a second for the API,
 * socket.io and MQTT followers.
 */
import { EventEmitter } from 'node:events';
import type { LiveSnapshot } from '../devices/api-types.ts';
import { DEVICE_KINDS, type Carrier } from '../devices/kinds.ts';
import type { Registry, RegisteredDevice } from '../store/registry.ts';
import { SiteStates, type SiteState } from './sites.ts';
import type { EnrichedCheckin, EnrichedReading, Processor } from './types.ts';

export type TodayTotals = NonNullable<LiveSnapshot['today']>;

export interface LiveStateOptions {
  registry: Registry;
  /**
   * The per-site state it reads (latest values, presence, activity), fed by the pipeline
   * ahead of this processor. Without it, live state keeps and feeds its own (tests, bench).
   */
  sites?: SiteStates;
  /** Today's energy and emissions per site, from the footprint engine. */
  today?: (site: string) => TodayTotals | null;
  clock?: () => number;
}

/** A reading older than this many cadences no longer counts as "live". */
const STALE_CADENCES = 3;

export class LiveState extends EventEmitter implements Processor {
  readonly name = 'live';
  #opts: LiveStateOptions;
  readonly #sites: SiteStates;
  /** Whether this processor feeds the site states itself (nobody else does). */
  readonly #feeds: boolean;
  #latest = new Map<string, LiveSnapshot>();

  constructor(opts: LiveStateOptions) {
    super();
    this.#opts = opts;
    this.#feeds = !opts.sites;
    this.#sites = opts.sites ?? new SiteStates(opts.registry);
  }

  #now(): number {
    return (this.#opts.clock ?? Date.now)();
  }

  onReadings(batch: readonly EnrichedReading[]): void {
    if (this.#feeds) this.#sites.onReadings(batch);
  }

  onCheckins(batch: readonly EnrichedCheckin[]): void {
    if (this.#feeds) this.#sites.onCheckins(batch);
  }

  /** Latest value of a device metric if it is still fresh. */
  #fresh(state: SiteState, d: RegisteredDevice, metric: string, now: number): number | null {
    const v = state.latest(d.device)?.values.get(metric);
    if (!v) return null;
    return now - v.ts <= STALE_CADENCES * DEVICE_KINDS[d.kind].cadenceS * 1000 ? v.value : null;
  }

  #power(state: SiteState, d: RegisteredDevice, now: number): number | null {
    const p = this.#fresh(state, d, 'power_w', now);
    if (p !== null) return p;
    const dp = state.latest(d.device)?.derivedPower;
    if (dp && now - dp.ts <= STALE_CADENCES * DEVICE_KINDS[d.kind].cadenceS * 1000) return dp.value;
    return null;
  }

  snapshot(siteId: string): LiveSnapshot | undefined {
    const state = this.#sites.get(siteId);
    if (!state) return undefined;
    const site = state.site;
    const started = performance.now();
    const now = this.#now();
    const devices = this.#opts.registry.devices(siteId);
    const presence = state.presentToday(now);
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
      const act = state.activity(d.device);
      const cadenceMs = DEVICE_KINDS[d.kind].cadenceS * 1000;
      if (act?.status === 'offline') offline++;
      else if (act && act.lastSeen > 0 && now - act.lastSeen <= STALE_CADENCES * cadenceMs) online++;
      else silent++;

      if (d.kind === 'desk_occupancy' && d.desk) {
        const occ = this.#fresh(state, d, 'occupied', now);
        if (occ !== null) deskOccupied.set(d.desk, occ === 1);
      }
      if (!d.carrier || !d.category) continue;
      const p = this.#power(state, d, now);
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
          const v = this.#fresh(state, d, metric, now);
          if (v !== null) return v;
        }
        return null;
      };
      const lighting = zoneDevices.filter((d) => d.kind === 'zone_lighting');
      const lightsOn = lighting.length === 0 ? null : lighting.some((d) => this.#fresh(state, d, 'on', now) === 1 || (this.#power(state, d, now) ?? 0) > 5);
      const heating = zoneDevices.filter((d) => d.kind === 'zone_heating');
      const heatingOn = heating.length === 0 ? null : heating.some((d) => (this.#fresh(state, d, 'valve_pct', now) ?? 0) > 0 || this.#fresh(state, d, 'on', now) === 1);
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
    // The sites this process owns: past one machine, another process speaks for the rest.
    for (const site of this.#opts.sites ? this.#opts.sites.sites() : this.#opts.registry.sites()) {
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
