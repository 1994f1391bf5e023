/**
 * The SQLite store's writer thread (see store/sqlite-thread.ts). It owns the connection that
 * writes points and commits every batch queued by the time it looks in one transaction:
 * the busier the store, the larger the commits, which is what keeps SQLite fast (a commit
 * rewrites every page it touched, and a thousand series touch a thousand pages however few
 * rows each brings: bench/RESULTS.md). The main thread's event loop never waits for it.
 */
import Database from 'better-sqlite3';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { type WriteReply, type WriteRequest, ROW_WIDTH, SQLITE_PRAGMAS, deletePoints } from './sqlite-thread.ts';

const port = parentPort!;
const db = new Database((workerData as { file: string }).file);
for (const p of SQLITE_PRAGMAS) db.pragma(p);

/** Prepared on first use, and again after a failure (the schema may have changed under it). */
let statements: ReturnType<typeof prepare> | undefined;
function prepare() {
  return {
    insertPoint: db.prepare('INSERT OR REPLACE INTO points (series, field, ts, value) VALUES (?, ?, ?, ?)'),
    insertSeries: db.prepare('INSERT OR IGNORE INTO series (key, measurement, tags) VALUES (?, ?, ?)'),
    seriesId: db.prepare('SELECT id FROM series WHERE key = ?').pluck(),
    insertField: db.prepare('INSERT OR IGNORE INTO fields (name) VALUES (?)'),
    fieldId: db.prepare('SELECT id FROM fields WHERE name = ?').pluck(),
  };
}

/** The main thread's numbers for series and fields → their ids in the file. */
const series = new Map<number, number>();
const fields = new Map<number, number>();

function apply(req: WriteRequest, added: number[][]): void {
  if ('delete' in req) return deletePoints(db, req.delete);
  const { insertPoint, insertSeries, seriesId, insertField, fieldId } = (statements ??= prepare());
  for (const d of req.series) {
    if (series.has(d.wire)) continue;
    insertSeries.run(d.key, d.measurement, d.tags);
    series.set(d.wire, seriesId.get(d.key) as number);
    added[0]!.push(d.wire);
  }
  for (const f of req.fields) {
    if (fields.has(f.wire)) continue;
    insertField.run(f.name);
    fields.set(f.wire, fieldId.get(f.name) as number);
    added[1]!.push(f.wire);
  }
  const rows = new Float64Array(req.rows, 0, req.length);
  for (let i = 0; i < rows.length; i += ROW_WIDTH) {
    const s = series.get(rows[i]!);
    const f = fields.get(rows[i + 1]!);
    if (s === undefined || f === undefined) throw new Error(`internal: series ${rows[i]} or field ${rows[i + 1]} was never defined`);
    insertPoint.run(s, f, rows[i + 2]!, rows[i + 3]!);
  }
}

/** Commits requests together; on failure, forgets ids the rollback took back and says why. */
function commit(reqs: readonly WriteRequest[]): string | null {
  const added: number[][] = [[], []];
  try {
    db.transaction(() => {
      for (const r of reqs) apply(r, added);
    })();
    return null;
  } catch (err) {
    statements = undefined;
    for (const w of added[0]!) series.delete(w);
    for (const w of added[1]!) fields.delete(w);
    return (err as Error).message;
  }
}

port.on('message', (first: WriteRequest) => {
  const reqs = [first];
  for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) reqs.push(m.message as WriteRequest);
  const error = commit(reqs);
  if (error === null) {
    for (const r of reqs) port.postMessage({ id: r.id, error: null } satisfies WriteReply);
    return;
  }
  // One bad batch must not fail the others with it: one by one.
  for (const r of reqs) port.postMessage({ id: r.id, error: reqs.length === 1 ? error : commit([r]) } satisfies WriteReply);
});
