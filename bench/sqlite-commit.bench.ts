/**
 * SQLite commit size against insert rate, on the store's own table layout: 999 series × 2
 * fields, rows arriving in time order, 4,000,000 rows into a fresh file.
 *
 *   node bin/run-ts.js bench/sqlite-commit.bench.ts [rowsPerCommit=4000] [walAutocheckpoint=1000] [key=series|time]
 *
 * Each commit rewrites one page per series it touches, however few rows each brings, so the
 * rate depends on rows per series per commit far more than on anything else
 * (bench/RESULTS.md, "SQLite commits"). `key=time` keys the table (ts, series, field)
 * instead, as a time-first layout would: every commit appends at the end of the tree.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SQLITE_PRAGMAS } from '../store/sqlite-thread.ts';

const perCommit = Number(process.argv[2] ?? 4_000);
const checkpoint = Number(process.argv[3] ?? 1_000);
const key = process.argv[4] === 'time' ? 'ts, series, field' : 'field, series, ts';
const SERIES = 999;
const TOTAL = 4_000_000;
const dir = mkdtempSync(path.join(os.tmpdir(), 'deskprint-sqlite-commit-'));
const db = new Database(path.join(dir, 'timeseries.db'));
for (const p of SQLITE_PRAGMAS) db.pragma(p);
db.pragma(`wal_autocheckpoint = ${checkpoint}`);
db.exec(`CREATE TABLE points (series INTEGER NOT NULL, field INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL NOT NULL, PRIMARY KEY (${key})) WITHOUT ROWID`);
const insert = db.prepare('INSERT OR REPLACE INTO points (series, field, ts, value) VALUES (?, ?, ?, ?)');
let ts = 1_700_000_000_000;
let series = 0;
const commit = db.transaction((rows: number) => {
  for (let i = 0; i < rows; i += 2) {
    insert.run(series, 1, ts, i);
    insert.run(series, 2, ts, i);
    if (++series === SERIES) {
      series = 0;
      ts += 25;
    }
  }
});
console.log(`${perCommit} rows per commit, wal_autocheckpoint ${checkpoint}, key (${key})`);
const t0 = performance.now();
let mark = t0;
let rows = 0;
let marked = 0;
while (rows < TOTAL) {
  commit(perCommit);
  rows += perCommit;
  if (rows - marked >= 800_000) {
    const t = performance.now();
    console.log(`${rows.toLocaleString('en')} rows: ${Math.round((rows - marked) / ((t - mark) / 1000)).toLocaleString('en')} rows/s, ${((t - mark) / ((rows - marked) / perCommit)).toFixed(1)} ms a commit`);
    mark = t;
    marked = rows;
  }
}
console.log(`all: ${Math.round(rows / ((performance.now() - t0) / 1000)).toLocaleString('en')} rows/s`);
db.close();
rmSync(dir, { recursive: true, force: true });
