/** The `sql` source factory, loaded only when a sql connector runs (the drivers load later still, per dialect). */
import type { SourceFactory } from '../../core/source.js';
import type { SqlCheckpoint } from './checkpoint.js';
import type { SqlConnectorConfig } from './config.js';
import { createSqlSourceWith } from './source.js';

export const createSqlSource: SourceFactory<SqlConnectorConfig, SqlCheckpoint> = (config, deps) => createSqlSourceWith(config, deps);

export { createSqlSourceWith } from './source.js';
export type { PoolFactory } from './source.js';
