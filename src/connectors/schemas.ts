/**
 * Every connector kind's config schema, composed into the gateway config's discriminated union.
 * Kept apart from the source factories (registry.ts) so loading and validating a config never
 * loads a driver (pg, mysql2, mssql, soap, ssh2, fastify).
 */
import { FileConnectorConfig } from './file/config.js';
import { Open311ConnectorConfig } from './open311/config.js';
import { PushConnectorConfig } from './push/config.js';
import { RestConnectorConfig } from './rest/config.js';
import { SoapConnectorConfig } from './soap/config.js';
import { SqlConnectorConfig } from './sql/config.js';

export const connectorConfigSchemas = [FileConnectorConfig, SqlConnectorConfig, SoapConnectorConfig, RestConnectorConfig, PushConnectorConfig, Open311ConnectorConfig] as const;
