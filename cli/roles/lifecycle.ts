/**
 * What a process has started, stopped in reverse order: each assembler defers the stop of
 * what it starts, so the drain order of issue 17 (devices refused, ingest stopped, the writer
 * emptied into the store, the store closed) follows from the order things were started in.
 */
import type { Logger } from '../log.ts';

export class Lifecycle {
  #stops: (() => Promise<void> | void)[] = [];
  #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  /** Runs `stop` when the process closes, before everything deferred earlier. */
  defer(stop: () => Promise<void> | void): void {
    this.#stops.push(stop);
  }

  async close(): Promise<void> {
    for (const stop of this.#stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (err) {
        this.#log.warn({ err: (err as Error).message }, 'error while stopping');
      }
    }
  }
}
