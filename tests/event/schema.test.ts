import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/json-schema.js';
import { CaseEvent } from '../../src/event/case-event.js';
import { eventSchemas } from '../../src/event/json-schema.js';
import { caseFingerprint, caseKey, eventId } from '../../src/event/identity.js';
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
    const { event } = buildEvent(snapshot, { kind: 'status_changed', fields: ['case.status.lifecycle'], previousStatus: 'received', previousStatusCode: '1' }, 3);
    expect(CaseEvent.parse(event)).toEqual(event);
    const validate = ajv().compile(eventSchemas()[0]!.schema);
    expect(validate(event), JSON.stringify(validate.errors)).toBe(true);
    expect(event.type).toBe('uk.casebridge.case.status_changed.v1');
    expect(event.source).toBe('/councils/E09000019/connectors/street-services');
    expect(event.subject).toBe('101234');
    expect(event.casesequence).toBe(3);
    expect(event.data.sequence).toBe(3);
  });

  it('rejects times without an offset, unknown lifecycle statuses and unknown fields', () => {
    const { event } = buildEvent(snapshot, { kind: 'created', fields: [] }, 1);
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

  it('gives a replayed change the same id, and any other change (sequence, kind, case content, council, connector, reference) another', () => {
    const base = { gss: 'E09000019', connector: 'street', reference: '1', sequence: 1, kind: 'created' as const, fingerprint: caseFingerprint(snapshot) };
    const a = eventId(base);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    // A replay reads the record again later, maybe on another page: wall-clock and position are not in the fingerprint.
    const replayed = { ...snapshot, provenance: { ...snapshot.provenance, fetchedAt: '2025-03-14T10:00:00Z', position: { file: 'history.csv', line: 99 } } };
    expect(eventId({ ...base, fingerprint: caseFingerprint(replayed) })).toBe(a);
    // The same instant written with another offset is the same case.
    const offset = { ...snapshot, case: { ...snapshot.case, updatedAt: '2025-03-13T08:31:00+01:00' } };
    expect(eventId({ ...base, fingerprint: caseFingerprint(offset) })).toBe(a);
    const others = [
      eventId({ ...base, sequence: 2 }),
      eventId({ ...base, kind: 'updated' }),
      eventId({ ...base, gss: 'E07000178' }),
      eventId({ ...base, connector: 'street-2' }),
      eventId({ ...base, reference: '2' }),
      eventId({ ...base, fingerprint: caseFingerprint({ ...snapshot, case: { ...snapshot.case, status: { ...snapshot.case.status, label: 'Inspected' } } }) }),
    ];
    expect(new Set([a, ...others]).size).toBe(others.length + 1);
    expect(caseKey({ gss: 'E09000019', supplier: 'Street Services', reference: '1' })).toBe('E09000019/street-services/1');
  });

  it('leaves times casebridge observed out of the fingerprint, and keeps times the supplier gave in it', () => {
    const observed = { ...snapshot, provenance: { ...snapshot.provenance, updatedAtSource: 'observed' as const } };
    const later = { ...observed, case: { ...observed.case, updatedAt: '2025-03-20T09:00:00Z' } };
    expect(caseFingerprint(later)).toBe(caseFingerprint(observed));
    const supplierLater = { ...snapshot, case: { ...snapshot.case, updatedAt: '2025-03-20T09:00:00Z' } };
    expect(caseFingerprint(supplierLater)).not.toBe(caseFingerprint(snapshot));
  });

  it('keeps the committed JSON Schema files in step with the zod source', () => {
    for (const doc of [...eventSchemas(), configSchema()]) {
      const committed = JSON.parse(readFileSync(new URL(`../../config/schemas/${doc.file}`, import.meta.url), 'utf8'));
      expect(committed, `${doc.file} is stale: run \`npm run generate\``).toEqual(JSON.parse(JSON.stringify(doc.schema)));
    }
  });
});
