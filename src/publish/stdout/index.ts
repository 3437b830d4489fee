/** The `stdout` publisher kind: prints events (previews, piping into jq); nothing is durable. */
import { definePublisher } from '../../core/descriptor.js';
import { StdoutPublisherConfig } from './config.js';
import { createStdoutPublisher } from './publisher.js';

export { StdoutPublisherConfig } from './config.js';
export { createStdoutPublisher } from './publisher.js';

export const stdoutPublisher = definePublisher({
  kind: 'stdout',
  configSchema: StdoutPublisherConfig,
  create: async () => createStdoutPublisher(),
  docs: {
    title: 'Standard output',
    summary: 'Prints each event as JSON on standard output, for previews and pipes; nothing is durable.',
    docsPath: 'README.md',
  },
});
