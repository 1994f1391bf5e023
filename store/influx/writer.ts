/**
 * The InfluxDB batch writer: batches lines by size and time, sends one batch at a time (so
 * InfluxDB sees points in the order they were written), classifies failures, and spools to
 * disk while InfluxDB cannot take writes.
 *
 * Two modes:
 * - direct: `enqueue()` queues lines in memory; the pump sends a batch when `batchSize`
 *   lines are queued or `flushIntervalMs` after the first one (default 0: a group commit,
 *   what arrives while a request is out goes in the next). The caller's promise resolves
 *   once InfluxDB answered 204 (or dropped the points as bad data); ingest acknowledges the
 *   device then, so a wait here is a wait for every device's PUBACK.
 * - spool: entered on the first retryable failure. The failed batch and everything queued
 *   behind it go to the spool in order, and so does every later `enqueue()`, which resolves
 *   once fsync'd. The pump replays the spool from its head with backoff; when the spool is
 *   empty it returns to direct mode. A spool left by a previous process starts in this mode.
 *
 * The spool is taken (`acquireSpool`) when it is needed and given back (`releaseSpool`)
 * once replayed, so a process that rarely writes (the API) does not hold it. When another
 * process holds it, a failed batch stays in memory and is retried; write() then waits,
 * bounded by `maxQueueLines`.
 *
 * Failure classes (http.ts `classifyWriteError`): bad data is dropped and counted by reason
 * (a multi-line batch rejected outright is bisected first, so one bad point does not cost its
 * neighbours); 413 splits the batch; everything else is kept and retried.
 */
import type { StoreHealth, StoreState } from '../types.ts';
import { classifyWriteError } from './http.ts';
import type { Spool } from './spool.ts';

export interface WriterOptions {
  /** Sends newline-joined line protocol; throws on failure. */
  send(body: string): Promise<void>;
  /** Called before a send while `ready` is false (creates the database after an outage at start). */
  prepare?(): Promise<void>;
  /** A spool to start with (one left by a previous process, to replay first). */
  spool?: Spool | null;
  /** Takes the spool when a failure needs it; null while another process holds it. */
  acquireSpool?(): Promise<Spool | null>;
  /** Gives the spool back once it is replayed; without this hook the writer keeps it. */
  releaseSpool?(spool: Spool): Promise<void>;
  /** Lines per request; InfluxDB recommends 5,000. */
  batchSize?: number;
  /** Longest a queued line waits for a full batch (default 0: sent as soon as the writer is free). */
  flushIntervalMs?: number;
  /** Lines held in memory before `enqueue()` waits for room. */
  maxQueueLines?: number;
  /** First retry delay; doubles per failure up to `maxRetryDelayMs`, with jitter. */
  minRetryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Logged once per state change, never per batch. */
  onStateChange?(state: StoreState, lastError: StoreHealth['lastError']): void;
  /**
   * How long `close()` waits for InfluxDB to take what is queued before it spools it
   * instead (default 2 s): a hung InfluxDB must not hold a stop, nor lose what it holds.
   */
  closeGraceMs?: number;
}

interface Entry {
  lines: string[];
  resolve: () => void;
  reject: (err: Error) => void;
}

/** Longest honoured `Retry-After`, so a misbehaving proxy cannot park the writer for a day. */
const MAX_RETRY_AFTER_MS = 10 * 60_000;

class RetryableFailure extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

export class InfluxWriter {
  readonly #o: Required<Pick<WriterOptions, 'send' | 'batchSize' | 'flushIntervalMs' | 'maxQueueLines' | 'minRetryDelayMs' | 'maxRetryDelayMs'>> &
    Pick<WriterOptions, 'prepare' | 'onStateChange' | 'acquireSpool' | 'releaseSpool' | 'closeGraceMs'>;
  #spool: Spool | null;
  /** A spool handed over by `attachSpool()`, taken up by the pump between batches. */
  #attached: Spool | null = null;
  #queue: Entry[] = [];
  #queuedLines = 0;
  #inFlightLines = 0;
  /** The batch being sent in direct mode, for `close()` to spool when InfluxDB does not answer. */
  #inFlight: Entry[] = [];
  /** Set once `close()` spooled the in-flight batch and the queue: the pump has nothing left to do. */
  #spilled = false;
  #mode: 'direct' | 'spool';
  #failing = false;
  #attempt = 0;
  #retryAt = 0;
  #firstQueuedAt = 0;
  #written = 0;
  #dropped: Record<string, number> = {};
  #lastError: StoreHealth['lastError'] = null;
  #lastState: StoreState = 'ok';
  #closing = false;
  #closed = false;
  #wake: (() => void) | null = null;
  #roomWaiters: (() => void)[] = [];
  /** Send what is queued now instead of waiting for a full batch (flush()). */
  #flushNow = false;
  #pump: Promise<void>;
  /** False until `prepare()` succeeds, and again after a 404 (database not found). */
  ready = true;

  constructor(opts: WriterOptions) {
    this.#o = {
      ...opts,
      batchSize: opts.batchSize ?? 5_000,
      flushIntervalMs: opts.flushIntervalMs ?? 0,
      maxQueueLines: opts.maxQueueLines ?? 100_000,
      minRetryDelayMs: opts.minRetryDelayMs ?? 500,
      maxRetryDelayMs: opts.maxRetryDelayMs ?? 30_000,
    };
    this.#spool = opts.spool ?? null;
    this.#mode = !this.#spool || this.#spool.isEmpty ? 'direct' : 'spool';
    this.#pump = this.#run();
  }

  /** Resolves when the lines are in InfluxDB (or dropped as bad data), or durably spooled. */
  async enqueue(lines: string[]): Promise<void> {
    if (this.#closing) throw new Error('influx writer is closed');
    if (lines.length === 0) return;
    while (this.#mode === 'direct' && this.#queuedLines > 0 && this.#queuedLines + lines.length > this.#o.maxQueueLines) {
      // Bounded memory: wait for the batch in flight rather than grow. Spilling to the spool
      // here instead could put these lines ahead of an in-flight batch that later fails.
      await new Promise<void>((r) => this.#roomWaiters.push(r));
      if (this.#closing) throw new Error('influx writer is closed');
    }
    if (this.#mode === 'spool') {
      const appended = this.#spool!.append(lines);
      this.#signal();
      return appended;
    }
    return new Promise<void>((resolve, reject) => {
      if (this.#queue.length === 0) this.#firstQueuedAt = Date.now();
      this.#queue.push({ lines, resolve, reject });
      this.#queuedLines += lines.length;
      this.#signal();
    });
  }

  health(): Omit<StoreHealth, 'kind'> {
    return {
      state: this.#state(),
      queueDepth: this.#queuedLines + this.#inFlightLines + ((this.#spool ?? this.#attached)?.lines ?? 0),
      spoolBytes: (this.#spool ?? this.#attached)?.bytes ?? 0,
      written: this.#written,
      dropped: { ...this.#dropped },
      lastError: this.#lastError,
    };
  }

  /** Counts points that were invalid before they reached InfluxDB. */
  countDropped(reason: string, n = 1): void {
    this.#dropped[reason] = (this.#dropped[reason] ?? 0) + n;
  }

  /** True while the writer holds a spool (or has one waiting to be taken up). */
  get hasSpool(): boolean {
    return this.#spool !== null || this.#attached !== null;
  }

  /**
   * Hands the writer a spool with data to replay (left by a process that died). The pump
   * takes it up between batches; what is queued in memory then goes behind it, being newer.
   * Returns false when the writer has a spool already (the caller keeps this one).
   */
  attachSpool(spool: Spool): boolean {
    if (this.hasSpool || this.#closing) return false;
    this.#attached = spool;
    this.#signal();
    return true;
  }

  /** Switches to spool mode: `first`, then everything queued, go to disk in that order. */
  #toSpool(first: Entry[]): void {
    this.#mode = 'spool';
    const rest = this.#queue;
    this.#queue = [];
    this.#queuedLines = 0;
    for (const e of [...first, ...rest]) this.#spool!.append(e.lines).then(e.resolve, e.reject);
    this.#noteState();
    this.#releaseRoom();
  }

  #state(): StoreState {
    if (this.#failing) return 'down';
    if (this.#mode === 'spool') return 'degraded';
    return 'ok';
  }

  #noteState(): void {
    const s = this.#state();
    if (s !== this.#lastState) {
      this.#lastState = s;
      this.#o.onStateChange?.(s, this.#lastError);
    }
  }

  #signal(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  async #run(): Promise<void> {
    for (;;) {
      if (this.#attached && !this.#spool) {
        const spool = this.#attached;
        this.#attached = null;
        if (!spool.isEmpty || this.#failing) {
          this.#spool = spool;
          this.#toSpool([]);
        } else if (this.#o.releaseSpool) {
          await this.#o.releaseSpool(spool); // nothing to replay after all
        } else {
          this.#spool = spool;
        }
      }
      if (this.#mode === 'spool') {
        const spool = this.#spool!;
        if (this.#closing) return; // leave the rest of the spool for the next start
        if (spool.isEmpty) {
          this.#mode = 'direct';
          this.#noteState();
          if (this.#o.releaseSpool) {
            this.#spool = null;
            await this.#o.releaseSpool(spool);
          }
          continue;
        }
        const wait = this.#retryAt - Date.now();
        if (wait > 0) {
          await this.#sleep(wait);
          continue;
        }
        const chunk = await spool.readHead(this.#o.batchSize);
        if (!chunk) {
          // Appends are being committed; they will signal.
          await this.#sleep(20);
          continue;
        }
        try {
          await this.#deliver(chunk.lines);
          if (this.#spilled) return; // close() gave up on InfluxDB; the chunk stays for the next start
          this.#recovered();
          await spool.ack(chunk);
        } catch (err) {
          if (this.#spilled) return;
          this.#failed(err);
        }
        continue;
      }

      // direct mode
      if (this.#queue.length === 0) {
        if (this.#closing) return;
        await this.#sleep(60_000);
        continue;
      }
      const now = Date.now();
      let sendAt: number;
      if (this.#retryAt > now) sendAt = this.#closing ? now : this.#retryAt; // backing off without a spool
      else if (this.#closing || this.#flushNow || this.#queuedLines >= this.#o.batchSize) sendAt = now;
      else sendAt = this.#firstQueuedAt + this.#o.flushIntervalMs;
      if (sendAt > now) {
        await this.#sleep(sendAt - now);
        continue;
      }
      const batch = this.#takeBatch();
      this.#inFlight = batch;
      try {
        await this.#deliver(batch.flatMap((e) => e.lines));
        if (this.#spilled) return; // close() spooled this batch already; sending it twice is harmless
        this.#inFlight = [];
        this.#inFlightLines = 0;
        for (const e of batch) e.resolve();
        this.#recovered();
      } catch (err) {
        if (this.#spilled) return;
        this.#inFlight = [];
        this.#failed(err);
        this.#inFlightLines = 0;
        this.#spool ??= this.#attached ?? (await this.#acquireSpool());
        this.#attached = null;
        if (this.#spool) {
          // Order on disk: the failed batch, then everything queued behind it. Later
          // enqueue() calls see mode 'spool' and append after these.
          this.#toSpool(batch);
        } else if (this.#closing) {
          // No spool to hand the points to: tell the callers rather than hang.
          for (const e of [...batch, ...this.#queue]) e.reject(new Error(`InfluxDB write failed and no spool is available: ${this.#lastError?.message}`));
          this.#queue = [];
          this.#queuedLines = 0;
          return;
        } else {
          // No spool: keep the batch at the head of the queue and retry after the backoff.
          this.#queue.unshift(...batch);
          this.#queuedLines += batch.reduce((n, e) => n + e.lines.length, 0);
        }
      }
      this.#releaseRoom();
    }
  }

  /**
   * Sends what is queued without waiting for a full batch and waits until nothing is left
   * in memory or in the spool; false when that did not happen within `timeoutMs`.
   */
  async flush(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    this.#flushNow = true;
    this.#signal();
    try {
      while (this.health().queueDepth > 0 || this.#attached) {
        if (Date.now() >= deadline || this.#closed) return false;
        await new Promise((r) => setTimeout(r, 20));
      }
      return true;
    } finally {
      this.#flushNow = false;
    }
  }

  async #acquireSpool(): Promise<Spool | null> {
    if (!this.#o.acquireSpool) return null;
    try {
      return await this.#o.acquireSpool();
    } catch (err) {
      this.#lastError = { at: Date.now(), message: `cannot open spool: ${(err as Error).message}` };
      return null;
    }
  }

  #takeBatch(): Entry[] {
    const batch: Entry[] = [];
    let n = 0;
    while (this.#queue.length > 0 && (n === 0 || n + this.#queue[0]!.lines.length <= this.#o.batchSize)) {
      const e = this.#queue.shift()!;
      batch.push(e);
      n += e.lines.length;
    }
    this.#queuedLines -= n;
    this.#inFlightLines = n;
    this.#firstQueuedAt = Date.now();
    return batch;
  }

  #releaseRoom(): void {
    const waiters = this.#roomWaiters;
    this.#roomWaiters = [];
    for (const w of waiters) w();
  }

  #recovered(): void {
    this.#attempt = 0;
    this.#retryAt = 0;
    this.#failing = false;
    this.#noteState();
  }

  #failed(err: unknown): void {
    const retryAfter = err instanceof RetryableFailure ? err.retryAfterMs : 0;
    const message = err instanceof Error ? err.message : String(err);
    this.#lastError = { at: Date.now(), message };
    this.#failing = true;
    const backoff = Math.min(this.#o.maxRetryDelayMs, this.#o.minRetryDelayMs * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    // Jitter (half to full delay) keeps many deskprint processes from retrying in lockstep.
    const jittered = backoff * (0.5 + Math.random() * 0.5);
    this.#retryAt = Date.now() + Math.max(jittered, Math.min(retryAfter, MAX_RETRY_AFTER_MS));
    this.#noteState();
  }

  /**
   * Sends lines in batches of `batchSize`, splitting and bisecting as the failures demand.
   * Resolves when every line is stored or dropped; throws `RetryableFailure` otherwise
   * (lines sent before the failure are stored; resending them later overwrites identically).
   */
  async #deliver(lines: string[]): Promise<void> {
    if (!this.ready && this.#o.prepare) {
      try {
        await this.#o.prepare();
        this.ready = true;
      } catch (err) {
        throw new RetryableFailure((err as Error).message, 0);
      }
    }
    for (let i = 0; i < lines.length; i += this.#o.batchSize) {
      await this.#sendSlice(lines.slice(i, i + this.#o.batchSize));
    }
  }

  async #sendSlice(lines: string[]): Promise<void> {
    try {
      await this.#o.send(lines.join('\n'));
      this.#written += lines.length;
      return;
    } catch (err) {
      const f = classifyWriteError(err);
      if (f.kind === 'retry') {
        if (/database not found/i.test(f.message)) this.ready = false;
        throw new RetryableFailure(f.message, f.retryAfterMs);
      }
      if (f.kind === 'reject' && (f.partial || lines.length === 1)) {
        // InfluxDB stored the rest of the batch and says how many it dropped.
        const dropped = Math.min(lines.length, f.dropped ?? 1);
        this.#written += lines.length - dropped;
        this.countDropped(f.reason, dropped);
        this.#lastError = { at: Date.now(), message: `dropped ${dropped} point(s): ${f.message}` };
        return;
      }
      if (f.kind === 'split' && lines.length === 1) {
        this.countDropped('413 line too large');
        this.#lastError = { at: Date.now(), message: `dropped 1 point: ${f.message}` };
        return;
      }
      // 413, or a whole batch rejected as bad data: halve it and try each half.
      const mid = Math.ceil(lines.length / 2);
      await this.#sendSlice(lines.slice(0, mid));
      await this.#sendSlice(lines.slice(mid));
    }
  }

  /**
   * Sends or spools everything queued in memory, stops the pump and closes the spool it
   * holds (what is unreplayed stays on disk for the next start).
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closing = true;
    this.#signal();
    const graceMs = this.#o.closeGraceMs ?? 2_000;
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([this.#pump.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), graceMs)))]);
    clearTimeout(timer);
    if (!finished) await this.#spill();
    this.#closed = true;
    this.#releaseRoom();
    for (const spool of [this.#spool, this.#attached]) {
      if (spool) await (this.#o.releaseSpool ?? ((s: Spool) => s.close()))(spool);
    }
    this.#spool = null;
    this.#attached = null;
  }

  /**
   * InfluxDB did not take the in-flight batch within the grace: spool it, and everything
   * queued behind it, in order, so the callers' promises resolve (fsync'd) and the next
   * start replays them. A batch InfluxDB took after all is replayed again, which overwrites
   * identically.
   */
  async #spill(): Promise<void> {
    const entries = [...this.#inFlight, ...this.#queue];
    this.#spilled = true;
    this.#inFlight = [];
    this.#queue = [];
    this.#queuedLines = 0;
    this.#inFlightLines = 0;
    if (entries.length === 0) return;
    this.#spool ??= this.#attached ?? (await this.#acquireSpool());
    this.#attached = null;
    const spool = this.#spool;
    if (!spool) {
      // Another process holds the spool: nothing here was acknowledged, so its senders send it again.
      for (const e of entries) e.reject(new Error(`InfluxDB did not answer and no spool is available: ${this.#lastError?.message ?? 'no answer'}`));
      return;
    }
    await Promise.all(entries.map((e) => spool.append(e.lines).then(e.resolve, e.reject)));
  }
}
