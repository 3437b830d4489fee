/** Builds the configured publisher from its kind's descriptor (Kafka's loads kafkajs only when used). */
import type { PublisherDeps } from '../core/descriptor.js';
import type { Publisher } from '../core/publisher.js';
import { publisherKind, type PublisherConfig } from './registry.js';

export async function createPublisher(config: PublisherConfig, deps: PublisherDeps): Promise<Publisher> {
  const kind = publisherKind(config.type);
  if (!kind) throw new Error(`no publisher kind "${config.type}"`);
  return kind.create(config as never, deps);
}
