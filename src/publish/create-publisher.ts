/** Builds the configured publisher. Kafka is loaded lazily so embedded runs never load kafkajs. */
import { resolve } from 'node:path';
import type { Council } from '../event/case-event.js';
import type { PublisherConfig } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { createLocalLogPublisher } from './local-log.js';
import type { Publisher } from '../core/publisher.js';
import { createStdoutPublisher } from './stdout.js';

export async function createPublisher(config: PublisherConfig, deps: { baseDir: string; logger: Logger; clock: Clock; councils: readonly (Council & { topic?: string })[]; connectors?: readonly { name: string; council: string }[] }): Promise<Publisher> {
  switch (config.type) {
    case 'local-log':
      return createLocalLogPublisher({ dir: resolve(deps.baseDir, config.dir), rotateBytes: config.rotateBytes, fsync: config.fsync });
    case 'stdout':
      return createStdoutPublisher();
    case 'kafka': {
      // Loaded lazily so embedded runs never load kafkajs.
      const kafkaModule = './kafka/index.js';
      const { createKafkaPublisher } = (await import(kafkaModule)) as {
        createKafkaPublisher: (c: typeof config, d: typeof deps) => Publisher;
      };
      return createKafkaPublisher(config, deps);
    }
  }
}
