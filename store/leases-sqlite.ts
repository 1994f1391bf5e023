/**
 * Leases in the SQLite registry file (`<data-dir>/registry.db`): the one-machine default.
 * Several processes of one host may share the file: WAL lets them read while one writes,
 * and the busy timeout makes a writer wait for the file's lock instead of failing at once.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { SqlLeaseStore, type LeaseSql } from './leases-sql.ts';

/**
 * How long a statement waits for another process's write lock. Lease statements hold it
 * for well under a millisecond; this bounds how long one call can block the event loop
 * (better-sqlite3 is synchronous), far below the lease time.
 */
const BUSY_TIMEOUT_MS = 1_000;

function sqliteLeaseSql(file: string): LeaseSql {
  mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
  db.pragma('journal_mode = WAL');
  const statements = new Map<string, Database.Statement>();
  const prepared = (sql: string): Database.Statement => {
    let s = statements.get(sql);
    if (!s) statements.set(sql, (s = db.prepare(sql)));
    return s;
  };
  return {
    kind: 'sqlite',
    nowMs: `CAST(unixepoch('subsec') * 1000 AS INTEGER)`,
    async query(sql, params) {
      const s = prepared(sql);
      const args = params ? [params] : [];
      if (s.reader) return s.all(...args) as Record<string, unknown>[];
      s.run(...args);
      return [];
    },
    async migrate(ddl) {
      // IMMEDIATE takes the write lock first, so concurrent starts queue on the busy timeout.
      db.transaction(() => {
        for (const stmt of ddl) db.exec(stmt);
      }).immediate();
    },
    async close() {
      db.close();
    },
  };
}

export class SqliteLeaseStore extends SqlLeaseStore {
  constructor(readonly file: string) {
    super(sqliteLeaseSql(file));
  }
}
