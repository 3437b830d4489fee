/** The `open311` connector kind: an Open311 GeoReport v2 server as a source (source.ts, docs/suppliers/open311.md). */
import type { SourceFactory } from '../../core/source.js';
import type { Open311ConnectorConfig } from './config.js';
import { createOpen311SourceImpl } from './source.js';

export const createOpen311Source: SourceFactory<Open311ConnectorConfig> = (config, deps) => createOpen311SourceImpl(config, deps);
