/** The `open311` connector kind: an Open311 GeoReport v2 server as a source (source.ts, docs/suppliers/open311.md). */
import { defineConnector } from '../../core/descriptor.js';
import type { SourceFactory } from '../../core/source.js';
import { Open311Checkpoint } from './checkpoint.js';
import { Open311ConnectorConfig } from './config.js';
import { createOpen311SourceImpl } from './source.js';

export const createOpen311Source: SourceFactory<Open311ConnectorConfig, Open311Checkpoint> = (config, deps) => createOpen311SourceImpl(config, deps);
export { Open311ConnectorConfig } from './config.js';
export { Open311Checkpoint } from './checkpoint.js';

export const open311Connector = defineConnector({
  kind: 'open311',
  configSchema: Open311ConnectorConfig,
  create: createOpen311Source,
  checkpointSchema: Open311Checkpoint,
  docs: {
    title: 'Open311 GeoReport v2',
    summary: 'Polls an Open311 GeoReport v2 server for service requests (and their updates) changed since the last window.',
    docsPath: 'docs/suppliers/open311.md',
  },
});
