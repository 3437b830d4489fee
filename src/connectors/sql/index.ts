/**
 * The `sql` connector kind: PostgreSQL, MySQL / MariaDB and SQL Server, read without missing a row.
 * The descriptor imports only schemas; the source loads on use and each driver on first connect.
 */
import { defineConnector } from '../../core/descriptor.js';
import { SqlCheckpoint } from './checkpoint.js';
import { SqlConnectorConfig } from './config.js';

export { SqlConnectorConfig } from './config.js';
export { IncrementalCheckpoint, SnapshotCheckpoint, SqlCheckpoint } from './checkpoint.js';

export const sqlConnector = defineConnector({
  kind: 'sql',
  configSchema: SqlConnectorConfig,
  checkpointSchema: SqlCheckpoint,
  load: async () => (await import('./create.js')).createSqlSource,
  docs: {
    title: 'SQL tables and views',
    summary: 'Reads a supplier’s PostgreSQL, MySQL/MariaDB or SQL Server tables incrementally by (updated-at, key), or as full snapshots.',
    docsPath: 'docs/sql.md',
  },
});
