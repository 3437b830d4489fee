import { describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { compileMapping } from '../../src/normalize/compile-mapping.js';
import { Mapping } from '../../src/normalize/mapping-schema.js';
import { ConfigError } from '../../src/core/errors.js';
import { ctx, rec, run, stages } from './helpers.js';

const base = {
  reference: 'CRNo',
  status: { code: 'Stage', label: '["Stage Desc."]', lookup: 'stages' },
  lookups: stages,
};

const caseOf = async (mapping: unknown, raw: Record<string, unknown>) => {
  const r = await run(mapping, raw);
  if (r.kind !== 'case') throw new Error(`expected a case, got ${JSON.stringify(r)}`);
  return r.snapshot;
};

describe('compileMapping: values', () => {
  it('maps paths, column names with dots, status lookups and stamps observed time without updatedAt', async () => {
    const s = await caseOf(base, { CRNo: ' 1234 ', Stage: '5', 'Stage Desc.': 'Works ordered' });
    expect(s.case.reference).toBe('1234');
    expect(s.case.status).toEqual({ lifecycle: 'in_progress', code: '5', label: 'Works ordered', publicLabel: 'Being fixed' });
    expect(s.case.updatedAt).toBe('2025-06-01T12:00:00Z');
    expect(s.provenance).toEqual({ connector: 'test-conn', position: { file: 'x.csv', line: 2 }, fetchedAt: '2025-06-01T12:00:00Z', updatedAtSource: 'observed' });
    expect(s.system).toEqual({ supplier: 'Acme', product: 'Streets', connector: 'test-conn' });
    expect(s.council).toEqual({ gss: 'E09000019', name: 'Islington' });
    expect(s.location).toBeUndefined();
    expect(s.personal).toBeUndefined();
  });

  it('is synchronous without JSONata and async with it', () => {
    const sync = compileMapping(Mapping.parse(base), ctx)(rec({ CRNo: '1', Stage: '1' }));
    expect(sync).not.toBeInstanceOf(Promise);
    const asyncN = compileMapping(Mapping.parse({ ...base, filter: '$exists(CRNo)' }), ctx)(rec({ CRNo: '1', Stage: '1' }));
    expect(asyncN).toBeInstanceOf(Promise);
  });

  it('reads nested paths, array elements, XML attributes and #text, and single-element-vs-list', async () => {
    const m = {
      ...base,
      reference: 'Request.ServiceCode',
      supplierId: 'Request.Items[1].Id',
      status: { code: 'Request.Status', lookup: 'stages' },
      description: 'Request.Items.Note',
      location: { easting: 'Request.ServiceLocation.@_Easting', northing: 'Request.ServiceLocation.@_Northing' },
    };
    const raw = {
      Request: {
        ServiceCode: { '#text': 'SR00051688', '@_type': 'public' },
        Status: 9,
        Items: [{ Id: 'a', Note: 'first' }, { Id: 'b' }],
        ServiceLocation: { '@_Easting': '530624.963', '@_Northing': '178388.461' },
      },
    };
    const s = await caseOf(m, raw);
    expect(s.case.reference).toBe('SR00051688');
    expect(s.case.supplierId).toBe('b');
    expect(s.case.description).toBe('first');
    expect(s.case.status.lifecycle).toBe('resolved');
    expect(s.location?.easting).toBeCloseTo(530624.963, 3);
    // A single element (object) indexed as [0] is itself.
    const s2 = await caseOf({ ...m, supplierId: 'Request.Items[0].Id' }, { Request: { ...raw.Request, Items: { Id: 'only' } } });
    expect(s2.case.supplierId).toBe('only');
  });

  it('supports const, template, first, case folding, nullIf and default', async () => {
    const m = {
      ...base,
      description: { template: '{Street}, {Town}' },
      supplierId: { first: [{ path: 'Missing' }, { path: 'Blank' }, { path: 'Alt', case: 'upper' }] },
      service: { code: { path: 'Svc', nullIf: ['N/A'], default: 'GEN' }, name: { path: 'SvcName', case: 'title' }, category: { const: 'Highways' } },
    };
    const s = await caseOf(m, { CRNo: '1', Stage: '1', Street: ' High St ', Town: 'London', Blank: '   ', Alt: 'x-1', Svc: 'N/A', SvcName: 'POTHOLE REPAIR' });
    expect(s.case.description).toBe('High St, London');
    expect(s.case.supplierId).toBe('X-1');
    expect(s.case.service).toEqual({ code: 'GEN', name: 'Pothole Repair', category: 'Highways' });
  });

  it('keeps whitespace when trim is false and parses numbers with thousands separators', async () => {
    const m = { ...base, description: { path: 'D', trim: false }, service: { lgsl: { path: 'L' } } };
    const s = await caseOf(m, { CRNo: '1', Stage: '1', D: ' spaced ', L: '1,234' });
    expect(s.case.description).toBe(' spaced ');
    expect(s.case.service.lgsl).toBe(1234);
    const r = await run({ ...base, service: { lgsl: 'L' } }, { CRNo: '1', Stage: '1', L: 'twelve' });
    expect(r).toMatchObject({ kind: 'reject', code: 'bad_number', field: 'case.service.lgsl' });
    expect((r as { reason: string }).reason).toBe('case.service.lgsl: "twelve" is not a number (connectors[0].mapping.service.lgsl)');
  });

  it('parses dates in their formats, tries several in order, and takes nullIf placeholders as absent', async () => {
    const m = {
      ...base,
      openedAt: { path: 'Recorded Date', date: { format: ['dd/MM/yyyy HH:mm', 'dd/MM/yyyy'] } },
      updatedAt: { path: 'History Date/Time', date: 'dd/MM/yyyy HH:mm' },
      closedAt: { path: 'Closed', nullIf: ['0001-01-01T00:00:00'] },
    };
    const s = await caseOf(m, { CRNo: '1', Stage: '1', 'Recorded Date': '12/03/2019', 'History Date/Time': '13/07/2019 07:31', Closed: '0001-01-01T00:00:00' });
    expect(s.case.openedAt).toBe('2019-03-12T00:00:00+00:00');
    expect(s.case.updatedAt).toBe('2019-07-13T07:31:00+01:00');
    expect(s.case.closedAt).toBeUndefined();
    expect(s.provenance.updatedAtSource).toBe('supplier');
  });

  it('rejects a date that matches none of its formats, naming value, formats and field', async () => {
    const m = { ...base, openedAt: { path: 'Recorded Date', date: { format: ['dd/MM/yyyy HH:mm', 'dd/MM/yyyy'] } } };
    const r = await run(m, { CRNo: '1', Stage: '1', 'Recorded Date': '2019-03-12' });
    expect(r).toEqual({
      kind: 'reject',
      code: 'bad_date',
      field: 'case.openedAt',
      reason: 'case.openedAt: "2019-03-12" does not match date format "dd/MM/yyyy HH:mm" or "dd/MM/yyyy" (zone Europe/London) (connectors[0].mapping.openedAt)',
    });
  });

  it('accepts Date objects from SQL drivers as instants', async () => {
    const s = await caseOf({ ...base, updatedAt: 'Changed' }, { CRNo: '1', Stage: '1', Changed: new Date('2025-01-10T09:30:00Z') });
    expect(s.case.updatedAt).toBe('2025-01-10T09:30:00+00:00');
  });
});

describe('compileMapping: lookups', () => {
  it('rejects an unknown status code naming the code, the table and the config path', async () => {
    const r = await run(base, { CRNo: '1', Stage: 'ZZ' });
    expect(r).toEqual({
      kind: 'reject',
      code: 'unknown_status',
      field: 'case.status.code',
      reason: 'unknown status code "ZZ" in lookup table "stages" (connectors[0].mapping.status.lookup); add it to the table or give the table a default',
    });
  });

  it('uses the default entry for unknown codes, and matches case-insensitively when asked', async () => {
    const lookups = { stages: { kind: 'status', caseInsensitive: true, entries: { open: { status: 'received' } }, default: { status: 'in_progress', label: 'With the team' } } };
    const a = await caseOf({ ...base, lookups }, { CRNo: '1', Stage: 'OPEN' });
    expect(a.case.status).toEqual({ lifecycle: 'received', code: 'OPEN' });
    const b = await caseOf({ ...base, lookups }, { CRNo: '1', Stage: 'WEIRD' });
    expect(b.case.status).toEqual({ lifecycle: 'in_progress', code: 'WEIRD', publicLabel: 'With the team' });
  });

  it('fills service name, category and LGSL from a service lookup; mapping tables override shared ones', async () => {
    const m = {
      ...base,
      service: { code: 'Svc', name: 'SvcName', lookup: 'services' },
      lookups: { ...stages, services: { kind: 'service', entries: { MB: { name: 'Missed bin collection', category: 'Waste', lgsl: 524 } } } },
    };
    const shared = { services: { kind: 'service' as const, entries: { MB: { name: 'shared, overridden' } } } };
    const n = compileMapping(Mapping.parse(m), { ...ctx, sharedLookups: shared });
    const r = n(rec({ CRNo: '1', Stage: '1', Svc: 'MB', SvcName: 'MISSED BIN' }));
    expect(r).toMatchObject({ kind: 'case', snapshot: { case: { service: { code: 'MB', name: 'Missed bin collection', category: 'Waste', lgsl: 524 } } } });
    const r2 = n(rec({ CRNo: '1', Stage: '1', Svc: 'XX', SvcName: 'Something else' }));
    expect(r2).toMatchObject({ kind: 'case', snapshot: { case: { service: { code: 'XX', name: 'Something else' } } } });
  });

  it('uses shared lookup tables and refuses a missing or wrong-kind table at compile time', () => {
    const m = { ...base, lookups: undefined };
    expect(() => compileMapping(Mapping.parse(m), ctx)).toThrow(/connectors\[0\]\.mapping\.status\.lookup: lookup table "stages" is not defined/);
    const n = compileMapping(Mapping.parse(m), { ...ctx, sharedLookups: stages });
    expect(n(rec({ CRNo: '1', Stage: '9' }))).toMatchObject({ kind: 'case', snapshot: { case: { status: { lifecycle: 'resolved' } } } });
    const wrong = { stages: { kind: 'service' as const, entries: {} } };
    expect(() => compileMapping(Mapping.parse(m), { ...ctx, sharedLookups: wrong })).toThrow(/is a service table; expected a status table/);
  });
});

describe('compileMapping: rejects and config errors', () => {
  it('rejects a record without a reference', async () => {
    const r = await run(base, { Stage: '1' });
    expect(r).toMatchObject({ kind: 'reject', code: 'missing_reference', field: 'case.reference' });
  });

  it('rejects a value the case schema refuses, naming the path and the value', async () => {
    const r = await run({ ...base, service: { lgsl: 'L' } }, { CRNo: '1', Stage: '1', L: '-3' });
    expect(r).toMatchObject({ kind: 'reject', code: 'invalid_case', field: 'case.service.lgsl' });
    expect((r as { reason: string }).reason).toMatch(/^case\.service\.lgsl: -3 — /);
  });

  it('rejects a path that points at an object instead of a value', async () => {
    const r = await run({ ...base, description: 'Nested' }, { CRNo: '1', Stage: '1', Nested: { a: 1 } });
    expect(r).toMatchObject({ kind: 'reject', code: 'not_a_value', field: 'case.description' });
  });

  it('reports config mistakes at compile time with the config path', () => {
    const bad = (m: unknown) => () => compileMapping(Mapping.parse(m), ctx);
    expect(bad({ ...base, description: { path: 'A', const: 'x' } })).toThrow(ConfigError);
    expect(bad({ ...base, description: { path: 'A', const: 'x' } })).toThrow('connectors[0].mapping.description: give only one of path, const, template, jsonata or first (found path, const)');
    expect(bad({ ...base, description: 'A[x' })).toThrow(/connectors\[0\]\.mapping\.description: expected \[number\]/);
    expect(bad({ ...base, filter: 'CRNo = ' })).toThrow(/connectors\[0\]\.mapping\.filter: invalid JSONata expression/);
    expect(bad({ ...base, openedAt: { path: 'A', date: { format: 'iso', zone: 'Mars/Olympus' } } })).toThrow(/unknown time zone "Mars\/Olympus"/);
    expect(bad({ ...base, location: { easting: 'E' } })).toThrow(/give both easting and northing/);
  });
});

describe('compileMapping: JSONata', () => {
  it('skips records the filter excludes and evaluates jsonata values', async () => {
    const m = { ...base, filter: "`Event Type` != 'Ignored'", description: { jsonata: "$uppercase(`Stage Desc.`) & ' (' & Stage & ')'" } };
    const n = compileMapping(Mapping.parse(m), ctx);
    expect(await n(rec({ CRNo: '1', Stage: '1', 'Event Type': 'Ignored' }))).toMatchObject({ kind: 'skip' });
    const r = await n(rec({ CRNo: '1', Stage: '1', 'Event Type': 'Update', 'Stage Desc.': 'recorded' }));
    expect(r).toMatchObject({ kind: 'case', snapshot: { case: { description: 'RECORDED (1)' } } });
  });

  it('turns a failing expression into a reject naming the field', async () => {
    const r = await run({ ...base, description: { jsonata: '$number("abc") + 1' } }, { CRNo: '1', Stage: '1' });
    expect(r).toMatchObject({ kind: 'reject', code: 'jsonata_error', field: 'case.description' });
  });
});

describe('compileMapping: location', () => {
  it('normalises UPRN, USRN and postcode and converts BNG to WGS84 when lat/long are absent', async () => {
    const m = { ...base, location: { uprn: 'UPRN', usrn: 'USRN', postcode: 'PC', address: { template: '{No} {Street}' }, easting: 'E', northing: 'N' } };
    const s = await caseOf(m, { CRNo: '1', Stage: '1', UPRN: '000100023336956', USRN: 20500123, PC: ' n1  1xr', No: '1', Street: 'Upper St', E: '530624.963', N: '178388.461' });
    expect(s.location).toMatchObject({ uprn: '100023336956', usrn: '20500123', postcode: 'N1 1XR', address: '1 Upper St', easting: 530624.963, northing: 178388.461 });
    expect(s.location!.latitude).toBeCloseTo(51.48937, 4);
    expect(s.location!.longitude).toBeCloseTo(-0.11993, 4);
  });

  it('keeps supplied lat/long rather than converting', async () => {
    const m = { ...base, location: { latitude: 'Lat', longitude: 'Lon', easting: 'E', northing: 'N' } };
    const s = await caseOf(m, { CRNo: '1', Stage: '1', Lat: '51.5', Lon: '-0.1', E: '530624', N: '178388' });
    expect(s.location).toEqual({ latitude: 51.5, longitude: -0.1, easting: 530624, northing: 178388 });
  });

  it('treats 0,0 grid references and all-zero UPRNs as absent', async () => {
    const m = { ...base, location: { uprn: 'UPRN', easting: 'E', northing: 'N' } };
    const s = await caseOf(m, { CRNo: '1', Stage: '1', UPRN: '0', E: '0', N: '0' });
    expect(s.location).toBeUndefined();
  });

  it('rejects invalid identifiers by default and omits them when location.onInvalid is omit', async () => {
    const m = { ...base, location: { uprn: 'UPRN', postcode: 'PC', easting: 'E', northing: 'N' } };
    const raw = { CRNo: '1', Stage: '1', UPRN: '1234567890123', PC: 'NOT A CODE', E: '900000', N: '100' };
    expect(await run(m, raw)).toMatchObject({ kind: 'reject', code: 'bad_uprn', reason: 'location.uprn: "1234567890123" is not a UPRN: 1 to 12 digits (connectors[0].mapping.location.uprn)' });
    expect(await run(m, { ...raw, UPRN: '1' })).toMatchObject({ kind: 'reject', code: 'bad_postcode', field: 'location.postcode' });
    expect(await run(m, { ...raw, UPRN: '1', PC: 'sw1a1aa' })).toMatchObject({ kind: 'reject', code: 'bad_grid_reference' });
    const s = await caseOf({ ...m, location: { ...m.location, onInvalid: 'omit' } }, raw);
    expect(s.location).toBeUndefined();
  });
});

describe('compileMapping: personal data', () => {
  const m = {
    ...base,
    personalSalt: 'pepper-123',
    personal: [
      { name: 'phone', value: 'Phone' },
      { name: 'email', value: { path: 'Email', case: 'lower' }, mode: 'hash' },
      { name: 'name', value: 'Name', mode: 'redact' },
      { name: 'ward', value: 'Ward', mode: 'include' },
    ],
  };
  const raw = { CRNo: '1', Stage: '1', Phone: '07700 900123', Email: 'Jo@Example.org ', Name: 'Jo Bloggs', Ward: 'Canonbury' };

  it('omits by default, hashes with the salt, redacts and includes on purpose', async () => {
    const s = await caseOf(m, raw);
    expect(s.personal).toEqual({
      email: `hmac-sha256:${createHmac('sha256', 'pepper-123').update('jo@example.org').digest('hex')}`,
      name: '[REDACTED]',
      ward: 'Canonbury',
    });
    expect(JSON.stringify(s)).not.toContain('07700');
    expect(JSON.stringify(s)).not.toContain('Jo Bloggs');
  });

  it('needs a salt to hash', () => {
    expect(() => compileMapping(Mapping.parse({ ...m, personalSalt: undefined }), ctx)).toThrow(/personalSalt/);
  });

  it('never puts a personal value in a reject reason', async () => {
    const mm = { ...base, personal: [{ name: 'phone', value: { path: 'Phone', number: true }, mode: 'include' }] };
    const r = await run(mm, { CRNo: '1', Stage: '1', Phone: '07700 900123 ext' });
    expect(r).toMatchObject({ kind: 'reject', code: 'bad_number', field: 'personal.phone' });
    expect((r as { reason: string }).reason).not.toContain('07700');
    expect((r as { reason: string }).reason).toContain('value not shown');
  });
});
