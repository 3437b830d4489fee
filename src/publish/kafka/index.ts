/**
 * The `kafka` publisher kind: CloudEvents to Apache Kafka with acks=all. This folder is the only
 * place in casebridge that talks to kafkajs; the factory loads it lazily, so embedded runs (local
 * log, stdout) never load it.
 */
import { definePublisher } from '../../core/descriptor.js';
import type { Publisher } from '../../core/publisher.js';
import { KafkaPublisherConfig } from './config.js';

export { KafkaPublisherConfig } from './config.js';

export const kafkaPublisher = definePublisher({
  kind: 'kafka',
  configSchema: KafkaPublisherConfig,
  create: async (config, deps): Promise<Publisher> => {
    const { createKafkaPublisher } = await import('./create.js');
    return createKafkaPublisher(config, deps);
  },
  docs: {
    title: 'Apache Kafka',
    summary: 'Publishes CloudEvents to Kafka topics per council (acks=all, idempotent producer), dead letters to their own topic.',
    docsPath: 'docs/kafka.md',
  },
});
