/// <reference types="svelte" />
/** The devices page's list (`GET /devices`), refreshed while the page is open. */
import type { DevicesResponse } from '../../../../devices/api-types.ts';
import type { ViewsApi } from '../api/views.ts';
import { LOADING, READY, failed, type Load } from './load.ts';

/** Last-seen times move by the second; a refresh every few seconds keeps statuses honest. */
export const DEVICES_REFRESH_MS = 5_000;

export class SiteDevices {
  readonly siteId: string;
  data = $state.raw<DevicesResponse | null>(null);
  load = $state.raw<Load>(LOADING);
  readonly #api: Pick<ViewsApi, 'devices'>;

  constructor(siteId: string, api: Pick<ViewsApi, 'devices'>) {
    this.siteId = siteId;
    this.#api = api;
  }

  async refresh(): Promise<void> {
    try {
      this.data = await this.#api.devices(this.siteId);
      this.load = READY;
    } catch (error) {
      // Keep showing the last good list through a passing failure.
      if (!this.data) this.load = failed(error);
    }
  }
}
