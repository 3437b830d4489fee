/**
 * The `rest` connector kind: poll a supplier's REST/JSON API (see source.ts, docs/rest-and-push.md).
 * The descriptor imports only schemas; the source and its HTTP back-ends load on use.
 */
import { defineConnector } from '../../core/descriptor.js';
import { RestCheckpoint } from './checkpoint.js';
import { RestConnectorConfig } from './config.js';

export { RestConnectorConfig } from './config.js';
export { RestCheckpoint, RunState } from './checkpoint.js';

export const restConnector = defineConnector({
  kind: 'rest',
  configSchema: RestConnectorConfig,
  checkpointSchema: RestCheckpoint,
  load: async () => (await import('./create.js')).createRestSource,
  docs: {
    title: 'REST/JSON API polling',
    summary: 'Polls a supplier’s REST API for records changed since the last position, in whichever paging style it uses, or lists it whole.',
    docsPath: 'docs/rest-and-push.md',
  },
});
