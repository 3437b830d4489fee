import type { SourceFactory } from '../source.js';
import type { SqlConnectorConfig } from './config.js';
import { ConfigError } from '../../runtime/errors.js';

/** PLACEHOLDER: the sql connector is not built yet. */
export const createSqlSource: SourceFactory<SqlConnectorConfig> = (config) => {
  throw new ConfigError(`connector kind "sql" is not implemented yet`, { context: { connector: config.name } });
};
