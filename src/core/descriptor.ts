/**
 * What a connector kind or publisher kind tells the rest of casebridge about itself, in one value
 * exported from its folder's index.ts: its name in configs (`type:`), its config schema, its
 * factory and where it is documented. A connector descriptor is light (schemas and docs only): its
 * source factory is behind `load()`, a dynamic import, so validating a config or printing --help
 * loads no driver. The registries (src/connectors/registry.ts,
 * src/publish/registry.ts) are lists of these, so adding a kind is a folder plus one line there.
 */
import type { z } from 'zod';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import type { Publisher } from './publisher.js';
import type { SourceFactory } from './source.js';
import type { Checkpoint } from './state-store.js';

export interface ComponentDocs {
  /** Short human name, e.g. "Files in a folder or on SFTP". */
  title: string;
  /** One sentence: what it reads or writes. */
  summary: string;
  /** The page in docs/ that explains it, relative to the repository root. */
  docsPath: string;
}

/** A config schema for one kind: a strict object whose `type` is the kind's literal name. */
export type KindConfigSchema<Kind extends string> = z.ZodObject<{ type: z.ZodLiteral<Kind> } & z.ZodRawShape>;

export interface ConnectorDescriptor<Kind extends string = string, Schema extends KindConfigSchema<Kind> = KindConfigSchema<Kind>, C extends Checkpoint = Checkpoint> {
  kind: Kind;
  configSchema: Schema;
  /** Loads the source module (and its drivers) on first use and returns the factory. */
  load: () => Promise<SourceFactory<z.output<Schema>, C>>;
  /** The position the kind's sources commit (the same schema each source carries as `checkpointSchema`). */
  checkpointSchema?: z.ZodType<C>;
  docs: ComponentDocs;
}

export function defineConnector<Kind extends string, Schema extends KindConfigSchema<Kind>, C extends Checkpoint = Checkpoint>(
  descriptor: ConnectorDescriptor<Kind, Schema, C>,
): ConnectorDescriptor<Kind, Schema, C> {
  return descriptor;
}

/** What every publisher factory is given besides its own config. */
export interface PublisherDeps {
  /** Folder a relative path in the config is resolved against (the config file's folder). */
  baseDir: string;
  logger: Logger;
  clock: Clock;
  /** The councils of the gateway config (GSS code, optional topic override) for topic routing. */
  councils: readonly { gss: string; name?: string; topic?: string }[];
  connectors?: readonly { name: string; council: string }[];
}

export interface PublisherDescriptor<Kind extends string = string, Schema extends KindConfigSchema<Kind> = KindConfigSchema<Kind>> {
  kind: Kind;
  configSchema: Schema;
  create: (config: z.output<Schema>, deps: PublisherDeps) => Promise<Publisher>;
  docs: ComponentDocs;
}

export function definePublisher<Kind extends string, Schema extends KindConfigSchema<Kind>>(descriptor: PublisherDescriptor<Kind, Schema>): PublisherDescriptor<Kind, Schema> {
  return descriptor;
}

/** The config schemas of a list of kinds, as the tuple `z.discriminatedUnion('type', ...)` takes. */
export type ConfigSchemasOf<T extends readonly { configSchema: unknown }[]> = { -readonly [I in keyof T]: T[I] extends { configSchema: infer S } ? S : never };

export function configSchemasOf<const T extends readonly { configSchema: unknown }[]>(kinds: T): ConfigSchemasOf<T> {
  return kinds.map((k) => k.configSchema) as ConfigSchemasOf<T>;
}
