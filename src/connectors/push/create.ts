/** The `push` source factory, loaded only when a push connector runs (it pulls in fastify). */
import type { SourceFactory } from '../../core/source.js';
import type { PushConnectorConfig } from './config.js';
import { createPushSourceImpl } from './source.js';

export const createPushSource: SourceFactory<PushConnectorConfig> = (config, deps) => createPushSourceImpl(config, deps);
