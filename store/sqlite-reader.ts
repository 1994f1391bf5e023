/**
 * A SQLite reader thread (store/sqlite-read.ts `SqliteReaderPool`): its own connection to
 * the store's file, answering one query at a time.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteReader, packSeries, type ReadReply, type ReadRequest } from './sqlite-read.ts';
import type { RollupQuery } from './types.ts';
import { SQLITE_PRAGMAS } from './sqlite-thread.ts';

const port = parentPort!;
const db = new Database((workerData as { file: string }).file);
for (const p of SQLITE_PRAGMAS) db.pragma(p);
// Scans read most pages once: a smaller page cache than the writer's.
db.pragma('cache_size = -16384');
const reader = new SqliteReader(db);

port.on('message', (req: ReadRequest) => {
  const answer = req.method === 'queryRaw' ? reader.queryRaw(req.query).then((result) => ({ result })) : reader[req.method](req.query as RollupQuery).then((r) => ({ series: packSeries(r) }));
  answer.then(
    (body: Pick<ReadReply, 'result' | 'series'>) => port.postMessage({ id: req.id, ...body, error: null } satisfies ReadReply, body.series ? [body.series.ts.buffer as ArrayBuffer, body.series.values.buffer as ArrayBuffer] : []),
    (err: Error) => port.postMessage({ id: req.id, error: err.message } satisfies ReadReply),
  );
});
