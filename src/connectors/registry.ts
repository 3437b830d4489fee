/**
 * Every connector kind: its config schema (composed into the gateway config's discriminated union)
 * and its source factory. Adding a kind means adding one line here and one folder.
 */
import { FileConnectorConfig } from './file/config.js';
import { createFileSource } from './file/index.js';
import { Open311ConnectorConfig } from './open311/config.js';
import { createOpen311Source } from './open311/index.js';
import { PushConnectorConfig } from './push/config.js';
import { createPushSource } from './push/index.js';
import { RestConnectorConfig } from './rest/config.js';
import { createRestSource } from './rest/index.js';
import { SoapConnectorConfig } from './soap/config.js';
import { createSoapSource } from './soap/index.js';
import { SqlConnectorConfig } from './sql/config.js';
import { createSqlSource } from './sql/index.js';
import type { SourceFactory } from '../core/source.js';

export const connectorConfigSchemas = [FileConnectorConfig, SqlConnectorConfig, SoapConnectorConfig, RestConnectorConfig, PushConnectorConfig, Open311ConnectorConfig] as const;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const sourceFactories: Record<string, SourceFactory<any>> = {
  file: createFileSource,
  sql: createSqlSource,
  soap: createSoapSource,
  rest: createRestSource,
  push: createPushSource,
  open311: createOpen311Source,
};
