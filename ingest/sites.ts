/**
 * One owner of each site's live state in ingest: the site file and its local clock, the
 * latest value of every device metric (and the power derived from energy counters), who is
 * checked in where, desk occupancy, and each device's activity. Live state and alerts read
 * it; nothing else keeps its own copy, so the live "people present" and the alerts'
 * "nobody there" come from the same check-ins.
 *
 * Rebuilt when the registry changes (a site file reloaded, `deskprint devices add` while
 * running): the new state keeps what the old one knew of devices, members and desks that
 * are still there, and listeners (the footprint processor) hear of the new site file.
 */
import { BySiteDevice } from '../devices/by-device.ts';
import type { SiteFile } from '../devices/site.ts';
import { clockOf, type LocalClock } from '../footprint/clock.ts';
import type { Registry } from '../store/registry.ts';
import type { DeviceActivity } from './pipeline.ts';
import type { EnrichedCheckin, EnrichedReading, Processor } from './types.ts';

export interface Timed {
  value: number;
  ts: number;
}

export interface DeviceLatest {
  values: Map<string, Timed>;
  /** Power derived from consecutive counter readings, for devices that report energy only. */
  derivedPower: Timed | null;
  lastCounter: { wh: number; ts: number } | null;
}

export interface Presence {
  member: string;
  desk?: string;
  zone?: string;
  since: number;
  /** Local date (YYYY-MM-DD) of the check-in; sessions end with the local day (METHODOLOGY §1). */
  day: string;
}

export class SiteState {
  readonly site: SiteFile;
  readonly clock: LocalClock;
  /** Latest values per device. */
  readonly devices = new Map<string, DeviceLatest>();
  /** The open session of each checked-in member. */
  readonly presence = new Map<string, Presence>();
  /** Per desk: occupied or not, and since when that state holds. */
  readonly desks = new Map<string, { occupied: boolean; since: number }>();
  /** Last check-out (or session end) per zone and per desk. */
  readonly zoneLeft = new Map<string, number>();
  readonly deskLeft = new Map<string, number>();
  readonly #activity: BySiteDevice<DeviceActivity>;

  constructor(site: SiteFile, activity: BySiteDevice<DeviceActivity>, previous?: SiteState) {
    this.site = site;
    this.clock = clockOf(site);
    this.#activity = activity;
    if (!previous) return;
    const devices = new Set(site.devices.map((d) => d.id));
    for (const [id, d] of previous.devices) if (devices.has(id)) this.devices.set(id, d);
    const members = new Set(site.members.map((m) => m.id));
    const desks = new Set(site.desks.map((d) => d.id));
    for (const [id, p] of previous.presence) if (members.has(id)) this.presence.set(id, p);
    for (const [id, s] of previous.desks) if (desks.has(id)) this.desks.set(id, s);
    for (const [k, v] of previous.zoneLeft) this.zoneLeft.set(k, v);
    for (const [k, v] of previous.deskLeft) this.deskLeft.set(k, v);
  }

  /** Availability, last-seen and rejections of a registered device (kept by the ingest pipeline). */
  activity(device: string): DeviceActivity | undefined {
    return this.#activity.get(this.site.id, device);
  }

  latest(device: string): DeviceLatest | undefined {
    return this.devices.get(device);
  }

  /** The sessions of members checked in today (local day of `now`). */
  presentToday(now: number): Presence[] {
    const today = this.clock.day(now).key;
    return [...this.presence.values()].filter((p) => p.day === today);
  }

  onReadings(batch: readonly EnrichedReading[]): void {
    let d: DeviceLatest | undefined;
    let device = '';
    for (const r of batch) {
      // A batch is usually one message of one device: look its state up once.
      if (!d || r.device !== device) {
        device = r.device;
        d = this.devices.get(device);
        if (!d) this.devices.set(device, (d = { values: new Map(), derivedPower: null, lastCounter: null }));
      }
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
      if (r.metric === 'occupied' && r.desk) {
        const occupied = r.value === 1;
        const cur = this.desks.get(r.desk);
        if (!cur || cur.occupied !== occupied) this.desks.set(r.desk, { occupied, since: r.ts });
      }
    }
  }

  onCheckins(batch: readonly EnrichedCheckin[]): void {
    for (const c of batch) {
      const previous = this.presence.get(c.member);
      // Checking in elsewhere ends the previous session (METHODOLOGY §1, presence).
      if (previous) this.#left(previous, c.ts);
      if (c.action === 'check_out') this.presence.delete(c.member);
      else this.presence.set(c.member, { member: c.member, ...(c.desk ? { desk: c.desk } : {}), ...(c.zone ? { zone: c.zone } : {}), since: c.ts, day: this.clock.day(c.ts).key });
    }
  }

  #left(p: Presence, ts: number): void {
    if (p.zone) this.zoneLeft.set(p.zone, Math.max(this.zoneLeft.get(p.zone) ?? -Infinity, ts));
    if (p.desk) this.deskLeft.set(p.desk, Math.max(this.deskLeft.get(p.desk) ?? -Infinity, ts));
  }
}

/**
 * The state of every site this process owns, as a processor placed before the ones that read
 * it (it only records; live state and alerts evaluate on their ticks). On one machine it owns
 * every registered site; past one machine (`ownAll: false`) a site is adopted when its bucket
 * is (ingest/ownership.ts) and dropped when the bucket moves: live state, alerts and derived
 * topics then go quiet for it here, and its new owner speaks for it.
 */
export class SiteStates implements Processor {
  readonly name = 'sites';
  /** Per registered device (by site, then device): last seen, availability, rejections. */
  readonly activity = new BySiteDevice<DeviceActivity>();
  readonly #states = new Map<string, SiteState>();
  readonly #listeners = new Set<(state: SiteState) => void>();
  readonly #unsubscribe: () => void;
  readonly #registry: Registry;

  constructor(registry: Registry, opts: { ownAll?: boolean } = {}) {
    this.#registry = registry;
    if (opts.ownAll !== false) for (const site of registry.sites()) this.#states.set(site.id, new SiteState(site, this.activity));
    this.#unsubscribe = registry.onSiteChange((site) => {
      if (opts.ownAll === false && !this.#states.has(site.id)) return;
      const state = new SiteState(site, this.activity, this.#states.get(site.id));
      this.#states.set(site.id, state);
      for (const fn of this.#listeners) fn(state);
    });
  }

  get(site: string): SiteState | undefined {
    return this.#states.get(site);
  }

  /** The owned sites' states. */
  all(): IterableIterator<SiteState> {
    return this.#states.values();
  }

  owns(site: string): boolean {
    return this.#states.has(site);
  }

  /** The owned sites' files. */
  sites(): SiteFile[] {
    return [...this.#states.values()].map((s) => s.site);
  }

  /** Takes a site on (its bucket was acquired); its state starts from the readings that follow. */
  adopt(siteId: string): SiteState | undefined {
    const site = this.#registry.site(siteId);
    if (!site) return undefined;
    let state = this.#states.get(siteId);
    if (!state) this.#states.set(siteId, (state = new SiteState(site, this.activity)));
    return state;
  }

  /** Lets a site go (its bucket moved to another process). */
  drop(siteId: string): void {
    this.#states.delete(siteId);
    this.activity.deleteSite(siteId);
  }

  /** Calls `fn` with a site's new state each time the registry changes the site. */
  onSiteChange(fn: (state: SiteState) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  onReadings(batch: readonly EnrichedReading[]): void {
    // A batch is nearly always one device's message, so one site: split only when it is not.
    let start = 0;
    for (let i = 1; i <= batch.length; i++) {
      if (i < batch.length && batch[i]!.site === batch[start]!.site) continue;
      this.#states.get(batch[start]!.site)?.onReadings(start === 0 && i === batch.length ? batch : batch.slice(start, i));
      start = i;
    }
  }

  onCheckins(batch: readonly EnrichedCheckin[]): void {
    for (const c of batch) this.#states.get(c.site)?.onCheckins([c]);
  }

  async close(): Promise<void> {
    this.#unsubscribe();
    this.#listeners.clear();
  }
}
