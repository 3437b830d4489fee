/** The `soap` connector kind: polling SOAP services by configuration (see docs/soap.md). */
import type { SourceFactory } from '../../core/source.js';
import type { SoapConnectorConfig } from './config.js';
import { createSoapSourceImpl } from './source.js';

export const createSoapSource: SourceFactory<SoapConnectorConfig> = (config, deps) => createSoapSourceImpl(config, deps);
export { SoapConnectorConfig } from './config.js';
export { SoapCheckpoint } from './checkpoint.js';
