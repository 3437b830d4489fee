/** The `push` connector kind: receive supplier notifications (see source.ts, docs/rest-and-push.md). */
import { defineConnector } from '../../core/descriptor.js';
import type { SourceFactory } from '../../core/source.js';
import { PushConnectorConfig } from './config.js';
import { createPushSourceImpl } from './source.js';

export const createPushSource: SourceFactory<PushConnectorConfig> = (config, deps) => createPushSourceImpl(config, deps);
export { PushConnectorConfig } from './config.js';
export type { PushSource } from './source.js';

/** No checkpoint: a notification's position is the supplier's retry, answered by the ack. */
export const pushConnector = defineConnector({
  kind: 'push',
  configSchema: PushConnectorConfig,
  create: createPushSource,
  docs: {
    title: 'Supplier push (webhook or SOAP notification)',
    summary: 'Listens for a supplier’s HTTP or SOAP notifications and answers success only after the event is published.',
    docsPath: 'docs/rest-and-push.md',
  },
});
