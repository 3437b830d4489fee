import type { SourceFactory } from '../source.js';
import type { SoapConnectorConfig } from './config.js';
import { ConfigError } from '../../runtime/errors.js';

/** PLACEHOLDER: the soap connector is not built yet. */
export const createSoapSource: SourceFactory<SoapConnectorConfig> = (config) => {
  throw new ConfigError(`connector kind "soap" is not implemented yet`, { context: { connector: config.name } });
};
