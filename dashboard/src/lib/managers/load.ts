/** What a view shows while its data loads: nothing yet, the data, or why it failed. */
import { ApiError, errorMessage } from '../api/client.ts';

export type Load =
  | { readonly kind: 'loading' }
  | { readonly kind: 'ready' }
  /** `status` is the HTTP status (0 unreachable): 403 and 404 get their own wording. */
  | { readonly kind: 'error'; readonly message: string; readonly status: number };

export const LOADING: Load = { kind: 'loading' };
export const READY: Load = { kind: 'ready' };

export function failed(error: unknown): Load {
  return { kind: 'error', message: errorMessage(error), status: error instanceof ApiError ? error.status : 0 };
}
