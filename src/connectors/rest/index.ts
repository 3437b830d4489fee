import type { SourceFactory } from '../source.js';
import type { RestConnectorConfig } from './config.js';
import { ConfigError } from '../../runtime/errors.js';

/** PLACEHOLDER: the rest connector is not built yet. */
export const createRestSource: SourceFactory<RestConnectorConfig> = (config) => {
  throw new ConfigError(`connector kind "rest" is not implemented yet`, { context: { connector: config.name } });
};
