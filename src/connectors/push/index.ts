import type { SourceFactory } from '../source.js';
import type { PushConnectorConfig } from './config.js';
import { ConfigError } from '../../runtime/errors.js';

/** PLACEHOLDER: the push connector is not built yet. */
export const createPushSource: SourceFactory<PushConnectorConfig> = (config) => {
  throw new ConfigError(`connector kind "push" is not implemented yet`, { context: { connector: config.name } });
};
