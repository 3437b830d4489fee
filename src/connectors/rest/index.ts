/** The `rest` connector kind: poll a supplier's REST/JSON API (see source.ts, docs/rest-and-push.md). */
import { defineConnector } from '../../core/descriptor.js';
import type { SourceFactory } from '../../core/source.js';
import { RestCheckpoint } from './checkpoint.js';
import { RestConnectorConfig } from './config.js';
import { createRestSourceImpl } from './source.js';

export const createRestSource: SourceFactory<RestConnectorConfig, RestCheckpoint> = (config, deps) => createRestSourceImpl(config, deps);
export { RestConnectorConfig } from './config.js';
export { RestCheckpoint, RunState } from './checkpoint.js';

export const restConnector = defineConnector({
  kind: 'rest',
  configSchema: RestConnectorConfig,
  create: createRestSource,
  checkpointSchema: RestCheckpoint,
  docs: {
    title: 'REST/JSON API polling',
    summary: 'Polls a supplier’s REST API for records changed since the last position, in whichever paging style it uses, or lists it whole.',
    docsPath: 'docs/rest-and-push.md',
  },
});
