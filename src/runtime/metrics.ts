/** Prometheus metrics per connector, on a registry of our own (no global state between gateways). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface GatewayMetrics {
  registry: Registry;
  recordsRead: Counter<'connector'>;
  eventsPublished: Counter<'connector' | 'type'>;
  deadLetters: Counter<'connector' | 'stage'>;
  recordsSkipped: Counter<'connector' | 'reason'>;
  clockChanges: Counter<'connector' | 'kind' | 'resolution'>;
  sourceWarnings: Counter<'connector' | 'code'>;
  runFailures: Counter<'connector' | 'retriable'>;
  lastSuccess: Gauge<'connector'>;
  lagSeconds: Gauge<'connector'>;
  connectorUp: Gauge<'connector'>;
  batchDuration: Histogram<'connector'>;
  closesWithheld: Counter<'connector' | 'reason'>;
  fileEntriesSkipped: Counter<'connector' | 'kind'>;
  publishAbandoned: Counter<'connector'>;
  leaseAcquisitions: Counter<'connector'>;
  leaseLosses: Counter<'connector' | 'reason'>;
  fencingRejections: Counter<'connector'>;
  leaseHolder: Gauge<'connector' | 'holder'>;
  caseCacheLookups: Counter<'connector' | 'result'>;
  caseCacheBytes: Gauge<'connector'>;
  caseCacheAdmitting: Gauge<'connector'>;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): GatewayMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'casebridge_' });
  const registers = [registry];
  return {
    registry,
    recordsRead: new Counter({ name: 'casebridge_records_read_total', help: 'Supplier records read', labelNames: ['connector'], registers }),
    eventsPublished: new Counter({ name: 'casebridge_events_published_total', help: 'Case events durably published', labelNames: ['connector', 'type'], registers }),
    deadLetters: new Counter({ name: 'casebridge_dead_letters_total', help: 'Records sent to dead letters', labelNames: ['connector', 'stage'], registers }),
    recordsSkipped: new Counter({ name: 'casebridge_records_skipped_total', help: 'Records that produced no event (filtered, unchanged, older)', labelNames: ['connector', 'reason'], registers }),
    clockChanges: new Counter({
      name: 'casebridge_clock_change_times_total',
      help: "Supplier local times that fell in a clock change (ambiguous or nonexistent) and how the mapping's clockChange policy resolved them (reject: dead-lettered)",
      labelNames: ['connector', 'kind', 'resolution'],
      registers,
    }),
    sourceWarnings: new Counter({
      name: 'casebridge_source_warnings_total',
      help: 'Things a source noticed that are not errors but need a look, e.g. a SOAP records path matching nothing in a non-empty response',
      labelNames: ['connector', 'code'],
      registers,
    }),
    runFailures: new Counter({ name: 'casebridge_run_failures_total', help: 'Connector runs that failed', labelNames: ['connector', 'retriable'], registers }),
    lastSuccess: new Gauge({ name: 'casebridge_last_success_timestamp_seconds', help: 'Unix time of the last successful run', labelNames: ['connector'], registers }),
    lagSeconds: new Gauge({ name: 'casebridge_lag_seconds', help: 'Age of the newest published case change when it was published', labelNames: ['connector'], registers }),
    connectorUp: new Gauge({ name: 'casebridge_connector_up', help: '1 when the connector last ran without error', labelNames: ['connector'], registers }),
    closesWithheld: new Counter({
      name: 'casebridge_snapshot_closes_withheld_total',
      help: 'Snapshot listings that closed none of their missing cases (reason: incomplete, rejects, too-many)',
      labelNames: ['connector', 'reason'],
      registers,
    }),
    fileEntriesSkipped: new Counter({
      name: 'casebridge_file_entries_skipped_total',
      help: 'Drop-folder entries skipped because they are not regular files (kind: symlink, special = FIFO/socket/device)',
      labelNames: ['connector', 'kind'],
      registers,
    }),
    publishAbandoned: new Counter({
      name: 'casebridge_publish_abandoned_total',
      help: 'Publishes still pending when shutdownGrace ran out (nothing was committed for them; they are read again on restart)',
      labelNames: ['connector'],
      registers,
    }),
    leaseAcquisitions: new Counter({ name: 'casebridge_lease_acquisitions_total', help: 'Connector leases this instance acquired (fleet)', labelNames: ['connector'], registers }),
    leaseLosses: new Counter({
      name: 'casebridge_lease_losses_total',
      help: 'Connector leases this instance stopped holding (reason: taken, renewal-failed, rebalance, fenced)',
      labelNames: ['connector', 'reason'],
      registers,
    }),
    fencingRejections: new Counter({
      name: 'casebridge_fencing_rejections_total',
      help: 'Commits the state store refused because this instance no longer held the lease (nothing was committed)',
      labelNames: ['connector'],
      registers,
    }),
    leaseHolder: new Gauge({ name: 'casebridge_lease_holder', help: '1 for the instance holding each connector\'s lease, as last read from the lease table', labelNames: ['connector', 'holder'], registers }),
    caseCacheLookups: new Counter({
      name: 'casebridge_case_cache_lookups_total',
      help: 'Case memory lookups by the case cache: hit (answered from memory) or miss (read from the state store)',
      labelNames: ['connector', 'result'],
      registers,
    }),
    caseCacheBytes: new Gauge({ name: 'casebridge_case_cache_bytes', help: 'Approximate bytes of case memory the case cache holds (bounded by state.caseCache)', labelNames: ['connector'], registers }),
    caseCacheAdmitting: new Gauge({
      name: 'casebridge_case_cache_admitting',
      help: '1 while the case cache lets new cases in; 0 while too few lookups hit for it to earn its memory (docs/state.md)',
      labelNames: ['connector'],
      registers,
    }),
    batchDuration: new Histogram({
      name: 'casebridge_batch_duration_seconds',
      help: 'Time from batch read to ack',
      labelNames: ['connector'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
  };
}
