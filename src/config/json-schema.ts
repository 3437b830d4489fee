/** JSON Schema of the gateway config (input side: defaults are optional), for editor completion. */
import { z } from 'zod';
import type { SchemaDocument } from '../event/json-schema.js';
import { GatewayConfig } from './schema.js';

export function configSchema(): SchemaDocument {
  return {
    file: 'casebridge-config.schema.json',
    schema: {
      $id: 'https://casebridge.dev/schemas/casebridge-config.schema.json',
      title: 'casebridge gateway config',
      ...z.toJSONSchema(GatewayConfig, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }),
    },
  };
}
