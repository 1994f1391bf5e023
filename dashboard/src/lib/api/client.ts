/**
 * REST calls the dashboard makes, typed by devices/api-types.ts. The server answers errors
 * as `{ error: { code, message } }` (STYLE.md §13); this turns them, and network failures,
 * into an `ApiError` whose message can be shown as is.
 */
import type { LiveSnapshot, SeriesResponse, SiteSummary } from '../../../../devices/api-types.ts';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    /** HTTP status; 0 when the server could not be reached. */
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface DashboardApi {
  sites(): Promise<SiteSummary[]>;
  /** Null until the site's first snapshot exists (just after start-up); the socket brings it. */
  live(site: string): Promise<LiveSnapshot | null>;
  /**
   * Mean power by energy category in windows of `everyMs`, summed over devices. The server
   * leaves the incoming-supply (`main`) meters out unless asked for `category: 'main'`.
   */
  powerSeries(site: string, query: { from: number; to: number; everyMs: number; category?: 'main' }): Promise<SeriesResponse>;
}

type Fetch = (input: string, init?: { headers?: Record<string, string> }) => Promise<{
  ok: boolean;
  status: number;
  statusText: string;
  json(): Promise<unknown>;
}>;

export function httpApi(options: { baseUrl?: string; fetch?: Fetch } = {}): DashboardApi {
  const baseUrl = options.baseUrl ?? '';
  const doFetch: Fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  async function get<T>(path: string): Promise<T> {
    let res: Awaited<ReturnType<Fetch>>;
    try {
      res = await doFetch(baseUrl + path, { headers: { accept: 'application/json' } });
    } catch {
      throw new ApiError(0, 'unreachable', 'Cannot reach the deskprint server.');
    }
    const body: unknown = await res.json().catch(() => null);
    if (res.ok) return body as T;
    const envelope = body as { error?: { code?: unknown; message?: unknown } } | null;
    const code = typeof envelope?.error?.code === 'string' ? envelope.error.code : `http_${res.status}`;
    const message = typeof envelope?.error?.message === 'string' ? envelope.error.message : `${res.status} ${res.statusText}`.trim();
    throw new ApiError(res.status, code, message);
  }

  return {
    sites: () => get<SiteSummary[]>('/api/sites'),
    live: (site) => get<LiveSnapshot | null>(`/api/sites/${encodeURIComponent(site)}/live`),
    powerSeries: (site, { from, to, everyMs, category }) => {
      const query = new URLSearchParams({ metric: 'power_w', from: String(from), to: String(to), every: String(everyMs), by: 'category', fn: 'mean' });
      if (category) query.set('category', category);
      return get<SeriesResponse>(`/api/sites/${encodeURIComponent(site)}/series?${query}`);
    },
  };
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
