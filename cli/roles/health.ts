/** `/api/health` of a process: its store, its ingest (null in an API process), its embedded broker. */
import type { Health, IngestHealth } from '../../devices/api-types.ts';
import type { TimeSeriesStore } from '../../store/types.ts';
import { VERSION } from '../paths.ts';
import type { IngestRole } from './ingest.ts';
import type { ClusterStatus } from '../../ingest/cluster.ts';
import type { Transport } from './transport.ts';

export function healthOf(store: TimeSeriesStore, ingest: IngestRole, transport: Transport | null): () => IngestHealth;
export function healthOf(store: TimeSeriesStore, ingest: null, transport: null): () => Health;
export function healthOf(store: TimeSeriesStore, ingest: IngestRole | null, transport: Transport | null): () => Health {
  const started = Date.now();
  return () => {
    const s = store.health();
    const embedded = transport?.embedded;
    return {
      status: s.state === 'ok' ? 'ok' : 'degraded',
      version: VERSION,
      uptime_s: Math.round((Date.now() - started) / 1000),
      ingest: ingest ? ingest.health() : null,
      store: {
        kind: s.kind,
        state: s.state,
        queue_depth: s.queueDepth + (ingest?.writer.depth ?? 0),
        spool_bytes: s.spoolBytes,
        written: s.written,
        dropped: s.dropped,
        last_error: s.lastError,
      },
      cluster: ingest?.cluster ? clusterView(ingest.cluster.status()) : null,
      broker: embedded ? { embedded: true, clients: embedded.broker.clients(), flood_disconnects: embedded.auth.counters.floodDisconnects, replayed: embedded.auth.counters.replayed } : null,
    };
  };
}

function clusterView(c: ClusterStatus): NonNullable<Health['cluster']> {
  return { member: c.member, buckets: c.buckets, owned: c.owned, consuming: c.consuming, members: c.members, acquired: c.counters.acquired, released: c.counters.released, lost: c.counters.lost, lease_errors: c.counters.storeErrors };
}
