/** Builds the Kafka publisher; importing this loads kafkajs (the registry imports it lazily, see index.ts). */
import { KafkaPublisherConfig } from './config.js';
import type { KafkaPublisherDeps } from './publisher.js';
import { ThreadedKafkaPublisher } from './threaded-publisher.js';

export { KafkaPublisherConfig } from './config.js';
export { type KafkaPublisherDeps, type KafkaCouncil } from './publisher.js';
export { strayKafkaRejections } from './rejection-guard.js';
/** What createKafkaPublisher returns: kafkajs on its own worker thread (threaded-publisher.ts). */
export type KafkaPublisher = ThreadedKafkaPublisher;

/** Build a Kafka publisher from its (validated or raw) config; start() starts its thread, connects and checks topics. */
export function createKafkaPublisher(config: KafkaPublisherConfig, deps: KafkaPublisherDeps): KafkaPublisher {
  return new ThreadedKafkaPublisher(KafkaPublisherConfig.parse(config), deps);
}
