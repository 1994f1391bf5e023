/**
 * The registry: sites, zones, desks, devices and members, loaded from site files and
 * persisted in `<data-dir>/registry.db` beside the time series. A device's kind, desk,
 * zone, category and carrier come from here, never from a payload.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { deviceCategory, type SiteDevice, type SiteFile } from '../devices/site.ts';
import type { Carrier, Category, DeviceKind } from '../devices/kinds.ts';
import { BySiteDevice } from '../devices/by-device.ts';
import type { SeriesMetricKey } from '../devices/catalogue.ts';

export interface RegisteredDevice {
  site: string;
  device: string;
  kind: DeviceKind;
  name?: string;
  zone?: string;
  desk?: string;
  category?: Category;
  carrier?: Carrier;
  foreign?: { ecosystem: string; id: string; metrics?: Record<string, { metric: SeriesMetricKey; scale?: number }> };
}

export interface DiscoveredDevice {
  ecosystem: string;
  foreignId: string;
  firstSeen: number;
  lastSeen: number;
  messages: number;
}

export class Registry {
  #sites = new Map<string, SiteFile>();
  #devices = new BySiteDevice<RegisteredDevice>();
  #foreign = new Map<string, RegisteredDevice>();
  #members = new Map<string, Set<string>>();
  #discovered = new Map<string, DiscoveredDevice>();
  #db: Database.Database | undefined;
  readonly #listeners = new Set<(site: SiteFile) => void>();

  /** @param file registry database path; omit for an in-memory registry (tests). */
  constructor(file?: string) {
    if (file) {
      mkdirSync(path.dirname(file), { recursive: true });
      this.#db = new Database(file);
      this.#db.pragma('journal_mode = WAL');
      this.#db.exec(`
        CREATE TABLE IF NOT EXISTS sites (id TEXT PRIMARY KEY, doc TEXT NOT NULL, loaded_at INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS discovered (
          ecosystem TEXT NOT NULL, foreign_id TEXT NOT NULL, first_seen INTEGER NOT NULL,
          last_seen INTEGER NOT NULL, messages INTEGER NOT NULL, PRIMARY KEY (ecosystem, foreign_id));
      `);
      for (const r of this.#db.prepare('SELECT * FROM discovered').all() as {
        ecosystem: string; foreign_id: string; first_seen: number; last_seen: number; messages: number;
      }[]) {
        this.#discovered.set(`${r.ecosystem}:${r.foreign_id}`, {
          ecosystem: r.ecosystem, foreignId: r.foreign_id, firstSeen: r.first_seen, lastSeen: r.last_seen, messages: r.messages,
        });
      }
    }
  }

  /** Adds or replaces a site and its devices and members. */
  loadSite(site: SiteFile): void {
    const old = this.#sites.get(site.id);
    if (old) for (const d of old.devices) this.#unindex(site.id, d);
    this.#sites.set(site.id, site);
    for (const d of site.devices) {
      const reg: RegisteredDevice = {
        site: site.id,
        device: d.id,
        kind: d.kind,
        ...(d.name ? { name: d.name } : {}),
        ...(d.desk ? { desk: d.desk, zone: site.desks.find((k) => k.id === d.desk)!.zone } : {}),
        ...(d.zone ? { zone: d.zone } : {}),
        ...(deviceCategory(d) ? { category: deviceCategory(d)! } : {}),
        ...(d.carrier ? { carrier: d.carrier } : {}),
        ...(d.foreign ? { foreign: d.foreign } : {}),
      };
      this.#devices.set(site.id, d.id, reg);
      if (d.foreign) {
        const key = `${d.foreign.ecosystem}:${d.foreign.id}`;
        this.#foreign.set(key, reg);
        this.#discovered.delete(key);
        this.#db?.prepare('DELETE FROM discovered WHERE ecosystem = ? AND foreign_id = ?').run(d.foreign.ecosystem, d.foreign.id);
      }
    }
    this.#members.set(site.id, new Set(site.members.map((m) => m.id)));
    this.#db?.prepare('INSERT OR REPLACE INTO sites (id, doc, loaded_at) VALUES (?, ?, ?)').run(site.id, JSON.stringify(site), Date.now());
    for (const fn of this.#listeners) fn(site);
  }

  /**
   * Calls `fn` with the new site file whenever a site is added or replaced (a site file
   * reloaded, a device added while running). Returns a function that stops the calls.
   */
  onSiteChange(fn: (site: SiteFile) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  #unindex(siteId: string, d: SiteDevice): void {
    this.#devices.delete(siteId, d.id);
    if (d.foreign) this.#foreign.delete(`${d.foreign.ecosystem}:${d.foreign.id}`);
  }

  sites(): SiteFile[] {
    return [...this.#sites.values()];
  }

  site(id: string): SiteFile | undefined {
    return this.#sites.get(id);
  }

  device(site: string, device: string): RegisteredDevice | undefined {
    return this.#devices.get(site, device);
  }

  devices(site: string): RegisteredDevice[] {
    return [...this.#devices.values(site)];
  }

  /** The registered device behind a foreign identity (Zigbee2MQTT name, Shelly id, Tasmota topic). */
  foreign(ecosystem: string, foreignId: string): RegisteredDevice | undefined {
    return this.#foreign.get(`${ecosystem}:${foreignId}`);
  }

  /** Registered channels of a multi-channel foreign device: foreign ids `<id>:…`. */
  foreignChannels(ecosystem: string, deviceId: string): RegisteredDevice[] {
    const prefix = `${ecosystem}:${deviceId}:`;
    return [...this.#foreign.entries()].filter(([k]) => k.startsWith(prefix)).map(([, d]) => d);
  }

  isMember(site: string, member: string): boolean {
    return this.#members.get(site)?.has(member) ?? false;
  }

  /** Records a foreign device nobody has registered yet, so a manager can assign it. */
  noteDiscovered(ecosystem: string, foreignId: string, at: number): void {
    const key = `${ecosystem}:${foreignId}`;
    const d = this.#discovered.get(key);
    if (d) {
      d.lastSeen = at;
      d.messages++;
    } else {
      this.#discovered.set(key, { ecosystem, foreignId, firstSeen: at, lastSeen: at, messages: 1 });
    }
    const cur = this.#discovered.get(key)!;
    // Persist the first sighting and then every 100th: a chatty unknown device must not
    // turn into a database write per message.
    if (cur.messages !== 1 && cur.messages % 100 !== 0) return;
    this.#db
      ?.prepare('INSERT OR REPLACE INTO discovered (ecosystem, foreign_id, first_seen, last_seen, messages) VALUES (?, ?, ?, ?, ?)')
      .run(ecosystem, foreignId, cur.firstSeen, cur.lastSeen, cur.messages);
  }

  discovered(): DiscoveredDevice[] {
    return [...this.#discovered.values()].sort((a, b) => b.lastSeen - a.lastSeen);
  }

  close(): void {
    if (this.#db?.open) this.#db.close();
  }
}
