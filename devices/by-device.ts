/**
 * Values per (site, device) in nested maps. Lookups use the site and device strings as they
 * are (a string's hash is kept with it), rather than building a `site/device` key for every
 * message, which cost several per cent of ingest at high rates (bench/RESULTS.md).
 */
export class BySiteDevice<V> {
  readonly #sites = new Map<string, Map<string, V>>();

  get(site: string, device: string): V | undefined {
    return this.#sites.get(site)?.get(device);
  }

  set(site: string, device: string, value: V): this {
    let devices = this.#sites.get(site);
    if (!devices) this.#sites.set(site, (devices = new Map()));
    devices.set(device, value);
    return this;
  }

  delete(site: string, device: string): boolean {
    const devices = this.#sites.get(site);
    if (!devices?.delete(device)) return false;
    if (devices.size === 0) this.#sites.delete(site);
    return true;
  }

  /** Forgets every value of one site. */
  deleteSite(site: string): void {
    this.#sites.delete(site);
  }

  /** The values of one site. */
  values(site: string): IterableIterator<V> {
    return (this.#sites.get(site) ?? new Map<string, V>()).values();
  }
}
