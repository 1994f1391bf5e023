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

/** The part of `fetch` the client uses; tests pass a stand-in. */
export type Fetch = (
  input: string,
  init?: { method?: string; headers?: Record<string, string>; body?: string; credentials?: 'same-origin' },
) => Promise<{
  ok: boolean;
  status: number;
  statusText: string;
  json(): Promise<unknown>;
}>;

export interface HttpClientOptions {
  baseUrl?: string;
  fetch?: Fetch;
  /** The session's CSRF token, sent with every write (docs/security.md). */
  csrf?: () => string | null;
  /** Called when the server says the caller is not (or no longer) signed in. */
  onUnauthorized?: (error: ApiError) => void;
}

/** JSON over HTTP with the error envelope turned into `ApiError`. */
export interface HttpClient {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
}

export function httpClient(options: HttpClientOptions = {}): HttpClient {
  const baseUrl = options.baseUrl ?? '';
  const doFetch: Fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  async function request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (method !== 'GET') {
      headers['content-type'] = 'application/json';
      const csrf = options.csrf?.();
      if (csrf) headers['x-csrf-token'] = csrf;
    }
    let res: Awaited<ReturnType<Fetch>>;
    try {
      res = await doFetch(baseUrl + path, { method, headers, credentials: 'same-origin', ...(method !== 'GET' ? { body: JSON.stringify(body ?? {}) } : {}) });
    } catch {
      throw new ApiError(0, 'unreachable', 'Cannot reach the deskprint server.');
    }
    // 204 No Content (logout) has no body to read.
    const payload: unknown = res.status === 204 ? null : await res.json().catch(() => null);
    if (res.ok) return payload as T;
    const envelope = payload as { error?: { code?: unknown; message?: unknown } } | null;
    const code = typeof envelope?.error?.code === 'string' ? envelope.error.code : `http_${res.status}`;
    const message = typeof envelope?.error?.message === 'string' ? envelope.error.message : `${res.status} ${res.statusText}`.trim();
    const error = new ApiError(res.status, code, message);
    if (res.status === 401 && !path.startsWith('/api/auth/')) options.onUnauthorized?.(error);
    throw error;
  }

  return {
    get: (path) => request('GET', path),
    post: (path, body) => request('POST', path, body),
  };
}

export function httpApi(options: HttpClientOptions | { client: HttpClient } = {}): DashboardApi {
  const { get } = 'client' in options ? options.client : httpClient(options);
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
