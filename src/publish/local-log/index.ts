/** The `local-log` publisher kind: events and dead letters as JSON Lines files, fsync'd (embedded default). */
import { resolve } from 'node:path';
import { definePublisher } from '../../core/descriptor.js';
import { LocalLogPublisherConfig } from './config.js';
import { createLocalLogPublisher } from './publisher.js';

export { LocalLogPublisherConfig } from './config.js';
export { createLocalLogPublisher, type LocalLogOptions } from './publisher.js';

export const localLogPublisher = definePublisher({
  kind: 'local-log',
  configSchema: LocalLogPublisherConfig,
  create: async (config, deps) => createLocalLogPublisher({ dir: resolve(deps.baseDir, config.dir), rotateBytes: config.rotateBytes, fsync: config.fsync }),
  docs: {
    title: 'Local event log',
    summary: 'Writes each event as one line of JSON to rotating files in a folder, fsync’d before publish resolves; the embedded default.',
    docsPath: 'README.md',
  },
});
