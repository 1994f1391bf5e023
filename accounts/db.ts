/**
 * The accounts database: one SQLite file, `<data-dir>/accounts.db`, beside the registry, so
 * `deskprint users|devices` can change credentials while `deskprint start` runs.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

/** What every part of accounts works on: the database and the clock. */
export interface AccountsDb {
  db: Database.Database;
  now: () => number;
}

/** Opens (or creates) the database; omit `file` for an in-memory one (tests). */
export function openAccountsDb(file: string | undefined): Database.Database {
  if (file) mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file ?? ':memory:');
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  // CLI commands write while `deskprint start` reads: wait for the other writer briefly.
  db.pragma('busy_timeout = 5000');
  db.exec(`
      CREATE TABLE IF NOT EXISTS users (
        name TEXT PRIMARY KEY, role TEXT NOT NULL, sites TEXT NOT NULL, member TEXT,
        password TEXT NOT NULL, created_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS sessions (
        id_hash TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
        csrf TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS api_tokens (
        id TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
        label TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL,
        last_used_at INTEGER, revoked_at INTEGER);
      CREATE TABLE IF NOT EXISTS credentials (
        username TEXT PRIMARY KEY, type TEXT NOT NULL, site TEXT, scopes TEXT NOT NULL,
        secret TEXT NOT NULL, registration TEXT, created_at INTEGER NOT NULL,
        rotated_at INTEGER, revoked_at INTEGER);
      CREATE TABLE IF NOT EXISTS login_failures (username TEXT NOT NULL, ip TEXT, at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS login_failures_by_user ON login_failures (username, at);
      CREATE TABLE IF NOT EXISTS audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, actor TEXT NOT NULL,
        action TEXT NOT NULL, target TEXT, site TEXT, ip TEXT, details TEXT);
      CREATE INDEX IF NOT EXISTS audit_by_time ON audit (at);
      CREATE TABLE IF NOT EXISTS erasures (
        site TEXT NOT NULL, member TEXT NOT NULL, anon_id TEXT NOT NULL, at INTEGER NOT NULL,
        PRIMARY KEY (site, member));
    `);
  return db;
}
