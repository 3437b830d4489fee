/** The `push` connector kind: receive supplier notifications (see source.ts, docs/rest-and-push.md). */
import type { SourceFactory } from '../../core/source.js';
import type { PushConnectorConfig } from './config.js';
import { createPushSourceImpl } from './source.js';

export const createPushSource: SourceFactory<PushConnectorConfig> = (config, deps) => createPushSourceImpl(config, deps);
export type { PushSource } from './source.js';
