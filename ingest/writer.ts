/**
 * Store writer: batches points by size and time and hands them to the TimeSeriesStore.
 * A failed batch is kept and retried with backoff; only what the store acknowledged is
 * counted as stored (STYLE §5).
 */
import type { Logger } from 'pino';
import type { Point, TimeSeriesStore } from '../store/types.ts';

export interface StoreWriterOptions {
  store: TimeSeriesStore;
  log: Logger;
  /** Flush when this many points are pending. */
  batchSize?: number;
  /** Flush at least this often (ms). */
  flushMs?: number;
  /** Called after each acknowledged batch with the number of readings it carried. */
  onStored?: (readings: number, points: readonly Point[]) => void;
  /** Points pending beyond which `backlog()` asks the source to hold. Default 4 batches. */
  highWaterMark?: number;
}

interface Pending {
  points: Point[];
  readings: number;
}

export class StoreWriter {
  #opts: Required<Omit<StoreWriterOptions, 'onStored'>> & Pick<StoreWriterOptions, 'onStored'>;
  #pending: Pending = { points: [], readings: 0 };
  #inFlight: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #failures = 0;
  #closed = false;
  /** Readings acknowledged by the store. */
  stored = 0;

  #drained: { promise: Promise<void>; resolve: () => void } | undefined;

  constructor(opts: StoreWriterOptions) {
    const batchSize = opts.batchSize ?? 5_000;
    this.#opts = { batchSize, flushMs: 100, highWaterMark: 4 * batchSize, ...opts };
  }

  /**
   * Back-pressure for the message source: undefined while the store keeps up, else a
   * promise that resolves once the backlog is down to half the high-water mark. A failing
   * store is not waited for: its batches are kept and retried as before, and messages keep
   * flowing into memory rather than stopping at the broker.
   */
  backlog(): Promise<void> | undefined {
    if (this.depth < this.#opts.highWaterMark || this.#failures > 0 || this.#closed) return undefined;
    if (!this.#drained) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.#drained = { promise, resolve };
    }
    return this.#drained.promise;
  }

  #releaseBacklog(): void {
    if (this.#drained && (this.depth <= this.#opts.highWaterMark / 2 || this.#failures > 0 || this.#closed)) {
      this.#drained.resolve();
      this.#drained = undefined;
    }
  }

  /** Points waiting to be written (including a batch in flight). */
  get depth(): number {
    return this.#pending.points.length + this.#inFlightPoints;
  }
  #inFlightPoints = 0;

  enqueue(points: readonly Point[], readings: number): void {
    for (const p of points) this.#pending.points.push(p);
    this.#pending.readings += readings;
    if (this.#pending.points.length >= this.#opts.batchSize) this.#kick(0);
    else this.#kick(this.#opts.flushMs);
  }

  #kick(delay: number): void {
    if (this.#inFlight || this.#closed) return;
    if (delay === 0) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#inFlight = this.#flushOnce().finally(() => {
        this.#inFlight = undefined;
        this.#releaseBacklog();
        if (this.#pending.points.length > 0) this.#kick(this.#failures > 0 ? this.#backoff() : this.#pending.points.length >= this.#opts.batchSize ? 0 : this.#opts.flushMs);
      });
    } else if (!this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#kick(0);
      }, delay);
    }
  }

  #backoff(): number {
    // Exponential with full jitter, capped at 10 s.
    return Math.random() * Math.min(10_000, 100 * 2 ** Math.min(this.#failures, 10));
  }

  async #flushOnce(): Promise<void> {
    const batch = this.#pending;
    if (batch.points.length === 0) return;
    this.#pending = { points: [], readings: 0 };
    this.#inFlightPoints = batch.points.length;
    try {
      await this.#opts.store.write(batch.points);
      this.#failures = 0;
      this.stored += batch.readings;
      this.#opts.onStored?.(batch.readings, batch.points);
    } catch (err) {
      this.#failures++;
      if (this.#failures === 1 || this.#failures % 50 === 0) {
        this.#opts.log.error({ err: (err as Error).message, points: batch.points.length }, 'store write failed; keeping the batch and retrying');
      }
      // Put the batch back in front, preserving order.
      this.#pending = { points: batch.points.concat(this.#pending.points), readings: batch.readings + this.#pending.readings };
    } finally {
      this.#inFlightPoints = 0;
    }
  }

  /** Writes everything pending; resolves when the store acknowledged it or `timeoutMs` passed. */
  async flush(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.#pending.points.length > 0 || this.#inFlight) && Date.now() < deadline) {
      if (this.#inFlight) await this.#inFlight;
      else {
        this.#kick(0);
        if (this.#inFlight) await this.#inFlight;
      }
      if (this.#failures > 0 && this.#pending.points.length > 0) await new Promise((r) => setTimeout(r, Math.min(500, deadline - Date.now())));
    }
  }

  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#releaseBacklog();
  }
}
