/**
 * Durable on-disk spool of line protocol, for the time InfluxDB cannot take writes.
 *
 * Layout: numbered segment files `<seq>.lp` in one directory, each an append-only run of
 * newline-terminated lines. An append is written and fdatasync'd before it resolves, so a
 * resolved `append()` survives a crash or power loss. Appends from the same tick are
 * committed together (one write, one sync). Replay reads the oldest segment from a cursor,
 * in order; a segment is deleted once it has been replayed entirely.
 *
 * One process owns a spool directory at a time: a `LOCK` file, touched every few seconds,
 * marks the owner, and a lock untouched for `LOCK_STALE_MS`, or naming a process of this
 * host that no longer runs, is taken over (its owner died).
 * Two processes on one data dir (ingest and api, or a `recompute` run) would otherwise
 * replay and delete each other's segments.
 *
 * Crash behaviour: a new process never appends to an old segment; it starts a new one, so
 * a torn last line (a crash mid-append, never acknowledged) can be skipped safely. The replay
 * cursor lives in memory only: after a restart the oldest segment is replayed from its
 * beginning, which re-sends some points InfluxDB already has. That is harmless because
 * identical points overwrite (store/types.ts), and segments are small, so it is bounded.
 */
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { open, readFile, unlink, utimes, writeFile, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';

export interface SpoolOptions {
  dir: string;
  /** A segment is sealed and a new one started past this size. */
  segmentBytes?: number;
  /** Appends are refused past this many unreplayed bytes on disk. */
  maxBytes?: number;
}

export interface SpoolChunk {
  lines: string[];
  /** Bytes this chunk occupies in its segment, newlines included. */
  bytes: number;
  /** @internal segment sequence number and cursor after the chunk. */
  readonly seq: number;
  readonly end: number;
}

interface Segment {
  seq: number;
  file: string;
  /** Bytes durably written. */
  size: number;
  /** Complete lines durably written (approximate for a torn segment). */
  lines: number;
  /** Open for appends: only the newest segment created by this process. */
  handle: FileHandle | null;
}

interface PendingAppend {
  data: string;
  lines: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

const SEGMENT_FILE = /^(\d{12})\.lp$/;
const DEFAULT_SEGMENT_BYTES = 8 * 1024 * 1024;
const DEFAULT_MAX_BYTES = 2 * 1024 * 1024 * 1024;
/** Largest read per replay chunk; far above any single line we produce. */
const READ_BYTES = 4 * 1024 * 1024;
const LOCK_FILE = 'LOCK';
const LOCK_HEARTBEAT_MS = 3_000;
/** Five missed heartbeats: the owner is gone (crashed, or its container was replaced). */
export const LOCK_STALE_MS = 15_000;

/** Another live process owns the spool directory. */
export class SpoolLockedError extends Error {
  override name = 'SpoolLockedError';
}

/** Spool directories locked by this process, which a lock file naming our pid cannot tell apart. */
const heldHere = new Set<string>();

async function acquireLock(dir: string): Promise<void> {
  if (heldHere.has(dir)) throw new SpoolLockedError(`spool ${dir} is in use by another store of this process`);
  await takeLockFile(dir);
  heldHere.add(dir);
}

async function takeLockFile(dir: string): Promise<void> {
  const file = path.join(dir, LOCK_FILE);
  const owner = JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() });
  try {
    await writeFile(file, owner, { flag: 'wx' });
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  let age: number;
  try {
    age = Date.now() - statSync(file).mtimeMs;
  } catch {
    return takeLockFile(dir); // released meanwhile
  }
  const held = await readFile(file, 'utf8').catch(() => '');
  if (age < LOCK_STALE_MS && !ownerIsGone(held)) {
    throw new SpoolLockedError(`spool ${dir} is in use by another process (${held || 'unknown owner'})`);
  }
  await writeFile(file, owner);
}

/**
 * True when the lock names a process on this host that is certainly not running: so a
 * restarted process replays a crashed one's spool at once instead of after `LOCK_STALE_MS`.
 * Our own pid means an earlier incarnation (a restarted container is pid 1 again); a lock
 * from another host (another container sharing the volume) only goes stale by age.
 */
function ownerIsGone(held: string): boolean {
  let owner: { pid?: unknown; host?: unknown };
  try {
    owner = JSON.parse(held) as typeof owner;
  } catch {
    return false;
  }
  if (owner.host !== hostname() || typeof owner.pid !== 'number') return false;
  if (owner.pid === process.pid) return true;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export class Spool {
  readonly dir: string;
  readonly #segmentBytes: number;
  readonly #maxBytes: number;
  #segments: Segment[] = [];
  /** Replay cursor within the oldest segment. */
  #cursor = 0;
  #cursorLines = 0;
  #pending: PendingAppend[] = [];
  #committing: Promise<void> | null = null;
  #closed = false;
  #nextSeq: number;
  #heartbeat: NodeJS.Timeout;

  private constructor(dir: string, segments: Segment[], opts: SpoolOptions) {
    this.dir = dir;
    this.#segments = segments;
    this.#segmentBytes = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.#maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    this.#nextSeq = (segments.at(-1)?.seq ?? 0) + 1;
    const lock = path.join(dir, LOCK_FILE);
    this.#heartbeat = setInterval(() => {
      const now = new Date();
      utimes(lock, now, now).catch(() => undefined);
    }, LOCK_HEARTBEAT_MS);
    this.#heartbeat.unref();
  }

  /**
   * Opens (creating) the spool directory, takes its lock and finds what a previous process
   * left there. Throws `SpoolLockedError` while another process owns it.
   */
  static async open(opts: SpoolOptions): Promise<Spool> {
    const dir = path.resolve(opts.dir);
    mkdirSync(dir, { recursive: true });
    await acquireLock(dir);
    try {
      const segments: Segment[] = [];
      for (const name of readdirSync(dir).sort()) {
        const m = SEGMENT_FILE.exec(name);
        if (!m) continue;
        const file = path.join(dir, name);
        const size = statSync(file).size;
        if (size === 0) {
          await unlink(file);
          continue;
        }
        // Segments are a few MiB; counting lines once keeps queueDepth honest after a restart.
        const content = await readFile(file);
        let lines = 0;
        for (let i = content.indexOf(10); i !== -1; i = content.indexOf(10, i + 1)) lines++;
        segments.push({ seq: Number(m[1]), file, size, lines, handle: null });
      }
      return new Spool(dir, segments, opts);
    } catch (err) {
      heldHere.delete(dir);
      await unlink(path.join(dir, LOCK_FILE)).catch(() => undefined);
      throw err;
    }
  }

  /** Whether a directory holds spooled data (cheap: names only, no lock). */
  static hasData(dir: string): boolean {
    try {
      return readdirSync(dir).some((name) => SEGMENT_FILE.test(name));
    } catch {
      return false;
    }
  }

  /** Unreplayed bytes on disk. */
  get bytes(): number {
    let n = 0;
    for (const s of this.#segments) n += s.size;
    return n - this.#cursor;
  }

  /** Unreplayed lines on disk plus lines waiting to be committed. */
  get lines(): number {
    let n = 0;
    for (const s of this.#segments) n += s.lines;
    for (const p of this.#pending) n += p.lines;
    return n - this.#cursorLines;
  }

  /** Nothing to replay and nothing being appended. */
  get isEmpty(): boolean {
    return this.bytes === 0 && this.#pending.length === 0 && this.#committing === null;
  }

  /**
   * Appends lines durably. The lines are queued synchronously, so appends keep the order
   * of the calls; the promise resolves once they are on disk.
   */
  append(lines: readonly string[]): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('spool is closed'));
    if (lines.length === 0) return Promise.resolve();
    const data = lines.join('\n') + '\n';
    let queued = 0;
    for (const p of this.#pending) queued += p.data.length;
    if (this.bytes + queued + data.length > this.#maxBytes) {
      return Promise.reject(new Error(`spool full: ${this.bytes} bytes in ${this.dir} (limit ${this.#maxBytes})`));
    }
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ data, lines: lines.length, resolve, reject });
      if (!this.#committing) this.#committing = this.#commitLoop();
    });
  }

  async #commitLoop(): Promise<void> {
    // Let the other appends of this tick join the same write and sync.
    await new Promise<void>((r) => setImmediate(r));
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending;
        this.#pending = [];
        try {
          const seg = await this.#appendSegment();
          const buf = Buffer.from(batch.map((p) => p.data).join(''), 'utf8');
          await seg.handle!.write(buf, 0, buf.length, null);
          await seg.handle!.datasync();
          seg.size += buf.length;
          for (const p of batch) seg.lines += p.lines;
          for (const p of batch) p.resolve();
        } catch (err) {
          for (const p of batch) p.reject(err as Error);
        }
      }
    } finally {
      this.#committing = null;
    }
  }

  async #appendSegment(): Promise<Segment> {
    const last = this.#segments.at(-1);
    if (last?.handle && last.size < this.#segmentBytes) return last;
    if (last?.handle) {
      await last.handle.close();
      last.handle = null;
    }
    const seq = this.#nextSeq++;
    const file = path.join(this.dir, `${String(seq).padStart(12, '0')}.lp`);
    const handle = await open(file, 'a+');
    // Make the new directory entry durable too, or a crash could lose the whole file.
    const dirHandle = await open(this.dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
    const seg: Segment = { seq, file, size: 0, lines: 0, handle };
    this.#segments.push(seg);
    return seg;
  }

  /**
   * Reads up to `maxLines` lines from the replay cursor, without consuming them; `null`
   * when nothing durable is left. Call `ack()` once InfluxDB has the chunk.
   */
  async readHead(maxLines: number): Promise<SpoolChunk | null> {
    for (;;) {
      const head = this.#segments[0];
      if (!head) return null;
      if (this.#cursor >= head.size) {
        if (head.handle) return null; // caught up with the appender
        await this.#dropHead();
        continue;
      }
      const length = Math.min(READ_BYTES, head.size - this.#cursor);
      const buf = Buffer.alloc(length);
      const fh = head.handle ?? (await open(head.file, 'r'));
      try {
        await fh.read(buf, 0, length, this.#cursor);
      } finally {
        if (!head.handle) await fh.close();
      }
      let end = 0;
      let count = 0;
      for (let i = buf.indexOf(10); i !== -1 && count < maxLines; i = buf.indexOf(10, i + 1)) {
        end = i + 1;
        count++;
      }
      if (count === 0) {
        // No newline left: a torn line from a crash mid-append (never acknowledged).
        if (!head.handle) {
          await this.#dropHead();
          continue;
        }
        return null;
      }
      const lines = buf.toString('utf8', 0, end - 1).split('\n');
      return { lines, bytes: end, seq: head.seq, end: this.#cursor + end };
    }
  }

  /** Consumes a chunk returned by `readHead()`. */
  async ack(chunk: SpoolChunk): Promise<void> {
    const head = this.#segments[0];
    if (!head || head.seq !== chunk.seq) return;
    this.#cursor = chunk.end;
    this.#cursorLines += chunk.lines.length;
    if (this.#cursor < head.size) return;
    if (!head.handle) {
      await this.#dropHead();
    } else if (this.#pending.length === 0 && this.#committing === null) {
      // Fully replayed and idle: remove the active segment too, leaving an empty directory.
      await head.handle.close();
      head.handle = null;
      await this.#dropHead();
    }
  }

  async #dropHead(): Promise<void> {
    const head = this.#segments.shift();
    this.#cursor = 0;
    this.#cursorLines = 0;
    if (head) await unlink(head.file).catch(() => undefined);
  }

  /** Waits for pending appends, closes the open segment and releases the lock; unreplayed data stays. */
  async close(): Promise<void> {
    if (this.#closed) return;
    while (this.#committing) await this.#committing;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    for (const s of this.#segments) {
      if (s.handle) await s.handle.close();
      s.handle = null;
    }
    await unlink(path.join(this.dir, LOCK_FILE)).catch(() => undefined);
    heldHere.delete(this.dir);
  }
}
