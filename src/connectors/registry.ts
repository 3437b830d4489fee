/**
 * Every connector kind, from the descriptor its folder's index.ts exports. Descriptors are light
 * (config and checkpoint schemas, docs); each source factory is loaded on first use through the
 * descriptor's `load()`, so a gateway with one CSV connector never loads the SQL, SOAP or SFTP
 * drivers, and `casebridge --help` or `validate` loads none. Adding a kind: a folder under
 * src/connectors/ whose index.ts exports `defineConnector(...)`, and one line in this list.
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

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFactory = SourceFactory<any>;

/** Source factory loader by kind (`type:` in the config). */
export const sourceLoaders: Record<string, () => Promise<AnyFactory>> = Object.fromEntries(connectorKinds.map((k) => [k.kind, k.load as () => Promise<AnyFactory>]));

/** The factories of the given kinds (unknown kinds are left out; the caller reports them). */
export async function loadSourceFactories(kinds: Iterable<string>): Promise<Record<string, AnyFactory>> {
  const out: Record<string, AnyFactory> = {};
  for (const kind of new Set(kinds)) {
    const load = sourceLoaders[kind];
    if (load) out[kind] = await load();
  }
  return out;
}
