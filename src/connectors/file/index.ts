/** The `file` connector kind: exports dropped into a local folder or onto an SFTP server. */
import { resolve } from 'node:path';
import { defineConnector } from '../../core/descriptor.js';
import type { SourceFactory } from '../../core/source.js';
import { FileCheckpoint } from './checkpoint.js';
import { FileConnectorConfig } from './config.js';
import { createFileSourceWithStore } from './file-source.js';
import { createLocalStore } from './local-store.js';
import { createSftpStore } from './sftp-store.js';

export { FileConnectorConfig } from './config.js';
export { LEDGER_NAMESPACE, type LedgerEntry } from './file-source.js';
export { FileCheckpoint } from './checkpoint.js';
export { sshFingerprint } from './sftp-store.js';

export const createFileSource: SourceFactory<FileConnectorConfig, FileCheckpoint> = (config, deps) => {
  const store = config.sftp
    ? createSftpStore(config.sftp, config.path, { connector: deps.connector, logger: deps.logger })
    : createLocalStore(resolve(deps.baseDir, config.path), deps.connector);
  return createFileSourceWithStore(config, deps, store);
};

export const fileConnector = defineConnector({
  kind: 'file',
  configSchema: FileConnectorConfig,
  create: createFileSource,
  checkpointSchema: FileCheckpoint,
  docs: {
    title: 'Files in a folder or on SFTP',
    summary: 'Reads CSV, XML, JSON and JSON Lines exports dropped into a local folder or onto an SFTP server; moves each file only after its events are published.',
    docsPath: 'docs/file.md',
  },
});
