/** The `file` connector kind: exports dropped into a local folder or onto an SFTP server. */
import { resolve } from 'node:path';
import type { SourceFactory } from '../../core/source.js';
import type { FileConnectorConfig } from './config.js';
import { createFileSourceWithStore } from './file-source.js';
import { createLocalStore } from './local-store.js';
import { createSftpStore } from './sftp-store.js';

export { FileConnectorConfig } from './config.js';
export { LEDGER_NAMESPACE, type LedgerEntry } from './file-source.js';
export { FileCheckpoint } from './checkpoint.js';
export { sshFingerprint } from './sftp-store.js';

export const createFileSource: SourceFactory<FileConnectorConfig> = (config, deps) => {
  const store = config.sftp
    ? createSftpStore(config.sftp, config.path, { connector: deps.connector, logger: deps.logger })
    : createLocalStore(resolve(deps.baseDir, config.path), deps.connector);
  return createFileSourceWithStore(config, deps, store);
};
