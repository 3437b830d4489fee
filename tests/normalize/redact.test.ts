/**
 * Personal data stays out of dead letters: the compiled normalizer knows which raw fields its
 * personal values read, and the pipeline takes them out of the record a dead letter keeps.
 */
import { describe, expect, it } from 'vitest';
import { compileMapping } from '../../src/normalize/compile-mapping.js';
import { Mapping } from '../../src/normalize/mapping-schema.js';
import { compileRedactor, PERSONAL_DATA_REMOVED as GONE } from '../../src/normalize/redact.js';
import { prepareBatch } from '../../src/runtime/pipeline.js';
import { fixedClock } from '../../src/core/clock.js';
import { openSqliteStateStore } from '../../src/runtime/sqlite-state-store.js';
import { ctx, rec } from './helpers.js';

describe('compileRedactor', () => {
  it('replaces top-level, nested, indexed and every listed element, and leaves the rest alone', () => {
    const raw = {
      ref: 'SR1',
      Email: 'a@example.org',
      Contact: { Phone: '020 7946 0001', Role: 'tenant' },
      Contacts: [{ Email: 'b@example.org', Kind: 'main' }, { Email: 'c@example.org' }],
      Visits: [{ Note: 'keep' }, { Note: 'gone' }],
    };
    const r = compileRedactor(['Email', 'Contact.Phone', 'Contacts.Email', 'Visits[1].Note'])(raw);
    expect(r).toEqual({
      ref: 'SR1',
      Email: GONE,
      Contact: { Phone: GONE, Role: 'tenant' },
      Contacts: [{ Email: GONE, Kind: 'main' }, { Email: GONE }],
      Visits: [{ Note: 'keep' }, { Note: GONE }],
    });
    // A copy: the record itself is untouched, and what did not change is shared.
    expect(raw.Email).toBe('a@example.org');
    expect(raw.Contacts[1]!.Email).toBe('c@example.org');
    expect(r.ref).toBe(raw.ref);
  });

  it('reads XML the way paths do: attributes in every spelling, an element\'s text but not its attributes', () => {
    const raw = {
      Resident: { $attributes: { Phone: '07700 900123', Id: '7' }, '@_Phone': '07700 900123', $value: 'Ms A Smith' },
      ServiceLocation: { $attributes: { Easting: '530034', Northing: '180381' }, $value: '1 Example Street' },
      Name: { '#text': 'Bob' },
    };
    const r = compileRedactor(['Resident.@Phone', 'ServiceLocation', 'Name'])(raw);
    expect(r.Resident).toEqual({ $attributes: { Phone: GONE, Id: '7' }, '@_Phone': GONE, $value: 'Ms A Smith' });
    expect(r.ServiceLocation).toEqual({ $attributes: { Easting: '530034', Northing: '180381' }, $value: GONE });
    expect(r.Name).toEqual({ '#text': GONE });
  });

  it('handles column names: bracketed, literal keys with dots, and names that are no valid path', () => {
    const raw = { 'Contact E-mail.': 'a@example.org', 'A.B': 'x', A: { B: 'y' }, 'Stage Desc.': 'Reported', CRNo: '1' };
    const r = compileRedactor(['["Contact E-mail."]', 'A.B'])(raw);
    expect(r).toEqual({ 'Contact E-mail.': GONE, 'A.B': GONE, A: { B: GONE }, 'Stage Desc.': 'Reported', CRNo: '1' });
    expect(compileRedactor(['Stage Desc.'])(raw)['Stage Desc.']).toBe(GONE);
  });

  it('adds nothing for absent or empty fields, and keeps dates and buffers as they are', () => {
    const when = new Date('2025-01-01T00:00:00Z');
    const raw = { Email: '', Phone: null, at: when, blob: Buffer.from('x') };
    const r = compileRedactor(['Email', 'Phone', 'Missing', 'Deep.Missing', 'at.x'])(raw);
    expect(r).toBe(raw);
    expect(r.at).toBe(when);
  });
});

const wasteMapping = {
  reference: 'ServiceCode',
  status: { code: 'ServiceStatusName', lookup: 'waste-statuses' },
  updatedAt: 'DateChanged',
  personalSalt: 'salt',
  personal: [
    { name: 'email', value: { path: 'ContactEmail', case: 'lower' }, mode: 'hash' },
    { name: 'phone', value: 'ContactPhone' },
    { name: 'name', value: { template: '{Contact.First} {Contact.Last}' }, mode: 'include' },
    { name: 'altEmail', value: { first: ['Alt.Email', { const: 'none' }] }, mode: 'redact' },
  ],
  lookups: { 'waste-statuses': { entries: { OPEN: { status: 'received' } } } },
};

const badRecord = {
  ServiceCode: 'SR00051701',
  ServiceStatusName: 'AWAITING PAYMENT',
  DateChanged: '2025-06-03T16:20:00',
  ContactEmail: 'Resident@Example.org',
  ContactPhone: '07700 900456',
  Contact: { First: 'Alex', Last: 'Jones', Ward: 'Highbury' },
  Alt: { Email: 'alex.jones@example.net' },
};

describe('compileMapping: redactPersonal', () => {
  it('covers every personal field read by path, template or first, in any mode, and no other field', () => {
    const n = compileMapping(Mapping.parse(wasteMapping), ctx);
    expect(n.redactPersonal?.(badRecord)).toEqual({
      ...badRecord,
      ContactEmail: GONE,
      ContactPhone: GONE,
      Contact: { First: GONE, Last: GONE, Ward: 'Highbury' },
      Alt: { Email: GONE },
    });
  });

  it('is there on the async (JSONata) normalizer too', () => {
    const n = compileMapping(Mapping.parse({ ...wasteMapping, filter: '$exists(ServiceCode)' }), ctx);
    expect(n.redactPersonal?.(badRecord).ContactEmail).toBe(GONE);
  });
});

describe('dead letters from the pipeline', () => {
  it('name the unknown code and its table, and keep no personal value in the record', async () => {
    const normalize = compileMapping(Mapping.parse(wasteMapping), ctx);
    const store = openSqliteStateStore(':memory:');
    try {
      const prepared = await prepareBatch(
        { records: [rec(badRecord), rec({ ...badRecord, ServiceCode: 'SR00051702', ServiceStatusName: 'OPEN' })], ack: async () => undefined },
        { connector: 'waste', council: ctx.council, normalize, state: store.forConnector('waste'), clock: fixedClock('2025-06-03T16:30:00Z') },
      );
      expect(prepared.events).toHaveLength(1);
      expect(prepared.deadLetters).toHaveLength(1);
      const dead = prepared.deadLetters[0]!;
      expect(dead).toMatchObject({ stage: 'mapping', code: 'unknown_status', field: 'case.status.code' });
      expect(dead.reason).toContain('unknown status code "AWAITING PAYMENT" in lookup table "waste-statuses"');
      const text = JSON.stringify(dead);
      for (const secret of ['Resident@Example.org', '07700 900456', 'Alex', 'Jones', 'alex.jones@example.net']) expect(text).not.toContain(secret);
      expect(dead.record).toMatchObject({ ServiceCode: 'SR00051701', ServiceStatusName: 'AWAITING PAYMENT', ContactEmail: GONE, Contact: { Ward: 'Highbury' } });
      // The event from the good record is untouched by any of this.
      expect(prepared.events[0]!.event.data.personal?.name).toBe('Alex Jones');
    } finally {
      store.close();
    }
  });
});

describe('replaying a dead letter as it was kept', () => {
  it('publishes no hash or text of the placeholder: the removed fields are simply absent', async () => {
    const normalize = compileMapping(Mapping.parse({ ...wasteMapping, lookups: { 'waste-statuses': { entries: { 'AWAITING PAYMENT': { status: 'on_hold' } } } } }), ctx);
    const kept = normalize.redactPersonal!(badRecord);
    const r = await normalize(rec(kept));
    expect(r.kind).toBe('case');
    if (r.kind === 'case') expect(r.snapshot.personal).toBeUndefined();
  });
});
