/**
 * The AsyncAPI 3 document for portal developers: the Kafka topics casebridge writes, the message
 * shapes in both CloudEvents Kafka binding modes, and the dead letters. Generated from the zod
 * schemas (z.toJSONSchema), so it cannot drift from the code; `casebridge schema --write` writes
 * it to config/schemas/asyncapi.yaml and a test checks it with the AsyncAPI parser.
 */
import { stringify } from 'yaml';
import { z } from 'zod';
import { CaseEvent, CaseEventData, ChangeKind, DATA_SCHEMA_URI, EVENT_SCHEMA_VERSION, EVENT_TYPE_PREFIX, eventTypeFor, type CaseEvent as CaseEventT } from './case-event.js';
import { DeadLetter } from '../core/dead-letter.js';

/** AsyncAPI Schema is a superset of JSON Schema draft-07. */
function schemaOf(s: z.ZodType): Record<string, unknown> {
  const out = z.toJSONSchema(s, { target: 'draft-7', unrepresentable: 'any' }) as Record<string, unknown>;
  delete out.$schema;
  return out;
}

const KEY_DESCRIPTION =
  'Case key "{gss}/{supplier}/{reference}" (supplier lower-cased, non-alphanumerics as "-"), e.g. "E09000019/street-services/101234". Every event of one case has the same key, so one partition keeps them in order.';

const EXAMPLE_EVENT: CaseEventT = {
  specversion: '1.0',
  id: '5d41c0b5e3a1f2a79c0e3b8f1a2d4c6e',
  source: '/councils/E09000019/connectors/street-cases',
  type: eventTypeFor('status_changed') as CaseEventT['type'],
  subject: '101234',
  time: '2025-03-14T10:02:00+00:00',
  datacontenttype: 'application/json',
  dataschema: DATA_SCHEMA_URI,
  casesequence: 2,
  data: {
    council: { gss: 'E09000019', name: 'Islington' },
    system: { supplier: 'Street Services', product: 'Highways CRM', connector: 'street-cases' },
    case: {
      reference: '101234',
      service: { code: 'PH', name: 'Pothole', category: 'Roads and pavements' },
      status: { lifecycle: 'scheduled', code: '4', label: 'Works ordered', publicLabel: 'Repair booked' },
      openedAt: '2025-03-13T07:31:00+00:00',
      updatedAt: '2025-03-14T10:02:00+00:00',
      dueAt: '2025-03-20T00:00:00+00:00',
    },
    location: { uprn: '5300049124', postcode: 'N1 1XR', latitude: 51.5362, longitude: -0.1033 },
    change: { kind: 'status_changed', fields: ['case.status.code', 'case.status.lifecycle'], previousStatus: 'received', previousStatusCode: '1' },
    provenance: { connector: 'street-cases', position: { file: 'CRM_History_20250314_1030.csv', line: 17 }, fetchedAt: '2025-03-14T10:30:05+00:00', updatedAtSource: 'supplier' },
    sequence: 2,
  },
};

export function asyncApiDocument(): Record<string, unknown> {
  // A fresh copy each time (callers may edit the document), checked to be a valid event.
  const EXAMPLE = CaseEvent.parse(structuredClone(EXAMPLE_EVENT)) as CaseEventT;
  const binaryHeaders = {
    type: 'object',
    required: ['ce_specversion', 'ce_id', 'ce_source', 'ce_type', 'ce_subject', 'ce_time', 'content-type'],
    properties: {
      ce_specversion: { type: 'string', const: '1.0' },
      ce_id: { type: 'string', description: 'Deterministic event id, unique per change (scheme v2); dedupe on it' },
      ce_source: { type: 'string', description: '/councils/{gss}/connectors/{connector}' },
      ce_type: { type: 'string', enum: ChangeKind.options.map(eventTypeFor) },
      ce_subject: { type: 'string', description: 'The case reference' },
      ce_time: { type: 'string', format: 'date-time' },
      ce_dataschema: { type: 'string', const: DATA_SCHEMA_URI },
      ce_casesequence: {
        type: 'string',
        pattern: '^[1-9][0-9]*$',
        description: 'CloudEvents extension casesequence (Integer, as header text): 1 for the first event of a case from this source, +1 per published change; absent on events from versions before it',
      },
      'content-type': { type: 'string', const: 'application/json' },
    },
  };
  const { data: exampleData, ...exampleAttrs } = EXAMPLE;
  const kafkaKey = { kafka: { key: { type: 'string', description: KEY_DESCRIPTION }, bindingVersion: '0.5.0' } };
  const councilParam = { description: 'GSS code of the council, e.g. E09000019 (the default topic template; deployments may rename topics)', examples: ['E09000019'] };

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'casebridge case events',
      version: `${EVENT_SCHEMA_VERSION.replace(/^v/, '')}.0.0`,
      description: [
        'One stream of case events per council, read from the case-management systems councils already run',
        '(waste, highways, housing repairs, planning, ...) and published as CloudEvents 1.0 on Apache Kafka.',
        '',
        `Event types are \`${EVENT_TYPE_PREFIX}.{created|updated|status_changed|closed}.${EVENT_SCHEMA_VERSION}\`. The lifecycle`,
        'status comes from a small fixed vocabulary (docs/lifecycle.md). Ids are deterministic and unique per',
        'change (id scheme v2; earlier versions hashed the raw record only): a replay after a crash repeats events with the same id, so',
        'consumers dedupe on `id`; two different changes never share one. Each case carries a sequence',
        '(extension attribute `casesequence`, also `data.sequence`): 1 for its first event from a source,',
        '+1 per published change, so a gap means a missing event. Events of one case share a',
        'message key and therefore a partition, and arrive in order. Additive fields keep the version;',
        'a breaking change gets a new type suffix and data schema.',
        '',
        'Personal data is absent unless a council maps it on purpose, and then it sits under `data.personal`',
        '(hashed, redacted or included as configured).',
      ].join('\n'),
      license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
    },
    defaultContentType: 'application/json',
    servers: {
      council: {
        host: 'kafka.council.example:9092',
        protocol: 'kafka',
        description: "The council's Kafka cluster (an example address; TLS and SASL as the council configures them)",
      },
    },
    channels: {
      caseEvents: {
        address: 'casebridge.{council}.cases',
        title: 'Case events of one council',
        parameters: { council: councilParam },
        messages: {
          caseEventBinary: { $ref: '#/components/messages/caseEventBinary' },
          caseEventStructured: { $ref: '#/components/messages/caseEventStructured' },
        },
      },
      deadLetters: {
        address: 'casebridge.{council}.dead-letters',
        title: 'Supplier records casebridge could not turn into case events',
        parameters: { council: councilParam },
        messages: { deadLetter: { $ref: '#/components/messages/deadLetter' } },
      },
    },
    operations: {
      receiveCaseEvents: {
        action: 'receive',
        title: 'Follow cases',
        summary: 'A tracking portal consumes the case events of a council',
        channel: { $ref: '#/channels/caseEvents' },
        messages: [{ $ref: '#/channels/caseEvents/messages/caseEventBinary' }, { $ref: '#/channels/caseEvents/messages/caseEventStructured' }],
      },
      receiveDeadLetters: {
        action: 'receive',
        title: 'Watch rejected records',
        summary: 'Council IT watch and replay records that could not be mapped',
        channel: { $ref: '#/channels/deadLetters' },
        messages: [{ $ref: '#/channels/deadLetters/messages/deadLetter' }],
      },
    },
    components: {
      messages: {
        caseEventBinary: {
          name: 'caseEvent',
          title: 'Case event (CloudEvents binary mode, the default)',
          summary: 'CloudEvents attributes as ce_* headers; the value is the event data',
          contentType: 'application/json',
          headers: binaryHeaders,
          payload: { $ref: '#/components/schemas/CaseEventData' },
          bindings: kafkaKey,
          examples: [{ name: 'statusChanged', headers: { ...Object.fromEntries(Object.entries(exampleAttrs).filter(([k]) => k !== 'datacontenttype').map(([k, v]) => [`ce_${k}`, String(v)])), 'content-type': 'application/json' }, payload: exampleData }],
        },
        caseEventStructured: {
          name: 'caseEventStructured',
          title: 'Case event (CloudEvents structured mode)',
          summary: 'The whole CloudEvent as the value (publisher mode: structured)',
          contentType: 'application/cloudevents+json',
          payload: { $ref: '#/components/schemas/CaseEvent' },
          bindings: kafkaKey,
          examples: [{ name: 'statusChanged', payload: EXAMPLE }],
        },
        deadLetter: {
          name: 'deadLetter',
          title: 'Dead letter',
          summary: 'A record that failed at the source, in the mapping or in validation, with its reason and original',
          contentType: 'application/json',
          headers: {
            type: 'object',
            properties: {
              casebridge_reason_code: { type: 'string' },
              casebridge_stage: { type: 'string', enum: ['source', 'mapping', 'validation', 'change'] },
              casebridge_connector: { type: 'string' },
              casebridge_council: { type: 'string' },
              casebridge_dead_letter_id: { type: 'string' },
            },
          },
          payload: { $ref: '#/components/schemas/DeadLetter' },
          bindings: { kafka: { key: { type: 'string', description: 'The connector name' }, bindingVersion: '0.5.0' } },
        },
      },
      schemas: {
        CaseEvent: schemaOf(CaseEvent),
        CaseEventData: schemaOf(CaseEventData),
        DeadLetter: schemaOf(DeadLetter),
      },
    },
  };
}

export function asyncApiYaml(): string {
  return `# Generated from src/event by \`casebridge schema --write\`; do not edit.\n${stringify(asyncApiDocument(), { lineWidth: 0, aliasDuplicateObjects: false })}`;
}
