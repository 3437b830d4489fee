/** The `rest` connector kind: poll a supplier's REST/JSON API (see source.ts, docs/rest-and-push.md). */
import type { SourceFactory } from '../../core/source.js';
import type { RestConnectorConfig } from './config.js';
import { createRestSourceImpl } from './source.js';

export const createRestSource: SourceFactory<RestConnectorConfig> = (config, deps) => createRestSourceImpl(config, deps);
export { RestCheckpoint, RunState } from './checkpoint.js';
