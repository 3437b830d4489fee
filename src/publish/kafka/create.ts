/** Builds the Kafka publisher; importing this loads kafkajs (the registry imports it lazily, see index.ts). */
import { KafkaPublisherConfig } from './config.js';
import { KafkaPublisher, type KafkaPublisherDeps } from './publisher.js';

export { KafkaPublisherConfig } from './config.js';
export { KafkaPublisher, type KafkaPublisherDeps, type KafkaCouncil } from './publisher.js';
export { strayKafkaRejections } from './rejection-guard.js';

/** Build a Kafka publisher from its (validated or raw) config; start() connects and checks topics. */
export function createKafkaPublisher(config: KafkaPublisherConfig, deps: KafkaPublisherDeps): KafkaPublisher {
  return new KafkaPublisher(KafkaPublisherConfig.parse(config), deps);
}
