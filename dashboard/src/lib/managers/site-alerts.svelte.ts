/// <reference types="svelte" />
/**
 * A site's alerts for its manager: loaded from `GET /alerts`, then replaced whole by every
 * socket `alerts` event (the server sends the full lists, with waste estimates that grow).
 */
import type { Alert, AlertsResponse } from '../../../../devices/api-types.ts';
import { LOADING, READY, failed, type Load } from './load.ts';

export class SiteAlerts {
  readonly siteId: string;
  active = $state.raw<readonly Alert[]>([]);
  resolved = $state.raw<readonly Alert[]>([]);
  /** Server time of the lists shown. */
  at = $state<number | null>(null);
  load = $state.raw<Load>(LOADING);

  constructor(siteId: string) {
    this.siteId = siteId;
  }

  /** A REST answer or a socket event; an older evaluation than the one shown is ignored. */
  receive(update: AlertsResponse): void {
    if (update.site !== this.siteId) return;
    if (this.at !== null && update.at < this.at) return;
    this.active = update.active;
    this.resolved = update.resolved;
    this.at = update.at;
    this.load = READY;
  }

  fail(error: unknown): void {
    // Alerts already pushed over the socket beat an error message.
    if (this.at === null) this.load = failed(error);
  }

  /** Waste alerts' estimated totals, for the summary line. */
  get wasted(): { kwh: number; kgco2e: number } {
    let kwh = 0;
    let kgco2e = 0;
    for (const a of this.active) {
      kwh += a.wasted_kwh ?? 0;
      kgco2e += a.wasted_kgco2e ?? 0;
    }
    return { kwh, kgco2e };
  }
}
