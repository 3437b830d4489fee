/** The tracker's Prometheus metrics, on a registry of its own. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface TrackMetrics {
  registry: Registry;
  events: Counter<'result'>;
  consumerLag: Gauge<'topic' | 'partition'>;
  logLagBytes: Gauge;
  applyDuration: Histogram;
  lookups: Counter<'result'>;
  ingestErrors: Counter;
}

export function createTrackMetrics(opts: { defaultMetrics?: boolean } = {}): TrackMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'casebridge_track_' });
  const registers = [registry];
  return {
    registry,
    events: new Counter({
      name: 'casebridge_track_events_total',
      help: 'Case events read, by result: applied (became the case state), stale (older than the state; timeline only), duplicate (already stored), dead_letter (failed the contract)',
      labelNames: ['result'],
      registers,
    }),
    consumerLag: new Gauge({ name: 'casebridge_track_consumer_lag', help: 'Messages behind the partition high watermark after the last applied batch', labelNames: ['topic', 'partition'], registers }),
    logLagBytes: new Gauge({ name: 'casebridge_track_local_log_lag_bytes', help: 'Bytes of the local event log not yet applied', registers }),
    applyDuration: new Histogram({ name: 'casebridge_track_apply_seconds', help: 'Time to write one batch to the projection store', buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers }),
    lookups: new Counter({ name: 'casebridge_track_lookups_total', help: 'Case lookups by reference, by result (found, not_found)', labelNames: ['result'], registers }),
    ingestErrors: new Counter({ name: 'casebridge_track_ingest_errors_total', help: 'Batches that failed to apply and were retried', registers }),
  };
}
