/** InfluxDB store: `createInfluxStore()` and the pieces other code may want to reuse. */
import type { TimeSeriesStore } from '../types.ts';
import { InfluxStore, type InfluxStoreOptions } from './store.ts';
import { SplitInfluxStore } from './split.ts';

export { InfluxStore, type InfluxStoreOptions } from './store.ts';
export { SplitInfluxStore, ROLLUP_RETENTION_POLICY } from './split.ts';
export { encodePoint } from './line-protocol.ts';
export { classifyWriteError, type WriteFailure } from './http.ts';

/**
 * Raw points in the database's default retention policy and rollups in one of their own
 * (`rollupRetentionPolicy`, default `deskprint_rollups`: store/influx/split.ts); everything
 * in one policy with `rollupRetentionPolicy: null` or where `retentionPolicy` names one.
 */
export function createInfluxStore(opts: InfluxStoreOptions & { rollupRetentionPolicy?: string | null }): TimeSeriesStore {
  const { rollupRetentionPolicy, ...rest } = opts;
  if (rollupRetentionPolicy === null || rest.retentionPolicy) return new InfluxStore(rest);
  return new SplitInfluxStore(rest, rollupRetentionPolicy);
}
