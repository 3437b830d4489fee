/**
 * Kafka ingest: a consumer group over the case-event topics. Offsets are committed only after
 * the projection transaction holding those messages has committed, so a tracker killed at any
 * point re-reads at most the batch in flight, and the store's event-id check makes that
 * redelivery a no-op. The only place in the tracker that imports kafkajs (with case-state.ts).
 */
import { Kafka, logLevel, type Consumer, type EachBatchPayload } from 'kafkajs';
import { durationMs } from '../../../core/units.js';
import type { Logger } from '../../../core/logger.js';
import type { KafkaSourceConfig } from '../../config.js';
import type { TrackMetrics } from '../../metrics.js';
import { decodeKafkaMessage } from '../../tracked-event.js';
import type { Applier, Incoming } from '../applier.js';

export interface KafkaIngest {
  /** Join the group and consume until stop(); resolves once consuming has started. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** True while the consumer is in the group (readiness). */
  connected(): boolean;
}

export interface KafkaIngestDeps {
  config: KafkaSourceConfig;
  applier: Applier;
  metrics: TrackMetrics;
  logger: Logger;
  /** Read every topic from the start again (`--rebuild`): the group's offsets are reset first. */
  fromBeginning?: boolean;
  /** Called after each batch is in the store, before its offsets commit, with the case keys it touched. */
  afterBatch?: (caseKeys: string[]) => Promise<void>;
}

export function createKafkaIngest(deps: KafkaIngestDeps): KafkaIngest {
  const cfg = deps.config;
  const kafka = new Kafka({ clientId: cfg.clientId, brokers: cfg.brokers, logLevel: logLevel.NOTHING });
  let consumer: Consumer | undefined;
  let inGroup = false;

  const eachBatch = async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) => {
    const { topic, partition } = batch;
    for (let i = 0; i < batch.messages.length; i += cfg.batchSize) {
      if (!isRunning() || isStale()) return;
      const slice = batch.messages.slice(i, i + cfg.batchSize);
      const items: Incoming[] = slice.map((m) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(m.headers ?? {})) if (v !== undefined) headers[k] = Array.isArray(v) ? v.map(String).join(',') : v.toString();
        return { decoded: decodeKafkaMessage(m.value?.toString('utf8') ?? '', headers), from: `${topic}/${partition}@${m.offset}` };
      });
      await deps.applier.apply(items);
      if (deps.afterBatch) {
        // Before the offset commit: a crash here re-reads the batch and publishes the states again.
        const keys = new Set<string>();
        for (const it of items) if (it.decoded.ok) keys.add(it.decoded.key);
        await deps.afterBatch([...keys]);
      }
      const last = slice[slice.length - 1]!;
      resolveOffset(last.offset);
      // The projection is durable: only now may the group move past these messages.
      await consumer!.commitOffsets([{ topic, partition, offset: (BigInt(last.offset) + 1n).toString() }]);
      await heartbeat();
    }
    const lag = Number(batch.offsetLag());
    deps.metrics.consumerLag.set({ topic, partition: String(partition) }, Number.isFinite(lag) ? lag : 0);
  };

  return {
    async start() {
      if (deps.fromBeginning) {
        const admin = kafka.admin();
        await admin.connect();
        try {
          for (const topic of cfg.topics) await admin.resetOffsets({ groupId: cfg.groupId, topic, earliest: true });
        } finally {
          await admin.disconnect();
        }
      }
      consumer = kafka.consumer({ groupId: cfg.groupId, sessionTimeout: durationMs(cfg.sessionTimeout), heartbeatInterval: Math.min(3000, durationMs(cfg.sessionTimeout) / 3) });
      consumer.on(consumer.events.GROUP_JOIN, () => (inGroup = true));
      consumer.on(consumer.events.STOP, () => (inGroup = false));
      consumer.on(consumer.events.CRASH, (e) => {
        inGroup = false;
        deps.metrics.ingestErrors.inc();
        deps.logger.error({ err: e.payload.error.message, restart: e.payload.restart }, 'tracker consumer crashed');
      });
      await consumer.connect();
      for (const topic of cfg.topics) await consumer.subscribe({ topic, fromBeginning: true });
      // Partitions hold disjoint cases, so several can be written at once without changing any case's order.
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: cfg.partitionsConcurrently, eachBatch });
    },
    async stop() {
      await consumer?.disconnect();
      inGroup = false;
    },
    connected: () => inGroup,
  };
}
