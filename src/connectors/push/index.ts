/**
 * The `push` connector kind: receive supplier notifications (see source.ts, docs/rest-and-push.md).
 * The descriptor imports only the config schema; the receiver (fastify) loads on use.
 */
import { defineConnector } from '../../core/descriptor.js';
import { PushConnectorConfig } from './config.js';

export { PushConnectorConfig } from './config.js';
export type { PushSource } from './source.js';

/** No checkpoint: a notification's position is the supplier's retry, answered by the ack. */
export const pushConnector = defineConnector({
  kind: 'push',
  configSchema: PushConnectorConfig,
  load: async () => (await import('./create.js')).createPushSource,
  docs: {
    title: 'Supplier push (webhook or SOAP notification)',
    summary: 'Listens for a supplier’s HTTP or SOAP notifications and answers success only after the event is published.',
    docsPath: 'docs/rest-and-push.md',
  },
});
