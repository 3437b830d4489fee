import type { SourceFactory } from '../source.js';
import type { FileConnectorConfig } from './config.js';
import { ConfigError } from '../../runtime/errors.js';

/** PLACEHOLDER: the file connector is not built yet. */
export const createFileSource: SourceFactory<FileConnectorConfig> = (config) => {
  throw new ConfigError(`connector kind "file" is not implemented yet`, { context: { connector: config.name } });
};
