/** The `sql` connector kind: PostgreSQL, MySQL / MariaDB and SQL Server, read without missing a row. */
import type { SourceFactory } from '../../core/source.js';
import type { SqlConnectorConfig } from './config.js';
import { createSqlSourceWith } from './source.js';

export const createSqlSource: SourceFactory<SqlConnectorConfig> = (config, deps) => createSqlSourceWith(config, deps);

export { createSqlSourceWith } from './source.js';
export type { PoolFactory } from './source.js';
export { IncrementalCheckpoint, SnapshotCheckpoint, SqlCheckpoint } from './checkpoint.js';
