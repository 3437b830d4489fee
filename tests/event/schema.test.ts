import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/json-schema.js';
import { CaseEvent } from '../../src/event/case-event.js';
import { eventSchemas } from '../../src/event/json-schema.js';
import { caseKey, eventId, recordFingerprint } from '../../src/event/identity.js';
import { buildEvent } from '../../src/normalize/build-event.js';

const snapshot = {
  council: { gss: 'E09000019', name: 'London Borough of Islington' },
  system: { supplier: 'Street Services', connector: 'street-services' },
  case: {
    reference: '101234',
    service: { code: 'FLY', name: 'Fly-tipping', lgsl: 1124 },
    status: { lifecycle: 'in_progress' as const, code: '3', label: 'Inspection', publicLabel: 'We are looking into it' },
    openedAt: '2025-03-12T07:31:00Z',
    updatedAt: '2025-03-13T07:31:00Z',
  },
  location: { uprn: '5300049124', postcode: 'N1 1XR', latitude: 51.5362, longitude: -0.1033 },
  provenance: { connector: 'street-services', position: { file: 'history.csv', line: 7 }, fetchedAt: '2025-03-13T08:00:00Z', updatedAtSource: 'supplier' as const },
};

function ajv() {
  const a = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(a);
  return a;
}

describe('case event contract', () => {
  it('builds a CloudEvent that zod and the generated JSON Schema (via Ajv) both accept', () => {
    const { event } = buildEvent(snapshot, { kind: 'status_changed', fields: ['case.status.lifecycle'], previousStatus: 'received', previousStatusCode: '1' }, recordFingerprint({ a: 1 }));
    expect(CaseEvent.parse(event)).toEqual(event);
    const validate = ajv().compile(eventSchemas()[0]!.schema);
    expect(validate(event), JSON.stringify(validate.errors)).toBe(true);
    expect(event.type).toBe('uk.casebridge.case.status_changed.v1');
    expect(event.source).toBe('/councils/E09000019/connectors/street-services');
    expect(event.subject).toBe('101234');
  });

  it('rejects times without an offset, unknown lifecycle statuses and unknown fields', () => {
    const { event } = buildEvent(snapshot, { kind: 'created', fields: [] }, 'f');
    const validate = ajv().compile(eventSchemas()[0]!.schema);
    const noOffset = structuredClone(event);
    noOffset.time = '2025-03-13T07:31:00';
    expect(CaseEvent.safeParse(noOffset).success).toBe(false);
    expect(validate(noOffset)).toBe(false);
    const badStatus = structuredClone(event) as unknown as { data: { case: { status: { lifecycle: string } } } };
    badStatus.data.case.status.lifecycle = 'pending';
    expect(CaseEvent.safeParse(badStatus).success).toBe(false);
    expect(validate(badStatus)).toBe(false);
    const extra = { ...structuredClone(event), colour: 'red' };
    expect(CaseEvent.safeParse(extra).success).toBe(false);
    expect(validate(extra)).toBe(false);
  });

  it('gives the same id to the same record version and a different id to a changed record', () => {
    const base = { gss: 'E09000019', connector: 'street', reference: '1' };
    const a = eventId({ ...base, fingerprint: recordFingerprint({ x: 1, y: 2 }) });
    const b = eventId({ ...base, fingerprint: recordFingerprint({ y: 2, x: 1 }) });
    const c = eventId({ ...base, fingerprint: recordFingerprint({ x: 1, y: 3 }) });
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(caseKey({ gss: 'E09000019', supplier: 'Street Services', reference: '1' })).toBe('E09000019/street-services/1');
  });

  it('keeps the committed JSON Schema files in step with the zod source', () => {
    for (const doc of [...eventSchemas(), configSchema()]) {
      const committed = JSON.parse(readFileSync(new URL(`../../config/schemas/${doc.file}`, import.meta.url), 'utf8'));
      expect(committed, `${doc.file} is stale: run \`npm run generate\``).toEqual(JSON.parse(JSON.stringify(doc.schema)));
    }
  });
});
