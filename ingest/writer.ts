/**
 * Store writer: batches points and hands them to the TimeSeriesStore, one batch at a time,
 * in the order they came. `enqueue` answers a promise that resolves once the store has
 * acknowledged the batch holding those points — committed to SQLite, or written to InfluxDB
 * or fsync'd to its spool — and that is when the message source may acknowledge the
 * message to its sender (DESIGN "Acknowledged means stored").
 *
 * Batching is a group commit: while a batch is being written, what arrives gathers into the
 * next one, which goes as soon as the store is free (after the turn of the event loop in
 * which the first of it arrived, so one socket read's messages share a transaction). A
 * failed batch is kept in front and retried with backoff; its senders wait, unacknowledged,
 * until it is stored (STYLE §5).
 */
import type { Logger } from 'pino';
import type { Point, TimeSeriesStore } from '../store/types.ts';

export interface StoreWriterOptions {
  store: TimeSeriesStore;
  log: Logger;
  /** Most points in one write; more waiting go in the next. */
  batchSize?: number;
  /** Called after each acknowledged batch with the number of readings it carried. */
  onStored?: (readings: number, points: readonly Point[]) => void;
}

/** Points waiting for one write, and the promise their senders wait on. */
class Batch {
  points: Point[] = [];
  readings = 0;
  readonly durable: Promise<void>;
  resolve!: () => void;

  constructor() {
    this.durable = new Promise<void>((r) => (this.resolve = r));
  }
}

export class StoreWriter {
  #opts: Required<Omit<StoreWriterOptions, 'onStored'>> & Pick<StoreWriterOptions, 'onStored'>;
  /** Batches not yet acknowledged, oldest first; the head may be in flight. */
  #batches: Batch[] = [];
  #inFlight: Promise<void> | undefined;
  /** The batch `#inFlight` is writing. */
  #writing: Batch | undefined;
  #scheduled = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #failures = 0;
  #closed = false;
  /** Readings acknowledged by the store. */
  stored = 0;

  constructor(opts: StoreWriterOptions) {
    this.#opts = { batchSize: 5_000, ...opts };
  }

  /** Points waiting to be acknowledged by the store (including a batch in flight). */
  get depth(): number {
    let n = 0;
    for (const b of this.#batches) n += b.points.length;
    return n;
  }

  /** True while the last write failed and its batch waits for a retry. */
  get failing(): boolean {
    return this.#failures > 0;
  }

  /**
   * Queues points for the store; resolves once they are durable. `readings` is how many
   * readings and check-ins they carry, for the `stored` counter.
   */
  enqueue(points: readonly Point[], readings: number): Promise<void> {
    if (this.#closed) throw new Error('store writer is closed');
    let tail = this.#batches.at(-1);
    // The head is in flight (or failed and waiting): new points start the next batch.
    if (!tail || (tail === this.#batches[0] && (this.#inFlight || this.#failures > 0)) || tail.points.length >= this.#opts.batchSize) {
      this.#batches.push((tail = new Batch()));
    }
    for (const p of points) tail.points.push(p);
    tail.readings += readings;
    this.#schedule();
    return tail.durable;
  }

  /** Resolves once everything enqueued so far is durable; undefined when nothing is pending. */
  settled(): Promise<void> | undefined {
    return this.#batches.at(-1)?.durable;
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight || this.#retryTimer) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#writeHead();
    });
  }

  #writeHead(): void {
    if (this.#inFlight || this.#retryTimer) return;
    const batch = this.#batches[0];
    if (!batch) return;
    this.#inFlight = this.#write(batch).finally(() => {
      this.#inFlight = undefined;
      if (this.#batches.length === 0 || this.#closed) return;
      if (this.#failures > 0) {
        this.#retryTimer = setTimeout(() => {
          this.#retryTimer = undefined;
          this.#writeHead();
        }, this.#backoff());
      } else this.#writeHead();
    });
  }

  #backoff(): number {
    // Exponential with full jitter, capped at 10 s.
    return Math.random() * Math.min(10_000, 100 * 2 ** Math.min(this.#failures, 10));
  }

  #stored(batch: Batch): void {
    const i = this.#batches.indexOf(batch);
    if (i < 0) return;
    this.#batches.splice(i, 1);
    this.stored += batch.readings;
    this.#opts.onStored?.(batch.readings, batch.points);
    batch.resolve();
  }

  async #write(batch: Batch): Promise<void> {
    this.#writing = batch;
    try {
      await this.#opts.store.write(batch.points);
      this.#failures = 0;
      this.#stored(batch);
    } catch (err) {
      this.#failures++;
      if (this.#failures === 1 || this.#failures % 50 === 0) {
        this.#opts.log.error({ err: (err as Error).message, points: batch.points.length }, 'store write failed; keeping the batch and retrying (its senders wait unacknowledged)');
      }
    } finally {
      this.#writing = undefined;
    }
  }

  /**
   * Stops: refuses further points, hands every batch the store does not have yet to it at
   * once, in order (a store that spools, InfluxDB, takes them all and spools what InfluxDB
   * will not take when it closes), and waits up to `timeoutMs` for the store to acknowledge
   * them. What is still unacknowledged then was never acknowledged to its sender either,
   * who sends it again: stopping loses nothing acknowledged.
   */
  async close(timeoutMs = 5_000): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    const waiting: Promise<unknown>[] = this.#inFlight ? [this.#inFlight] : [];
    for (const batch of this.#batches) {
      if (batch === this.#writing) continue;
      waiting.push(
        this.#opts.store.write(batch.points).then(
          () => this.#stored(batch),
          () => undefined,
        ),
      );
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(waiting), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    if (this.depth > 0) this.#opts.log.warn({ points: this.depth }, 'stopped with points the store did not acknowledge; their senders were not acknowledged and will send them again');
  }
}
