/** The `open311` source factory, loaded only when an open311 connector runs. */
import type { SourceFactory } from '../../core/source.js';
import type { Open311Checkpoint } from './checkpoint.js';
import type { Open311ConnectorConfig } from './config.js';
import { createOpen311SourceImpl } from './source.js';

export const createOpen311Source: SourceFactory<Open311ConnectorConfig, Open311Checkpoint> = (config, deps) => createOpen311SourceImpl(config, deps);
