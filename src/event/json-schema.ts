/**
 * JSON Schema documents generated from the zod schemas, for portal developers (event, dead letter)
 * and for editors completing config files. `casebridge schema --write` keeps config/schemas/ in
 * step; a test fails when the committed files drift from the zod source.
 */
import { z } from 'zod';
import { CaseEvent, DATA_SCHEMA_URI } from './case-event.js';
import { DeadLetter } from '../core/dead-letter.js';

export interface SchemaDocument {
  file: string;
  schema: Record<string, unknown>;
}

export function eventSchemas(): SchemaDocument[] {
  return [
    {
      file: 'case-event.v1.json',
      schema: {
        $id: DATA_SCHEMA_URI,
        title: 'casebridge case event (CloudEvents 1.0, structured mode)',
        ...z.toJSONSchema(CaseEvent, { target: 'draft-2020-12' }),
      },
    },
    {
      file: 'dead-letter.v1.json',
      schema: {
        $id: 'https://casebridge.dev/schemas/dead-letter.v1.json',
        title: 'casebridge dead letter',
        ...z.toJSONSchema(DeadLetter, { target: 'draft-2020-12', unrepresentable: 'any' }),
      },
    },
  ];
}
