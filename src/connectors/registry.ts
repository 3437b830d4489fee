/**
 * Every connector kind, from the descriptor its folder exports. Adding a kind: a folder under
 * src/connectors/ with an index.ts exporting `defineConnector(...)`, and one line in this list.
 */
import { configSchemasOf, type ConnectorDescriptor } from '../core/descriptor.js';
import type { SourceFactory } from '../core/source.js';
import { fileConnector } from './file/index.js';
import { open311Connector } from './open311/index.js';
import { pushConnector } from './push/index.js';
import { restConnector } from './rest/index.js';
import { soapConnector } from './soap/index.js';
import { sqlConnector } from './sql/index.js';

export const connectorKinds = [fileConnector, sqlConnector, soapConnector, restConnector, pushConnector, open311Connector] as const;

/** The config schemas in registry order, as the tuple the gateway config's discriminated union is built from. */
export const connectorConfigSchemas = configSchemasOf(connectorKinds);

export function connectorKind(kind: string): ConnectorDescriptor | undefined {
  return (connectorKinds as readonly ConnectorDescriptor[]).find((k) => k.kind === kind);
}

/** Source factory by kind (`type:` in the config). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const sourceFactories: Record<string, SourceFactory<any>> = Object.fromEntries(connectorKinds.map((k) => [k.kind, k.create]));
