/**
 * Every connector kind's source factory, loaded on first use: a gateway with one CSV connector
 * never loads the SQL, SOAP or SFTP drivers, and `casebridge --help` loads none. Adding a kind
 * means adding one line here, one in schemas.ts and one folder.
 */
import type { SourceFactory } from '../core/source.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFactory = SourceFactory<any>;

export const sourceLoaders: Record<string, () => Promise<AnyFactory>> = {
  file: async () => (await import('./file/index.js')).createFileSource as AnyFactory,
  sql: async () => (await import('./sql/index.js')).createSqlSource as AnyFactory,
  soap: async () => (await import('./soap/index.js')).createSoapSource as AnyFactory,
  rest: async () => (await import('./rest/index.js')).createRestSource as AnyFactory,
  push: async () => (await import('./push/index.js')).createPushSource as AnyFactory,
  open311: async () => (await import('./open311/index.js')).createOpen311Source as AnyFactory,
};

/** The factories of the given kinds (unknown kinds are left out; the caller reports them). */
export async function loadSourceFactories(kinds: Iterable<string>): Promise<Record<string, AnyFactory>> {
  const out: Record<string, AnyFactory> = {};
  for (const kind of new Set(kinds)) {
    const load = sourceLoaders[kind];
    if (load) out[kind] = await load();
  }
  return out;
}
