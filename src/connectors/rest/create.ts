/** The `rest` source factory, loaded only when a rest connector runs (it pulls in the HTTP client and back-ends). */
import type { SourceFactory } from '../../core/source.js';
import type { RestCheckpoint } from './checkpoint.js';
import type { RestConnectorConfig } from './config.js';
import { createRestSourceImpl } from './source.js';

export const createRestSource: SourceFactory<RestConnectorConfig, RestCheckpoint> = (config, deps) => createRestSourceImpl(config, deps);
