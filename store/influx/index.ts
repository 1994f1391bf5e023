/** InfluxDB store: `createInfluxStore()` and the pieces other code may want to reuse. */
import type { TimeSeriesStore } from '../types.ts';
import { InfluxStore, type InfluxStoreOptions } from './store.ts';

export { InfluxStore, type InfluxStoreOptions } from './store.ts';
export { encodePoint } from './line-protocol.ts';
export { classifyWriteError, type WriteFailure } from './http.ts';

export function createInfluxStore(opts: InfluxStoreOptions): TimeSeriesStore {
  return new InfluxStore(opts);
}
