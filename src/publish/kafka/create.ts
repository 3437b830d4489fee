/** Builds the Kafka publisher; importing this loads kafkajs (the registry imports it lazily, see index.ts). */
import type { Publisher } from '../../core/publisher.js';
import { KafkaPublisherConfig } from './config.js';
import { KafkaPublisher as InThreadKafkaPublisher, type KafkaPublisherDeps } from './publisher.js';
import { ThreadedKafkaPublisher } from './threaded-publisher.js';

export { KafkaPublisherConfig } from './config.js';
export { type KafkaPublisherDeps, type KafkaCouncil } from './publisher.js';
export { strayKafkaRejections } from './rejection-guard.js';

/** What createKafkaPublisher returns; threadId is set while kafkajs runs on a worker thread. */
export type KafkaPublisher = Publisher & { readonly threadId: number | undefined };

/** Build a Kafka publisher from its (validated or raw) config; start() starts its thread (publisher.thread), connects and checks topics. */
export function createKafkaPublisher(config: KafkaPublisherConfig, deps: KafkaPublisherDeps): KafkaPublisher {
  const parsed = KafkaPublisherConfig.parse(config);
  if (parsed.thread) return new ThreadedKafkaPublisher(parsed, deps);
  return Object.assign(new InThreadKafkaPublisher(parsed, deps), { threadId: undefined });
}
