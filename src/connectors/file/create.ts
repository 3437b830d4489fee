/** The `file` source factory, loaded only when a file connector runs (it pulls in the parsers; ssh2 only when an SFTP folder is first used). */
import { resolve } from 'node:path';
import type { SourceFactory } from '../../core/source.js';
import type { FileCheckpoint } from './checkpoint.js';
import type { FileConnectorConfig } from './config.js';
import { createFileSourceWithStore } from './file-source.js';
import { createLocalStore } from './local-store.js';
import { lazySftpStore } from './lazy-store.js';

export const createFileSource: SourceFactory<FileConnectorConfig, FileCheckpoint> = (config, deps) => {
  const store = config.sftp
    ? lazySftpStore(config.sftp, config.path, { connector: deps.connector, logger: deps.logger })
    : createLocalStore(resolve(deps.baseDir, config.path), deps.connector);
  return createFileSourceWithStore(config, deps, store);
};
