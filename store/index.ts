/**
 * The store factory: one place that turns configuration into a `TimeSeriesStore`.
 * SQLite keeps its file at `<dataDir>/timeseries.db`; InfluxDB spools to `<dataDir>/spool`.
 */
import path from 'node:path';
import { createInfluxStore, type InfluxStoreOptions } from './influx/index.ts';
import { SqliteStore } from './sqlite.ts';
import type { TimeSeriesStore } from './types.ts';

export type StoreConfig =
  | { kind: 'sqlite'; dataDir: string }
  | {
      kind: 'influx';
      url: string;
      database: string;
      token?: string;
      username?: string;
      password?: string;
      dataDir: string;
      /** Tuning and hooks passed through to the InfluxDB store. */
      influx?: Partial<Omit<InfluxStoreOptions, 'url' | 'database' | 'token' | 'username' | 'password' | 'spoolDir'>>;
    };

export function createStore(cfg: StoreConfig): TimeSeriesStore {
  switch (cfg.kind) {
    case 'sqlite':
      return new SqliteStore({ file: path.join(cfg.dataDir, 'timeseries.db') });
    case 'influx':
      return createInfluxStore({
        ...cfg.influx,
        url: cfg.url,
        database: cfg.database,
        token: cfg.token || undefined,
        username: cfg.username || undefined,
        password: cfg.password || undefined,
        spoolDir: path.join(cfg.dataDir, 'spool'),
      });
  }
}
