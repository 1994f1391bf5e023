/**
 * A SQLite reader thread (store/sqlite-read.ts `SqliteReaderPool`): its own connection to
 * the store's file, answering one query at a time.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteReader, packSeries, type PackedSeries, type ReadReply, type ReadRequest } from './sqlite-read.ts';
import type { AggregatesQuery, RollupQuery } from './types.ts';
import { SQLITE_PRAGMAS } from './sqlite-thread.ts';

const port = parentPort!;
const db = new Database((workerData as { file: string }).file);
for (const p of SQLITE_PRAGMAS) db.pragma(p);
// Scans read most pages once: a smaller page cache than the writer's.
db.pragma('cache_size = -16384');
const reader = new SqliteReader(db);

port.on('message', (req: ReadRequest) => {
  const answer: Promise<Pick<ReadReply, 'result' | 'series' | 'seriesSets'>> =
    req.method === 'queryRaw'
      ? reader.queryRaw(req.query).then((result) => ({ result }))
      : req.method === 'queryAggregates'
        ? reader.queryAggregates(req.query as AggregatesQuery).then((sets) => ({ seriesSets: sets.map(packSeries) }))
        : reader[req.method](req.query as RollupQuery).then((r) => ({ series: packSeries(r) }));
  const buffers = (p: PackedSeries) => [p.ts.buffer as ArrayBuffer, p.values.buffer as ArrayBuffer];
  answer.then(
    (body) => port.postMessage({ id: req.id, ...body, error: null } satisfies ReadReply, [...(body.series ? buffers(body.series) : []), ...(body.seriesSets ?? []).flatMap(buffers)]),
    (err: Error) => port.postMessage({ id: req.id, error: err.message } satisfies ReadReply),
  );
});
