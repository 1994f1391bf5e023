/**
 * How the InfluxDB store treats each kind of failed write (STYLE.md 5), against a scripted
 * HTTP server on loopback that answers `/write` like InfluxDB does, and a real spool.
 */
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createInfluxStore } from '../../store/influx/index.ts';
import { LOCK_STALE_MS, Spool, SpoolLockedError } from '../../store/influx/spool.ts';
import type { Point, TimeSeriesStore } from '../../store/types.ts';
import { countPoints, startInfluxd } from '../support/influxd.ts';

type Answer = { status: number; body?: string; headers?: Record<string, string>; delayMs?: number };
type Script = (lines: string[], nth: number) => Answer;

interface FakeInflux {
  url: string;
  /** Lines the server accepted, in arrival order. */
  stored: string[];
  requests: { at: number; lines: string[]; status: number }[];
  /** InfluxQL statements received, with the Authorization header they came with. */
  queries: { q: string; authorization: string | undefined }[];
  script: Script;
  queryScript: (q: string) => Answer;
  close(): Promise<void>;
}

async function fakeInflux(script: Script, port = 0): Promise<FakeInflux> {
  const fake: FakeInflux = {
    url: '',
    stored: [],
    requests: [],
    queries: [],
    script,
    queryScript: () => ({ status: 200, body: '{"results":[{"statement_id":0}]}' }),
    close: async () => undefined,
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url?.startsWith('/query')) {
        const q = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('q') ?? '';
        fake.queries.push({ q, authorization: req.headers.authorization });
        const answer = fake.queryScript(q);
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body ?? '');
        return;
      }
      const lines = Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean);
      const answer = fake.script(lines, fake.requests.length);
      fake.requests.push({ at: Date.now(), lines, status: answer.status });
      const respond = () => {
        if (answer.status === 204) fake.stored.push(...lines);
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end(answer.body ?? '');
      };
      if (answer.delayMs) setTimeout(respond, answer.delayMs);
      else respond();
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  fake.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  fake.close = () => new Promise((r) => server.close(() => r()));
  return fake;
}

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const points = (n: number, measurement = 'readings'): Point[] =>
  Array.from({ length: n }, (_, i) => ({ measurement, tags: { site: 'demo', desk: `d${i}` }, fields: { power_w: i + 0.5 }, ts: T0 + i }));

describe('InfluxDB writer failure classes', () => {
  let fake: FakeInflux;
  let spoolDir: string;
  let store: TimeSeriesStore;

  beforeEach(async () => {
    spoolDir = await mkdtemp(path.join(tmpdir(), 'deskprint-faults-'));
  });

  afterEach(async () => {
    await store?.close();
    await fake?.close();
    await rm(spoolDir, { recursive: true, force: true });
  });

  async function open(script: Script, opts: { batchSize?: number; flushIntervalMs?: number; maxQueuePoints?: number } = {}): Promise<void> {
    fake = await fakeInflux(script);
    store = createInfluxStore({ url: fake.url, database: 'd', spoolDir, flushIntervalMs: 5, minRetryDelayMs: 20, maxRetryDelayMs: 100, ...opts });
    await store.init();
  }

  it('sends full batches at once and a partial batch after the flush interval', async () => {
    await open(() => ({ status: 204 }), { batchSize: 100, flushIntervalMs: 300 });
    const started = Date.now();
    await store.write(points(250));
    expect(fake.requests.map((r) => r.lines.length)).toEqual([100, 100, 50]);
    const small = Date.now();
    await store.write(points(3));
    // Three lines wait for the interval, not for a full batch.
    expect(Date.now() - small).toBeGreaterThanOrEqual(250);
    expect(fake.requests.at(-1)!.lines).toHaveLength(3);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('holds no more than maxQueuePoints in memory while InfluxDB is slow: write() waits instead', async () => {
    await open(() => ({ status: 204 }), { batchSize: 50, flushIntervalMs: 5, maxQueuePoints: 100 });
    // Slow InfluxDB: every answer takes 30 ms.
    let deepest = 0;
    fake.script = () => {
      deepest = Math.max(deepest, store.health().queueDepth);
      return { status: 204, delayMs: 30 };
    };
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.write(points(25).map((p) => ({ ...p, ts: p.ts + i * 1_000 })))));
    expect(fake.stored).toHaveLength(500);
    // One batch in flight plus at most maxQueuePoints waiting.
    expect(deepest).toBeLessThanOrEqual(150);
  });

  it('drops a point rejected as bad data (400), counts it by reason, and keeps its neighbours', async () => {
    // Like InfluxDB 2.x on a parse error: the whole batch is refused.
    await open((lines) => (lines.some((l) => l.startsWith('poison')) ? { status: 400, body: '{"error":"unable to parse \'poison x\': bad timestamp"}' } : { status: 204 }));
    await store.write([...points(5), ...points(1, 'poison'), ...points(4)]);
    expect(fake.stored).toHaveLength(9);
    expect(fake.stored.some((l) => l.startsWith('poison'))).toBe(false);
    const h = store.health();
    expect(h.dropped).toEqual({ '400 unable to parse': 1 });
    expect(h.written).toBe(9);
    expect(h.state).toBe('ok');
    expect(h.lastError?.message).toContain('unable to parse');
  });

  it('counts a partial write (422) without resending the batch', async () => {
    await open(() => ({ status: 422, body: '{"code":"unprocessable entity","message":"failure writing points to database: partial write: field type conflict: input field \\"power_w\\" on measurement \\"readings\\" is type integer, already exists as type float dropped=2"}' }));
    await store.write(points(10));
    expect(fake.requests).toHaveLength(1);
    expect(store.health().dropped).toEqual({ '422 field type conflict': 2 });
    expect(store.health().written).toBe(8);
  });

  it('splits a batch that is too large (413) until InfluxDB takes it', async () => {
    await open((lines) => (lines.length > 3 ? { status: 413, body: '{"error":"Request Entity Too Large"}' } : { status: 204 }), { batchSize: 100 });
    const pts = points(20);
    await store.write(pts);
    expect(fake.stored).toHaveLength(20);
    expect(fake.requests.filter((r) => r.status === 204).every((r) => r.lines.length <= 3)).toBe(true);
    expect(store.health().dropped).toEqual({});
  });

  it('honours Retry-After on 429: spools, resolves write(), and retries no sooner than asked', async () => {
    await open((_lines, nth) => (nth === 0 ? { status: 429, body: '{"error":"too many requests"}', headers: { 'retry-after': '1' } } : { status: 204 }));
    const started = Date.now();
    await store.write(points(10));
    expect(Date.now() - started).toBeLessThan(900);
    expect(store.health().state).toBe('down');
    expect(store.health().spoolBytes).toBeGreaterThan(0);
    const deadline = Date.now() + 5_000;
    // The spool empties a moment before the writer returns to direct writes: wait for both.
    while ((store.health().queueDepth > 0 || store.health().state !== 'ok') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(fake.stored).toHaveLength(10);
    expect(fake.requests[1]!.at - fake.requests[0]!.at).toBeGreaterThanOrEqual(950);
    expect(store.health().state).toBe('ok');
  });

  it('takes the spool only while it needs it, and keeps points in memory while another process holds it', async () => {
    let down = false;
    await open(() => (down ? { status: 503, body: '{"error":"unavailable"}' } : { status: 204 }));
    await store.write(points(2));
    // Writing without trouble, the store holds no spool, so another process may take it.
    const other = await Spool.open({ dir: spoolDir });
    down = true;
    const pending = store.write(points(3));
    let settled = false;
    void pending.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(settled).toBe(false); // nowhere durable to put them: write() waits
    expect(store.health().state).toBe('down');
    expect(store.health().lastError?.message).toMatch(/cannot spool: .*in use by another/);
    expect(store.health().queueDepth).toBe(3);
    expect(other.lines).toBe(0);
    down = false;
    await pending;
    expect(fake.stored).toHaveLength(5);
    await other.close();
  });

  it('keeps points through repeated 5xx and stores them in the order they were written', async () => {
    await open((_lines, nth) => (nth < 4 ? { status: 503, body: '{"error":"engine: cache maximum memory size exceeded"}' } : { status: 204 }));
    for (let i = 0; i < 5; i++) await store.write(points(3).map((p) => ({ ...p, fields: { power_w: i + 0.5 } })));
    const deadline = Date.now() + 5_000;
    while (store.health().queueDepth > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(fake.stored).toHaveLength(15);
    // The same three points rewritten five times: the last value must arrive last.
    expect(fake.stored.slice(-3).every((l) => l.includes('power_w=4.5'))).toBe(true);
    expect(fake.stored.map((l) => /power_w=([\d.]+)/.exec(l)![1])).toEqual([0.5, 1.5, 2.5, 3.5, 4.5].flatMap((v) => [String(v), String(v), String(v)]));
    expect(store.health().dropped).toEqual({});
  });
});

describe('InfluxDB writer against a real influxd that refuses large bodies', () => {
  it('splits batches that influxd answers with 413 and stores every point', async () => {
    const influxd = await startInfluxd({ maxBodySize: 4_000 });
    const spoolDir = await mkdtemp(path.join(tmpdir(), 'deskprint-413-'));
    try {
      const pts = points(300);
      // The server really refuses the whole batch as one body.
      const whole = pts.map((p) => `readings,desk=${p.tags.desk},site=demo power_w=${p.fields.power_w} ${p.ts}`).join('\n');
      const direct = await fetch(`${influxd.url}/write?db=${influxd.database}&precision=ms`, { method: 'POST', body: whole });
      expect(direct.status).toBe(413);

      const store = createInfluxStore({ url: influxd.url, database: influxd.database, spoolDir, flushIntervalMs: 5 });
      await store.init();
      await store.write(pts);
      expect(await countPoints(influxd, 'readings', 'power_w')).toBe(300);
      expect(store.health()).toMatchObject({ written: 300, dropped: {}, state: 'ok' });
      await store.close();
    } finally {
      await influxd.cleanup();
      await rm(spoolDir, { recursive: true, force: true });
    }
  });
});

describe('InfluxDB store set-up and auth', () => {
  let fake: FakeInflux;
  let spoolDir: string;
  beforeEach(async () => {
    fake = await fakeInflux(() => ({ status: 204 }));
    spoolDir = await mkdtemp(path.join(tmpdir(), 'deskprint-init-'));
  });
  afterEach(async () => {
    await fake.close();
    await rm(spoolDir, { recursive: true, force: true });
  });

  it('sends a token as "Authorization: Token", and a username/password as HTTP Basic', async () => {
    const withToken = createInfluxStore({ url: fake.url, database: 'd', token: 'tok-123', spoolDir });
    await withToken.init();
    await withToken.close();
    const withUser = createInfluxStore({ url: fake.url, database: 'd', username: 'desk', password: 'pr:nt', spoolDir });
    await withUser.init();
    await withUser.close();
    expect(fake.queries[0]!.authorization).toBe('Token tok-123');
    expect(fake.queries.at(-1)!.authorization).toBe(`Basic ${Buffer.from('desk:pr:nt').toString('base64')}`);
  });

  it('accepts a database it cannot create but can use (InfluxDB 2.x bucket), and names the fix when it can use neither', async () => {
    fake.queryScript = (q) =>
      q.startsWith('CREATE DATABASE')
        ? { status: 200, body: '{"results":[{"statement_id":0,"error":"not implemented: CREATE DATABASE"}]}' }
        : { status: 200, body: '{"results":[{"statement_id":0}]}' };
    const usable = createInfluxStore({ url: fake.url, database: 'd', token: 't', spoolDir });
    await expect(usable.init()).resolves.toBeUndefined();
    await usable.close();

    fake.queryScript = (q) =>
      q.startsWith('CREATE DATABASE')
        ? { status: 200, body: '{"results":[{"statement_id":0,"error":"not implemented: CREATE DATABASE"}]}' }
        : { status: 404, body: '{"code":"not found","message":"database not found: d"}' };
    const missing = createInfluxStore({ url: fake.url, database: 'd', token: 't', spoolDir });
    await expect(missing.init()).rejects.toThrow(/create a bucket named "d"/);
    await missing.close();
  });

  it('fails init with a pointer to the credentials when InfluxDB refuses them (401)', async () => {
    fake.queryScript = () => ({ status: 401, body: '{"error":"authorization failed"}' });
    const store = createInfluxStore({ url: fake.url, database: 'd', username: 'desk', password: 'wrong', spoolDir });
    await expect(store.init()).rejects.toThrow(/refused deskprint's credentials .*DESKPRINT_INFLUX_USERNAME/);
    await store.close();
  });

  it('refuses to delete while points are still spooled, so they cannot come back after the delete', async () => {
    let down = true;
    fake.script = () => (down ? { status: 503, body: '{"error":"unavailable"}' } : { status: 204 });
    const store = createInfluxStore({ url: fake.url, database: 'd', spoolDir, flushIntervalMs: 5, minRetryDelayMs: 20, maxRetryDelayMs: 50, deleteDrainTimeoutMs: 300 });
    await store.init();
    await store.write([{ measurement: 'checkins', tags: { site: 'demo', member: 'm01' }, fields: { check_in: 1 }, ts: T0 }]);
    await expect(store.deleteWhere!('checkins', { site: 'demo', member: 'm01' })).rejects.toThrow(/1 unsent point/);
    expect(fake.queries.some((q) => q.q.startsWith('DELETE'))).toBe(false);
    down = false;
    await store.deleteWhere!('checkins', { site: 'demo', member: 'm01' });
    expect(fake.stored).toHaveLength(1); // reached InfluxDB before the DELETE went out
    expect(fake.queries.at(-1)!.q).toBe(`DELETE FROM "checkins" WHERE "site"::tag = 'demo' AND "member"::tag = 'm01'`);
    await store.close();
  });

  it('starts while InfluxDB is unreachable, and writes once it answers', async () => {
    await fake.close();
    const port = Number(new URL(fake.url).port);
    const store = createInfluxStore({ url: fake.url, database: 'd', spoolDir, flushIntervalMs: 5, minRetryDelayMs: 20, maxRetryDelayMs: 50 });
    await expect(store.init()).resolves.toBeUndefined();
    await store.write(points(4));
    expect(store.health().state).toBe('down');
    expect(store.health().queueDepth).toBe(4);
    // InfluxDB comes up on the same address.
    fake = await fakeInflux(() => ({ status: 204 }), port);
    const deadline = Date.now() + 5_000;
    // Wait for the queue to drain and the state to follow (it is updated after the write's
    // response is handled, so on a busy machine it can trail the queue by a moment).
    while ((store.health().queueDepth > 0 || store.health().state !== 'ok') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(fake.stored).toHaveLength(4);
    // The database is created before the first write reaches a server that was down at start.
    expect(fake.queries.some((q) => q.q.startsWith('CREATE DATABASE'))).toBe(true);
    expect(store.health().state).toBe('ok');
    await store.close();
  });
});

describe('spool', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'deskprint-spool-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('skips a torn last line left by a crash and appends after it in a new segment', async () => {
    await writeFile(path.join(dir, '000000000001.lp'), 'a v=1 1\na v=2 2\na v=3');
    const spool = await Spool.open({ dir });
    expect(spool.lines).toBe(2);
    await spool.append(['a v=4 4']);
    const seen: string[] = [];
    for (let chunk = await spool.readHead(10); chunk; chunk = await spool.readHead(10)) {
      seen.push(...chunk.lines);
      await spool.ack(chunk);
    }
    expect(seen).toEqual(['a v=1 1', 'a v=2 2', 'a v=4 4']);
    expect(spool.bytes).toBe(0);
    expect(spool.isEmpty).toBe(true);
    expect((await readdir(dir)).filter((f) => f.endsWith('.lp'))).toEqual([]);
    await spool.close();
  });

  it('belongs to one process at a time and is taken over once its owner stops heartbeating', async () => {
    const owner = await Spool.open({ dir });
    await expect(Spool.open({ dir })).rejects.toThrow(SpoolLockedError);
    await owner.close();
    const next = await Spool.open({ dir });
    await next.append(['a v=1 1']);
    // Simulate a crashed owner: the lock stays, but nobody touches it any more.
    const crashed = new Date(Date.now() - LOCK_STALE_MS - 1_000);
    await next.close();
    await writeFile(path.join(dir, 'LOCK'), '{"pid":1}');
    await utimes(path.join(dir, 'LOCK'), crashed, crashed);
    const heir = await Spool.open({ dir });
    expect(heir.lines).toBe(1);
    await heir.close();
  });

  it('rotates segments and refuses appends past its size limit', async () => {
    const spool = await Spool.open({ dir, segmentBytes: 64, maxBytes: 1_000 });
    for (let i = 0; i < 10; i++) await spool.append([`readings,desk=d${i} power_w=${i}.5 ${T0 + i}`]);
    expect((await readdir(dir)).filter((f) => f.endsWith('.lp')).length).toBeGreaterThan(1);
    await expect(spool.append(['x'.repeat(1_000)])).rejects.toThrow(/spool full/);
    const first = await spool.readHead(3);
    expect(first!.lines[0]).toBe(`readings,desk=d0 power_w=0.5 ${T0}`);
    await spool.close();
  });
});
