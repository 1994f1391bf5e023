/// <reference types="svelte" />
/** The sites this dashboard can show (`GET /api/sites`). */
import type { SiteSummary } from '../../../../devices/api-types.ts';
import { errorMessage, type DashboardApi } from '../api/client.ts';

export type DirectoryState = { readonly kind: 'loading' } | { readonly kind: 'ready' } | { readonly kind: 'error'; readonly message: string };

export class SiteDirectory {
  sites = $state.raw<readonly SiteSummary[]>([]);
  load = $state.raw<DirectoryState>({ kind: 'loading' });

  readonly #api: DashboardApi;

  constructor(api: DashboardApi) {
    this.#api = api;
  }

  async refresh(): Promise<void> {
    this.load = { kind: 'loading' };
    try {
      this.sites = await this.#api.sites();
      this.load = { kind: 'ready' };
    } catch (error) {
      this.load = { kind: 'error', message: errorMessage(error) };
    }
  }

  find(siteId: string): SiteSummary | undefined {
    return this.sites.find((s) => s.id === siteId);
  }
}
