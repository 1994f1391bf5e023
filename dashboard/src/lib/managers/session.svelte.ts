/// <reference types="svelte" />
/**
 * Who is signed in (docs/security.md): the session cookie is httpOnly, so the page asks
 * `GET /api/auth/me` at start, signs in with `POST /api/auth/login` and keeps the CSRF token
 * the server returns for its writes. A server without accounts (no /api/auth) is open: every
 * view is shown, as to a manager. A server with a public live view (`--demo`, a lobby
 * display) lets visitors who have not signed in see the building's aggregate live view.
 */
import { ApiError, errorMessage } from '../api/client.ts';
import type { Role, SessionUser } from '../api/types.ts';
import type { ViewsApi } from '../api/views.ts';

export type SessionState =
  | { readonly kind: 'checking' }
  | { readonly kind: 'signed_out'; readonly notice: string | null }
  /** Not signed in, but the server shows the aggregate live view to anyone. */
  | { readonly kind: 'public'; readonly notice: string | null }
  | { readonly kind: 'signed_in'; readonly user: SessionUser; readonly open: boolean };

export class Session {
  state = $state.raw<SessionState>({ kind: 'checking' });
  /** Why the last sign-in failed, for the form. */
  error = $state<string | null>(null);
  busy = $state(false);
  /** Not reactive: read by the HTTP client for every write. */
  csrf: string | null = null;

  readonly #api: Pick<ViewsApi, 'me' | 'login' | 'logout'>;
  readonly #probePublic: () => Promise<boolean>;

  /** `probePublic` answers whether the server shows its live view without sign-in. */
  constructor(api: Pick<ViewsApi, 'me' | 'login' | 'logout'>, probePublic: () => Promise<boolean> = async () => false) {
    this.#api = api;
    this.#probePublic = probePublic;
  }

  /** Signed in, or a visitor of the public live view: the site list and live feed may load. */
  get browsing(): boolean {
    return this.state.kind === 'signed_in' || this.state.kind === 'public';
  }

  /** Changes when who is looking changes (so the live connection re-authenticates). */
  get identity(): string {
    return this.state.kind === 'signed_in' ? `user:${this.state.user.name}` : this.state.kind;
  }

  get user(): SessionUser | null {
    return this.state.kind === 'signed_in' ? this.state.user : null;
  }

  get role(): Role | null {
    return this.user?.role ?? null;
  }

  /** Asks the server whether the cookie still holds a session. */
  async check(): Promise<void> {
    try {
      const me = await this.#api.me();
      this.csrf = me.csrf ?? null;
      this.state = { kind: 'signed_in', user: me.user, open: false };
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        // No accounts on this server (development, route tests): nothing to sign in to.
        this.state = { kind: 'signed_in', user: { name: 'everyone', role: 'manager', sites: [] }, open: true };
      } else if (error instanceof ApiError && error.status === 401) {
        const notice = error.code === 'ERR_SESSION_EXPIRED' ? 'Your session has expired; sign in again.' : null;
        this.state = (await this.#probePublic().catch(() => false)) ? { kind: 'public', notice } : { kind: 'signed_out', notice };
      } else {
        this.state = { kind: 'signed_out', notice: `Cannot check your sign-in: ${errorMessage(error)}` };
      }
    }
  }

  /** Signs in; on failure `error` says why and the state stays signed out. */
  async login(username: string, password: string): Promise<boolean> {
    this.busy = true;
    this.error = null;
    try {
      const res = await this.#api.login(username, password);
      this.csrf = res.csrf;
      this.state = { kind: 'signed_in', user: res.user, open: false };
      return true;
    } catch (error) {
      this.error = error instanceof ApiError && error.status === 401 ? 'Wrong username or password.' : errorMessage(error);
      return false;
    } finally {
      this.busy = false;
    }
  }

  async logout(): Promise<void> {
    try {
      await this.#api.logout();
    } catch {
      // Signed out on this page either way; the cookie expires on its own.
    }
    this.csrf = null;
    const notice = 'You have signed out.';
    this.state = (await this.#probePublic().catch(() => false)) ? { kind: 'public', notice } : { kind: 'signed_out', notice };
  }

  /** Any API call answered 401: the session ended elsewhere or expired. */
  expire(message: string): void {
    if (this.state.kind !== 'signed_in' || this.state.open) return;
    this.csrf = null;
    this.state = { kind: 'signed_out', notice: message };
  }
}
