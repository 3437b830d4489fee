/**
 * The `open311` connector kind: an Open311 GeoReport v2 server as a source (source.ts,
 * docs/suppliers/open311.md). The descriptor imports only schemas; the source loads on use.
 */
import { defineConnector } from '../../core/descriptor.js';
import { Open311Checkpoint } from './checkpoint.js';
import { Open311ConnectorConfig } from './config.js';

export { Open311ConnectorConfig } from './config.js';
export { Open311Checkpoint } from './checkpoint.js';

export const open311Connector = defineConnector({
  kind: 'open311',
  configSchema: Open311ConnectorConfig,
  checkpointSchema: Open311Checkpoint,
  load: async () => (await import('./create.js')).createOpen311Source,
  docs: {
    title: 'Open311 GeoReport v2',
    summary: 'Polls an Open311 GeoReport v2 server for service requests (and their updates) changed since the last window.',
    docsPath: 'docs/suppliers/open311.md',
  },
});
