/**
 * Every publisher kind, from the descriptor its folder exports. Adding a kind: a folder under
 * src/publish/ with an index.ts exporting `definePublisher(...)`, and one line in this list.
 */
import type { z } from 'zod';
import { configSchemasOf, type PublisherDescriptor } from '../core/descriptor.js';
import { kafkaPublisher } from './kafka/index.js';
import { localLogPublisher } from './local-log/index.js';
import { stdoutPublisher } from './stdout/index.js';

export const publisherKinds = [localLogPublisher, stdoutPublisher, kafkaPublisher] as const;

/** The config schemas in registry order, as the tuple a discriminated union is built from. */
export const publisherConfigSchemas = configSchemasOf(publisherKinds);
export type PublisherConfig = z.output<(typeof publisherKinds)[number]['configSchema']>;

export function publisherKind(kind: string): PublisherDescriptor | undefined {
  return (publisherKinds as readonly PublisherDescriptor[]).find((k) => k.kind === kind);
}
