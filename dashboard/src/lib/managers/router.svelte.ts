/** The current hash route, kept in sync with `location.hash`. */
import { pathOfHash } from '../routing.ts';

export class HashRouter {
  path = $state(pathOfHash(window.location.hash));

  /** Listens for hash changes until the returned function is called. */
  start(): () => void {
    const sync = () => {
      this.path = pathOfHash(window.location.hash);
    };
    window.addEventListener('hashchange', sync);
    sync();
    return () => window.removeEventListener('hashchange', sync);
  }

  navigate(path: string): void {
    window.location.hash = path;
  }

  /** Replaces the current entry, for redirects that should not pile up in history. */
  redirect(path: string): void {
    history.replaceState(null, '', `#${path}`);
    this.path = path;
  }
}
