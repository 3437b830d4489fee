/** The `soap` source factory, loaded only when a soap connector runs (it pulls in the soap library). */
import type { SourceFactory } from '../../core/source.js';
import type { SoapCheckpoint } from './checkpoint.js';
import type { SoapConnectorConfig } from './config.js';
import { createSoapSourceImpl } from './source.js';

export const createSoapSource: SourceFactory<SoapConnectorConfig, SoapCheckpoint> = (config, deps) => createSoapSourceImpl(config, deps);
