/**
 * A SQLite reader thread (store/sqlite-read.ts `SqliteReaderPool`): its own connection to
 * the store's file, answering one query at a time.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteReader, type ReadReply, type ReadRequest } from './sqlite-read.ts';
import { SQLITE_PRAGMAS } from './sqlite-thread.ts';

const port = parentPort!;
const db = new Database((workerData as { file: string }).file);
for (const p of SQLITE_PRAGMAS) db.pragma(p);
// Scans read most pages once: a smaller page cache than the writer's.
db.pragma('cache_size = -16384');
const reader = new SqliteReader(db);

port.on('message', (req: ReadRequest) => {
  const reply = (body: Omit<ReadReply, 'id'>) => port.postMessage({ id: req.id, ...body } satisfies ReadReply);
  (reader[req.method] as (q: ReadRequest['query']) => Promise<unknown>)
    .call(reader, req.query)
    .then((result) => reply({ result, error: null }), (err: Error) => reply({ error: err.message }));
});
