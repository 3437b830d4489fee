/** Opens the state store a gateway config names. */
import { resolve } from 'node:path';
import { ConfigError } from '../../core/errors.js';
import { byteSize } from '../../core/units.js';
import type { StateStore } from '../../core/state-store.js';
import type { StateConfig } from '../../config/state.js';
import { openSqliteStateStore } from '../sqlite-state-store.js';

export interface OpenStateStoreOptions {
  /** The config file's folder: a relative SQLite path is relative to it. */
  baseDir: string;
  onPoolError?: (err: Error) => void;
  /** PostgreSQL: end sessions idle inside a transaction this long (a fleet passes its lease TTL). */
  idleInTransactionTimeoutMs?: number;
}

export async function openStateStore(config: StateConfig, opts: OpenStateStoreOptions): Promise<StateStore> {
  if (config.type === 'sqlite') return openSqliteStateStore(resolve(opts.baseDir, config.path), { pageCacheBytes: byteSize(config.pageCache) });
  if (!/^postgres(ql)?:\/\//.test(config.url)) {
    throw new ConfigError('state.url must be a postgres:// or postgresql:// URL', { context: { field: 'state.url' } });
  }
  // Loaded only for a PostgreSQL config, so a SQLite gateway never loads the pg driver.
  const { openPostgresStateStore } = await import('./postgres-state-store.js');
  return openPostgresStateStore({ url: config.url, schema: config.schema, poolSize: config.poolSize, ...(opts.onPoolError ? { onPoolError: opts.onPoolError } : {}), ...(opts.idleInTransactionTimeoutMs ? { idleInTransactionTimeoutMs: opts.idleInTransactionTimeoutMs } : {}) });
}
