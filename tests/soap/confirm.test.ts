/**
 * Highways enquiries over real HTTP with WS-Security: status changes between two times (sent as UK
 * wall-clock time because the server ignores offsets), then GetEnquiry per enquiry. The same
 * supplier is read in wsdl mode (council's local WSDL copy + endpoint) and in raw mode (envelope
 * templates, fast-xml-parser), and both must give the same events.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/core/clock.js';
import { ConfirmSimulator } from '../simulators/soap/confirm.js';
import { WSDL_DIR } from '../simulators/soap/serve.js';
import { openHarness, type Harness } from './harness.js';

const T0 = '2025-07-01T12:00:00Z'; // 13:00 BST
const ENVELOPES = join(import.meta.dirname, 'envelopes');
const env = { HIGHWAYS_PASSWORD: 'highways-secret' };

const mapping = {
  reference: 'EnquiryNumber',
  description: 'EnquiryDescription',
  service: { code: 'SubjectCode', category: 'ServiceCode' },
  // The list item (status changes in this window) is under StatusChange; its last row is current.
  status: { code: { jsonata: 'StatusChange.EnquiryStatusLog[-1].EnquiryStatusCode' }, lookup: 'highways-status' },
  openedAt: { path: 'EnquiryLogTime', date: 'iso' },
  updatedAt: { jsonata: 'StatusChange.EnquiryStatusLog[-1].LoggedTime', date: 'iso' },
  location: { address: 'EnquiryLocation', easting: 'EnquiryX', northing: 'EnquiryY' },
  personal: [{ name: 'contactEmail', value: 'Customer.ContactEmail', mode: 'omit' }],
  lookups: {
    'highways-status': {
      entries: {
        LOG: { status: 'received' },
        INP: { status: 'in_progress', label: 'Inspection booked' },
        FIX: { status: 'resolved', label: 'Repaired' },
        NFA: { status: 'closed', label: 'No further action' },
      },
    },
  },
};

function highwaysConnector(sim: ConfirmSimulator, mode: 'wsdl' | 'raw', extra: Record<string, unknown> = {}): Record<string, unknown> {
  const common = {
    name: `highways-${mode}`,
    type: 'soap',
    council: 'E09000019',
    system: { supplier: 'Example Highways', product: 'Enquiries' },
    retry: { initial: '10ms', max: '50ms' },
    endpoint: sim.served!.url,
    auth: { type: 'wsse', username: 'casebridge', password: '${env:HIGHWAYS_PASSWORD}', passwordType: 'PasswordText' },
    timeout: '5s',
    window: { start: '2025-07-01T00:00:00Z', maxSpan: '1d', lag: '30s', overlap: '1m' },
    times: { zone: 'Europe/London', format: "yyyy-MM-dd'T'HH:mm:ss" },
    alwaysArray: ['EnquiryStatusLog'],
    errors: { retriable: ['Server'] },
    mapping,
  };
  if (mode === 'wsdl') {
    return {
      ...common,
      wsdl: join(WSDL_DIR, 'confirm-enquiries.wsdl'),
      list: { operation: 'GetEnquiryStatusChanges', args: { LoggedTimeFrom: '{{since}}', LoggedTimeTo: '{{until}}' }, records: 'GetEnquiryStatusChangesResult.UpdatedEnquiry', key: 'EnquiryNumber' },
      detail: { operation: 'GetEnquiry', args: { EnquiryNumber: '{{ref}}' }, records: 'GetEnquiryResult.Enquiry', listAs: 'StatusChange', concurrency: 2, skipCodes: ['Client'] },
      ...extra,
    };
  }
  return {
    ...common,
    mode: 'raw',
    list: {
      operation: 'GetEnquiryStatusChanges',
      soapAction: 'http://schemas.example-highways.co.uk/Enquiry/1.0/GetEnquiryStatusChanges',
      envelope: join(ENVELOPES, 'highways-status-changes.xml'),
      records: 'GetEnquiryStatusChangesResult.UpdatedEnquiry',
      key: 'EnquiryNumber',
    },
    detail: {
      operation: 'GetEnquiry',
      soapAction: 'http://schemas.example-highways.co.uk/Enquiry/1.0/GetEnquiry',
      envelope: join(ENVELOPES, 'highways-enquiry.xml'),
      records: 'GetEnquiryResult.Enquiry',
      listAs: 'StatusChange',
      concurrency: 2,
      skipCodes: ['Client'],
    },
    ...extra,
  };
}

let sim: ConfirmSimulator;
let h: Harness | undefined;
const clock = fixedClock(T0);
let late: number;
let multi: number;
let lone: number;

beforeEach(async () => {
  clock.set(T0);
  sim = new ConfirmSimulator();
  late = sim.addEnquiry({ at: new Date('2025-07-01T08:15:00Z') }).EnquiryNumber;
  multi = sim.addEnquiry({ at: new Date('2025-07-01T09:00:00Z'), description: 'Street light out', subject: 'SLOT', service: 'LGHT', x: 531_200, y: 185_400 }).EnquiryNumber;
  sim.logStatus(multi, 'INP', new Date('2025-07-01T10:00:00Z'), 'Inspector assigned');
  sim.logStatus(multi, 'INP', new Date('2025-07-01T10:05:00Z'), 'Internal: crew rota changed'); // same code again
  // Logged at 12:30 BST (11:30Z): only inside the window if the window is sent as UK time.
  sim.logStatus(late, 'INP', new Date('2025-07-01T11:30:00Z'), 'Inspection booked');
  // Only its first log row: one EnquiryStatusLog element, not a list.
  lone = sim.addEnquiry({ at: new Date('2025-07-01T09:30:00Z'), description: 'Blocked gully', subject: 'GULY' }).EnquiryNumber;
  await sim.start();
});

afterEach(async () => {
  await h?.close();
  h = undefined;
  await sim.stop();
});

describe.each(['wsdl', 'raw'] as const)('highways enquiries (%s mode)', (mode) => {
  it('sends the window as UK wall-clock time and publishes both enquiries with their latest status', async () => {
    h = await openHarness(highwaysConnector(sim, mode), { clock, env });
    const summary = await h.run();
    expect(summary).toMatchObject({ status: 'ok' });
    const call = sim.calls.find((c) => c.op === 'GetEnquiryStatusChanges')!;
    expect(call.args).toMatchObject({ LoggedTimeFrom: '2025-07-01T01:00:00', LoggedTimeTo: '2025-07-01T12:59:30' });

    const byRef = h.byRef();
    expect([...byRef.keys()].sort()).toEqual([String(late), String(multi), String(lone)].sort());
    const a = byRef.get(String(late))!;
    // The 12:30 BST row was inside the window and is the latest.
    expect(a.data.case.status).toMatchObject({ code: 'INP', lifecycle: 'in_progress' });
    expect(Date.parse(a.data.case.updatedAt)).toBe(Date.parse('2025-07-01T11:30:00Z'));
    // One status log row came back as one element; mapped exactly like a list of rows.
    const c = byRef.get(String(lone))!;
    expect(c.data.case).toMatchObject({ status: { code: 'LOG', lifecycle: 'received' }, description: 'Blocked gully' });
    expect(Date.parse(c.data.case.updatedAt)).toBe(Date.parse('2025-07-01T09:30:00Z'));
    const b = byRef.get(String(multi))!;
    expect(b.data.case).toMatchObject({ description: 'Street light out', service: { code: 'SLOT', category: 'LGHT' }, status: { code: 'INP' } });
    expect(b.data.location).toMatchObject({ easting: 531200, northing: 185400 });
    expect(b.data.location!.latitude).toBeCloseTo(51.55, 1);
    expect(b.data.provenance.position).toMatchObject({ operation: 'GetEnquiry', key: String(multi) });
    expect(JSON.stringify(h.events())).not.toContain('sam.walker@example.net');
    expect(JSON.stringify(h.events())).not.toContain('Internal: crew rota changed');
  });

  it('a repeated status row with the same code publishes nothing; a real change publishes once', async () => {
    h = await openHarness(highwaysConnector(sim, mode), { clock, env });
    await h.run();
    const before = h.events().length;
    clock.set('2025-07-01T12:20:00Z');
    sim.logStatus(multi, 'INP', new Date('2025-07-01T12:10:00Z'), 'Chased contractor');
    sim.logStatus(late, 'FIX', new Date('2025-07-01T12:12:00Z'), 'Pothole filled');
    expect((await h.run()).status).toBe('ok');
    const fresh = h.events().slice(before);
    expect(fresh.map((e) => [e.subject, e.type, e.data.case.status.code])).toEqual([[String(late), 'uk.casebridge.case.status_changed.v1', 'FIX']]);
    expect(fresh[0]!.data.change).toMatchObject({ previousStatus: 'in_progress', previousStatusCode: 'INP' });
  });

  it('a retriable SOAP fault fails the run without moving the position; the next run completes', async () => {
    h = await openHarness(highwaysConnector(sim, mode), { clock, env });
    sim.failNext('GetEnquiry', 'soap:Server', 'Database connection pool exhausted');
    const failed = await h.run();
    expect(failed.status).toBe('failed');
    expect(failed.error).toContain('SOAP fault soap:Server: Database connection pool exhausted');
    expect(h.gw.runners.get(`highways-${mode}`)?.status).not.toBe('failed'); // retriable: backs off, not stopped
    expect(await h.checkpoint()).toBeUndefined();
    expect(h.events()).toHaveLength(0);
    expect((await h.run()).status).toBe('ok');
    expect(h.events()).toHaveLength(3);
  });

  it('an enquiry the supplier no longer has becomes a dead letter; the others are published', async () => {
    h = await openHarness(highwaysConnector(sim, mode), { clock, env });
    sim.restricted.add(multi); // still listed as changed, but GetEnquiry faults soap:Client
    const summary = await h.run();
    expect(summary.status).toBe('ok');
    const letters = h.deadLetters();
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ stage: 'source', position: { operation: 'GetEnquiry', key: String(multi) } });
    expect(letters[0]!.reason).toContain(`Enquiry ${multi} does not exist`);
    expect([...h.byRef().keys()].sort()).toEqual([String(late), String(lone)].sort());
    expect(await h.checkpoint()).toMatchObject({ complete: true });
  });

  it('refuses wrong WS-Security credentials with a clear, non-retriable error', async () => {
    h = await openHarness(highwaysConnector(sim, mode), { clock, env: { HIGHWAYS_PASSWORD: 'not-the-password' } });
    const summary = await h.run();
    expect(summary.status).toBe('failed');
    expect(summary.error).toMatch(/Invalid username or password|HTTP 401/);
    expect(summary.error).not.toContain('not-the-password');
    expect(h.gw.runners.get(`highways-${mode}`)?.status).toBe('failed');
  });
});

describe('highways: windows', () => {
  it('catches up a long gap in windows of at most maxSpan, overlapping by `overlap`, each committed', async () => {
    h = await openHarness(highwaysConnector(sim, 'wsdl', { window: { start: '2025-07-01T00:00:00Z', maxSpan: '4h', lag: '30s', overlap: '1m' } }), { clock, env });
    expect((await h.run()).status).toBe('ok');
    const windows = sim.calls.filter((c) => c.op === 'GetEnquiryStatusChanges').map((c) => [c.args.LoggedTimeFrom, c.args.LoggedTimeTo]);
    expect(windows).toEqual([
      ['2025-07-01T01:00:00', '2025-07-01T05:00:00'],
      ['2025-07-01T04:59:00', '2025-07-01T09:00:00'],
      ['2025-07-01T08:59:00', '2025-07-01T12:59:30'],
    ]);
    expect(await h.checkpoint()).toMatchObject({ windowStart: '2025-07-01T07:59:00.000Z', windowEnd: '2025-07-01T11:59:30.000Z', complete: true });
    expect(h.byRef().size).toBe(3);
    // Caught up: a run with no time passed asks nothing.
    sim.calls.length = 0;
    expect((await h.run()).status).toBe('ok');
    expect(sim.calls).toHaveLength(0);
  });
});

describe('highways: why times.zone matters', () => {
  it('a window sent in UTC is read as UK time by the server and misses the last hour of changes', async () => {
    h = await openHarness(highwaysConnector(sim, 'wsdl', { times: { zone: 'UTC', format: 'iso' } }), { clock, env });
    await h.run();
    const call = sim.calls.find((c) => c.op === 'GetEnquiryStatusChanges')!;
    expect(call.args.LoggedTimeTo).toBe('2025-07-01T11:59:30Z');
    // The 12:30 BST change was not returned, so the enquiry still shows its first status.
    const a = h.byRef().get(String(late));
    expect(a?.data.case.status.code).toBe('LOG');
  });
});
