import { describe, expect, it } from 'vitest';
import { compileMapping } from '../../src/normalize/compile-mapping.js';
import { Mapping } from '../../src/normalize/mapping-schema.js';
import { decideChange, visibleFields, type CaseMemory } from '../../src/normalize/change.js';
import { CaseEvent } from '../../src/event/case-event.js';
import { ctx, run } from './helpers.js';

const lookups = {
  stages: {
    kind: 'status' as const,
    entries: {
      OPEN: { status: 'received' as const },
      DONE: { status: 'closed' as const },
      CANC: { status: 'cancelled' as const },
    },
  },
  reasons: {
    kind: 'closure' as const,
    entries: {
      DUP: 'duplicate' as const,
      NFA: { code: 'no-action-needed' as const, label: 'We checked and the road is safe.' },
      COMP: 'completed' as const,
    },
    caseInsensitive: true,
  },
};

const mapping = {
  reference: 'Ref',
  status: { code: 'Stage', lookup: 'stages' },
  closureReason: { code: 'CloseCode', lookup: 'reasons' },
  publicNotes: [{ text: 'PublicComment', at: { path: 'CommentDate', date: 'dd/MM/yyyy HH:mm' } }, { text: 'ResolutionText' }],
  media: [{ url: 'PhotoUrl', caption: { const: 'Photo of the finished work' } }],
  relatedReferences: [
    { system: 'fixmystreet', reference: 'FmsId' },
    { system: 'crm', reference: 'CrmRef' },
  ],
  personal: [{ name: 'reporterNote', value: 'InternalNote', mode: 'omit' as const }],
  lookups,
};

const caseOf = async (raw: Record<string, unknown>, m: unknown = mapping) => {
  const r = await run(m, raw);
  if (r.kind !== 'case') throw new Error(`expected a case, got ${JSON.stringify(r)}`);
  return r.snapshot;
};

describe('mapping: fields for residents', () => {
  it('maps a supplier closure code through a closure lookup, keeping the supplier code', async () => {
    const s = await caseOf({ Ref: 'A1', Stage: 'CANC', CloseCode: 'dup' });
    expect(s.case.closureReason).toEqual({ code: 'duplicate', supplierCode: 'dup' });
    const nfa = await caseOf({ Ref: 'A1', Stage: 'DONE', CloseCode: 'NFA' });
    expect(nfa.case.closureReason).toEqual({ code: 'no-action-needed', supplierCode: 'NFA', label: 'We checked and the road is safe.' });
  });

  it('sets no closure reason on an open case, even when the supplier left a closure code behind', async () => {
    const s = await caseOf({ Ref: 'A1', Stage: 'OPEN', CloseCode: 'COMP' });
    expect(s.case.closureReason).toBeUndefined();
  });

  it('dead-letters an unknown closure code with a reason naming the table, unless the table has a default', async () => {
    const r = await run(mapping, { Ref: 'A1', Stage: 'DONE', CloseCode: 'ZZZ' });
    expect(r).toMatchObject({ kind: 'reject', code: 'unknown_closure_reason', field: 'case.closureReason.supplierCode' });
    expect(r.kind === 'reject' && r.reason).toContain('unknown closure code "ZZZ" in lookup table "reasons" (connectors[0].mapping.closureReason.lookup)');
    const withDefault = { ...mapping, lookups: { ...lookups, reasons: { ...lookups.reasons, default: 'other' as const } } };
    expect((await caseOf({ Ref: 'A1', Stage: 'DONE', CloseCode: 'ZZZ' }, withDefault)).case.closureReason).toEqual({ code: 'other', supplierCode: 'ZZZ' });
  });

  it('maps public notes (with UK times), media and related references, leaving out empty ones', async () => {
    const s = await caseOf({
      Ref: 'A1',
      Stage: 'OPEN',
      PublicComment: 'Inspector visited; repair ordered.',
      CommentDate: '01/07/2025 09:30',
      ResolutionText: '',
      PhotoUrl: 'https://photos.example.org/a1.jpg',
      FmsId: '4411',
      CrmRef: '',
      InternalNote: 'resident was rude on the phone',
    });
    expect(s.case.publicNotes).toEqual([{ text: 'Inspector visited; repair ordered.', at: '2025-07-01T09:30:00+01:00' }]);
    expect(s.case.media).toEqual([{ url: 'https://photos.example.org/a1.jpg', caption: 'Photo of the finished work' }]);
    expect(s.case.relatedReferences).toEqual([{ system: 'fixmystreet', reference: '4411' }]);
    expect(JSON.stringify(s)).not.toContain('rude');
    const bare = await caseOf({ Ref: 'A2', Stage: 'OPEN' });
    expect(bare.case).not.toHaveProperty('publicNotes');
    expect(bare.case).not.toHaveProperty('media');
    expect(bare.case).not.toHaveProperty('relatedReferences');
  });

  it('dead-letters a media link that is not http(s), naming the field', async () => {
    const r = await run(mapping, { Ref: 'A1', Stage: 'OPEN', PhotoUrl: 'javascript:alert(1)' });
    expect(r).toMatchObject({ kind: 'reject', code: 'invalid_case', field: 'case.media.0.url' });
    expect(r.kind === 'reject' && r.reason).toContain('an http(s) URL');
  });

  it('refuses a public note read from a field mapped as personal', () => {
    const bad = { ...mapping, publicNotes: [{ text: { template: 'Note: {InternalNote}' } }] };
    expect(() => compileMapping(Mapping.parse(bad), ctx)).toThrow('connectors[0].mapping.publicNotes[0].text: field "InternalNote" is mapped under personal, so it cannot also be a public note');
  });

  it('checks the closure lookup exists and is a closure table', () => {
    expect(() => compileMapping(Mapping.parse({ ...mapping, closureReason: { code: 'CloseCode', lookup: 'nope' } }), ctx)).toThrow('lookup table "nope" is not defined');
    expect(() => compileMapping(Mapping.parse({ ...mapping, closureReason: { code: 'CloseCode', lookup: 'stages' } }), ctx)).toThrow('lookup table "stages" is a status table; expected a closure table');
    expect(() => Mapping.parse({ ...mapping, lookups: { ...lookups, reasons: { kind: 'closure', entries: { X: 'finished' } } } })).toThrow();
  });

  it('a new public note is a change residents see; the same notes again are not', async () => {
    const before = await caseOf({ Ref: 'A1', Stage: 'OPEN' });
    const after = await caseOf({ Ref: 'A1', Stage: 'OPEN', PublicComment: 'Booked for Tuesday.' });
    // Only what change detection reads; the rest of the memory is the state store's business.
    const memoryOf = (snapshot: typeof before) => ({ snapshot, updatedAt: snapshot.case.updatedAt, lastEventId: '0'.repeat(32) }) as CaseMemory;
    const memory = memoryOf(before);
    expect(decideChange(after, visibleFields(after), memory)).toMatchObject({ emit: true, kind: 'updated', fields: ['case.publicNotes'] });
    const again = memoryOf(after);
    expect(decideChange(after, visibleFields(after), again)).toEqual({ emit: false, reason: 'unchanged' });
  });

  it('old events without the new fields still validate (the additions are optional)', () => {
    const event = {
      specversion: '1.0',
      id: '0123456789abcdef0123456789abcdef',
      source: '/councils/E09000019/connectors/c1',
      type: 'uk.casebridge.case.created.v1',
      subject: 'A1',
      time: '2025-07-01T09:30:00+01:00',
      datacontenttype: 'application/json',
      dataschema: 'https://casebridge.dev/schemas/case-event.v1.json',
      data: {
        council: { gss: 'E09000019', name: 'Islington' },
        system: { supplier: 'Acme', connector: 'c1' },
        case: { reference: 'A1', service: {}, status: { lifecycle: 'received', code: 'OPEN' }, updatedAt: '2025-07-01T09:30:00+01:00' },
        change: { kind: 'created', fields: [] },
        provenance: { connector: 'c1', position: {}, fetchedAt: '2025-07-01T09:30:00+01:00', updatedAtSource: 'supplier' },
      },
    };
    expect(CaseEvent.safeParse(event).success).toBe(true);
    expect(CaseEvent.safeParse({ ...event, data: { ...event.data, case: { ...event.data.case, publicNotes: [] } } }).success).toBe(false);
  });
});
