/**
 * The `file` connector kind: exports dropped into a local folder or onto an SFTP server. This
 * descriptor imports only the config and checkpoint schemas; the source (ssh2, parsers) loads on use.
 */
import { defineConnector } from '../../core/descriptor.js';
import { FileCheckpoint } from './checkpoint.js';
import { FileConnectorConfig } from './config.js';

export { FileConnectorConfig } from './config.js';
export { FileCheckpoint } from './checkpoint.js';
export type { LedgerEntry } from './ledger.js';

export const fileConnector = defineConnector({
  kind: 'file',
  configSchema: FileConnectorConfig,
  checkpointSchema: FileCheckpoint,
  load: async () => (await import('./create.js')).createFileSource,
  docs: {
    title: 'Files in a folder or on SFTP',
    summary: 'Reads CSV, XML, JSON and JSON Lines exports dropped into a local folder or onto an SFTP server; moves each file only after its events are published.',
    docsPath: 'docs/file.md',
  },
});
