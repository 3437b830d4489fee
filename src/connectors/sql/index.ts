/** The `sql` connector kind: PostgreSQL, MySQL / MariaDB and SQL Server, read without missing a row. */
import { defineConnector } from '../../core/descriptor.js';
import type { SourceFactory } from '../../core/source.js';
import { SqlCheckpoint } from './checkpoint.js';
import { SqlConnectorConfig } from './config.js';
import { createSqlSourceWith } from './source.js';

export const createSqlSource: SourceFactory<SqlConnectorConfig, SqlCheckpoint> = (config, deps) => createSqlSourceWith(config, deps);

export { SqlConnectorConfig } from './config.js';
export { createSqlSourceWith } from './source.js';
export type { PoolFactory } from './source.js';
export { IncrementalCheckpoint, SnapshotCheckpoint, SqlCheckpoint } from './checkpoint.js';

export const sqlConnector = defineConnector({
  kind: 'sql',
  configSchema: SqlConnectorConfig,
  create: createSqlSource,
  checkpointSchema: SqlCheckpoint,
  docs: {
    title: 'SQL tables and views',
    summary: 'Reads a supplier’s PostgreSQL, MySQL/MariaDB or SQL Server tables incrementally by (updated-at, key), or as full snapshots.',
    docsPath: 'docs/sql.md',
  },
});
