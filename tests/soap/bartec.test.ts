/**
 * Waste services over real HTTP: token login, "updates since" with paging, then the latest history
 * row per request — through the real gateway, mapping, SQLite state and local-log publisher.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/core/clock.js';
import { WASTE_ERRORS, BartecSimulator } from '../simulators/soap/bartec.js';
import { openHarness, tempDir, type Harness } from './harness.js';

const T0 = '2025-07-01T12:00:00Z'; // 13:00 in London (BST)

export function wasteConnector(wsdl: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'waste',
    type: 'soap',
    council: 'E09000019',
    system: { supplier: 'Example Waste', product: 'Waste Services' },
    retry: { initial: '10ms', max: '50ms' },
    wsdl,
    timeout: '5s',
    window: { start: '2025-07-01T00:00:00Z', maxSpan: '1d', lag: '30s', overlap: '2m' },
    times: { zone: 'Europe/London', format: "yyyy-MM-dd'T'HH:mm:ss" },
    session: { operation: 'Login', args: { Username: 'casebridge', Password: '${env:WASTE_PASSWORD}' }, token: 'LoginResult.Token' },
    list: {
      operation: 'ServiceRequests_Updates_Get',
      args: { Token: '{{token}}', LastUpdated: '{{since}}', PageNumber: '{{page}}' },
      records: '*.ServiceRequests_Updates.ServiceRequest_Updates',
      key: 'ServiceRequestID',
      paging: { start: 1, total: '*.ServiceRequests_Updates.$attributes.RecordCount' },
    },
    detail: {
      operation: 'ServiceRequests_History_Get',
      args: { Token: '{{token}}', ServiceRequestID: '{{ref}}', Date: '{{since}}' },
      records: '*.ServiceRequest_Histories.ServiceRequest_History',
      select: 'latest',
      orderBy: 'DateChanged',
      listAs: 'Update',
      concurrency: 3,
    },
    errors: { code: '*.Errors.Result', message: '*.Errors.Message', success: ['0'], retriable: ['-99'], sessionExpired: ['-2'] },
    mapping: {
      reference: 'ServiceCode',
      supplierId: 'ServiceRequestID',
      service: { code: 'Update.ServiceType', name: 'Update.ServiceType', category: 'Update.ServiceClass' },
      status: { code: 'ServiceStatusName', lookup: 'waste-status' },
      openedAt: { path: 'DateRequested', nullIf: ['0001-01-01T00:00:00'], date: 'iso' },
      updatedAt: { path: 'DateChanged', date: 'iso' },
      closedAt: { path: 'DateClosed', nullIf: ['0001-01-01T00:00:00'], date: 'iso' },
      location: { uprn: 'UPRN', address: 'ServiceLocation', easting: 'ServiceLocation.@Easting', northing: 'ServiceLocation.@Northing' },
      personal: [
        { name: 'contactPhone', value: 'ContactPhone', mode: 'omit' },
        { name: 'contactEmail', value: 'ContactEmail', mode: 'omit' },
      ],
      lookups: {
        'waste-status': {
          entries: {
            OPEN: { status: 'received' },
            'IN PROGRESS': { status: 'in_progress' },
            CLOSED: { status: 'closed' },
            CANCELLED: { status: 'cancelled' },
          },
        },
      },
    },
    ...extra,
  };
}

const env = { WASTE_PASSWORD: 'waste-secret' };

let sim: BartecSimulator;
let h: Harness | undefined;
const clock = fixedClock(T0);

beforeEach(async () => {
  clock.set(T0);
  sim = new BartecSimulator({ pageSize: 4, now: () => clock.now(), tokenTtlMs: 10 * 60_000 });
  for (let i = 0; i < 10; i++) sim.addRequest({ at: new Date(Date.parse('2025-07-01T08:00:00Z') + i * 60_000), uprn: String(5_300_012_000 + i) });
  await sim.start();
});

afterEach(async () => {
  await h?.close();
  h = undefined;
  await sim.stop();
});

const listCalls = () => sim.calls.filter((c) => c.op === 'ServiceRequests_Updates_Get');

describe('waste services (token login, updates since, history)', () => {
  it('pages through the updates and publishes one correct created event per service request', async () => {
    h = await openHarness(wasteConnector(sim.served!.wsdlUrl), { clock, env });
    const summary = await h.run();
    expect(summary.status).toBe('ok');
    const events = h.events();
    expect(events).toHaveLength(10);
    // 10 records with 4 per page: pages 1, 2, 3 — stopped by RecordCount, not by an extra empty call.
    expect(listCalls().map((c) => c.args.PageNumber)).toEqual([1, 2, 3]);
    // The window start went out as UK wall-clock time (01:00 BST = 00:00Z), no offset.
    expect(listCalls()[0]?.args.LastUpdated).toBe('2025-07-01T01:00:00');
    expect(sim.calls.filter((c) => c.op === 'Login')).toHaveLength(1);

    const first = h.byRef().get('SR00051688')!;
    expect(first.type).toBe('uk.casebridge.case.created.v1');
    expect(first.data.case.status).toMatchObject({ lifecycle: 'received', code: 'OPEN' });
    // 09:00:00.000 UK local (BST) = 08:00Z; zone-less millisecond times read as UK time.
    expect(Date.parse(first.data.case.updatedAt)).toBe(Date.parse('2025-07-01T08:00:00Z'));
    expect(first.data.case.updatedAt).toMatch(/\+01:00$/);
    expect(first.data.case.closedAt).toBeUndefined(); // 0001-01-01T00:00:00 means no value
    expect(first.data.case.service).toMatchObject({ code: 'GW NEW SUBSCRIPTION', category: 'WASTE' });
    expect(first.data.location).toMatchObject({ uprn: '5300012000', easting: 530963, northing: 185123, address: '12 Acacia Avenue, London N7 0AB' });
    expect(first.data.location!.latitude).toBeCloseTo(51.55, 1);
    expect(first.data.location!.longitude).toBeCloseTo(-0.11, 1);
    expect(first.data.provenance).toMatchObject({ connector: 'waste', updatedAtSource: 'supplier', position: { operation: 'ServiceRequests_History_Get', page: 1, key: '51688' } });
    // Personal data stays out of the event.
    const text = JSON.stringify(events);
    expect(text).not.toContain('jane.resident@example.org');
    expect(text).not.toContain('07700 900123');

    expect(await h.checkpoint()).toEqual({ v: 1, windowStart: '2025-07-01T00:00:00.000Z', windowEnd: '2025-07-01T11:59:30.000Z', page: 3, seen: 10, complete: true });
  });

  it('publishes a real status change, nothing for a status row that changes nothing, and asks from the last window end minus the overlap', async () => {
    h = await openHarness(wasteConnector(sim.served!.wsdlUrl), { clock, env });
    await h.run();
    const before = h.events().length;
    clock.set('2025-07-01T12:10:00Z');
    sim.setStatus(51_690, 'IN PROGRESS', new Date('2025-07-01T12:05:00Z'));
    sim.touch(51_691, new Date('2025-07-01T12:06:00Z'));
    sim.setStatus(51_692, 'CLOSED', new Date('2025-07-01T12:07:00Z'));
    sim.calls.length = 0;

    expect((await h.run()).status).toBe('ok');
    const fresh = h.events().slice(before);
    expect(fresh.map((e) => [e.subject, e.type])).toEqual([
      ['SR00051690', 'uk.casebridge.case.status_changed.v1'],
      ['SR00051692', 'uk.casebridge.case.closed.v1'],
    ]);
    expect(fresh[0]!.data.change).toMatchObject({ kind: 'status_changed', previousStatus: 'received', previousStatusCode: 'OPEN' });
    expect(Date.parse(fresh[1]!.data.case.closedAt!)).toBe(Date.parse('2025-07-01T12:07:00Z'));
    // previous end 11:59:30Z minus 2m overlap = 11:57:30Z = 12:57:30 BST.
    expect(listCalls()[0]?.args.LastUpdated).toBe('2025-07-01T12:57:30');
    // The history operation ignores its date and returned every row; only the latest was used.
    expect(await h.checkpoint()).toMatchObject({ windowEnd: '2025-07-01T12:09:30.000Z', complete: true });
  });

  it('logs in again when the session token expires and carries on', async () => {
    h = await openHarness(wasteConnector(sim.served!.wsdlUrl), { clock, env });
    await h.run();
    clock.advance(11 * 60_000); // past the simulator's 10 minute token lifetime
    sim.setStatus(51_689, 'IN PROGRESS', new Date(clock.now().getTime() - 60_000));
    const summary = await h.run();
    expect(summary.status).toBe('ok');
    expect(sim.calls.filter((c) => c.op === 'Login')).toHaveLength(2);
    // The first list call of the second run was refused as expired and repeated with the new token.
    const runTwo = listCalls().slice(-2);
    expect(runTwo[0]!.args.Token).not.toBe(runTwo[1]!.args.Token);
    expect(h.byRef().get('SR00051689')?.data.case.status.code).toBe('IN PROGRESS');
  });

  it('does not move the position past records that were not published, and publishes them next run', async () => {
    h = await openHarness(wasteConnector(sim.served!.wsdlUrl), { clock, env });
    h.publisher.failAfter(1); // page 1 publishes, page 2 fails
    const failed = await h.run();
    expect(failed.status).toBe('failed');
    expect(failed.error).toContain('simulated broker outage');
    expect(h.events()).toHaveLength(4);
    expect(await h.checkpoint()).toMatchObject({ page: 1, seen: 4, complete: false });

    sim.calls.length = 0;
    expect((await h.run()).status).toBe('ok');
    // Resumed inside the same window at page 2, same LastUpdated.
    expect(listCalls().map((c) => [c.args.PageNumber, c.args.LastUpdated])).toEqual([
      [2, '2025-07-01T01:00:00'],
      [3, '2025-07-01T01:00:00'],
    ]);
    const refs = h.events().map((e) => e.subject);
    expect(refs).toHaveLength(10);
    expect(new Set(refs).size).toBe(10);
  });

  it('resumes after a restart from the last committed position', async () => {
    const dir = tempDir();
    h = await openHarness(wasteConnector(sim.served!.wsdlUrl), { clock, env, dir });
    await h.run();
    const committed = await h.checkpoint();
    await h.close();

    clock.set('2025-07-01T13:00:00Z');
    sim.setStatus(51_688, 'CLOSED', new Date('2025-07-01T12:30:00Z'));
    sim.calls.length = 0;
    h = await openHarness(wasteConnector(sim.served!.wsdlUrl), { clock, env, dir });
    expect(await h.checkpoint()).toEqual(committed);
    expect((await h.run()).status).toBe('ok');
    expect(listCalls()[0]?.args.LastUpdated).toBe('2025-07-01T12:57:30');
    const events = h.events();
    expect(events).toHaveLength(11); // 10 from before the restart (same log) + 1 close
    expect(events[10]).toMatchObject({ subject: 'SR00051688', type: 'uk.casebridge.case.closed.v1' });
  });

  it('turns an in-body "busy" error into a retriable failure with the supplier message, and position stays', async () => {
    h = await openHarness(wasteConnector(sim.served!.wsdlUrl), { clock, env });
    sim.failNext('ServiceRequests_Updates_Get', WASTE_ERRORS.busy);
    const summary = await h.run();
    expect(summary.status).toBe('failed');
    expect(summary.error).toContain('supplier error -99: The system is busy');
    expect(await h.checkpoint()).toBeUndefined();
    expect((await h.run()).status).toBe('ok');
    expect(h.events()).toHaveLength(10);
  });

  it('stops with a clear, non-retriable error when the login is refused', async () => {
    h = await openHarness(wasteConnector(sim.served!.wsdlUrl), { clock, env: { WASTE_PASSWORD: 'wrong-password' } });
    const summary = await h.run();
    expect(summary.status).toBe('failed');
    expect(summary.error).toContain('login refused: supplier error -1: Invalid username or password');
    expect(summary.error).not.toContain('wrong-password');
    expect(h.gw.runners.get('waste')?.status).toBe('failed');
  });
});

describe('waste services in raw mode (envelope templates, no WSDL)', () => {
  const envelopes = new URL('./envelopes/', import.meta.url).pathname;
  const raw = (extra: Record<string, unknown> = {}) => {
    const c = wasteConnector('unused', extra) as Record<string, Record<string, unknown>> & Record<string, unknown>;
    delete c.wsdl;
    return {
      ...c,
      name: 'waste-raw',
      mode: 'raw',
      endpoint: sim.served!.url,
      session: { ...c.session, envelope: `${envelopes}waste-login.xml`, soapAction: 'http://webservices.example-waste.co.uk/Login' },
      list: { ...c.list, envelope: `${envelopes}waste-updates.xml`, soapAction: 'http://webservices.example-waste.co.uk/ServiceRequests_Updates_Get' },
      detail: { ...c.detail, envelope: `${envelopes}waste-history.xml`, soapAction: 'http://webservices.example-waste.co.uk/ServiceRequests_History_Get' },
    };
  };

  it('gives the same events as wsdl mode, logs in again on expiry, and never puts the password in an event or error', async () => {
    h = await openHarness(raw(), { clock, env });
    expect((await h.run()).status).toBe('ok');
    expect(listCalls().map((c) => c.args.PageNumber)).toEqual([1, 2, 3]); // the server parses its own schema types
    const events = h.events();
    expect(events).toHaveLength(10);
    const first = h.byRef().get('SR00051688')!;
    expect(first.data.case.status).toMatchObject({ lifecycle: 'received', code: 'OPEN' });
    expect(first.data.location).toMatchObject({ uprn: '5300012000', easting: 530963, northing: 185123 });
    expect(Date.parse(first.data.case.updatedAt)).toBe(Date.parse('2025-07-01T08:00:00Z'));
    expect(JSON.stringify(events)).not.toContain('waste-secret');

    clock.advance(11 * 60_000);
    sim.setStatus(51_697, 'CLOSED', new Date(clock.now().getTime() - 60_000));
    expect((await h.run()).status).toBe('ok');
    expect(sim.calls.filter((c) => c.op === 'Login')).toHaveLength(2);
    expect(h.byRef().get('SR00051697')?.type).toBe('uk.casebridge.case.closed.v1');
  });
});

describe('Bartec: login on a separate authentication service (session.wsdl)', () => {
  const separate = (): Record<string, unknown> =>
    wasteConnector(sim.served!.wsdlUrl, {
      session: { wsdl: sim.authServed!.wsdlUrl, operation: 'Authenticate', args: { user: 'casebridge', password: '${env:WASTE_PASSWORD}' }, token: 'AuthenticateResult.Token.TokenString' },
    });

  it('gets the token from the authentication service, and a new one from there when the API says it expired', async () => {
    await sim.startAuth();
    h = await openHarness(separate(), { clock, env });
    expect((await h.run()).status).toBe('ok');
    expect(h.events()).toHaveLength(10);
    expect(sim.calls.filter((c) => c.op === 'Authenticate')).toHaveLength(1);
    expect(sim.calls.some((c) => c.op === 'Login')).toBe(false);

    // Every token the API knows is forgotten: the next call gets -2, one new Authenticate, the call is repeated.
    sim.expireAllTokens();
    clock.set('2025-07-01T12:10:00Z');
    sim.setStatus(51_690, 'IN PROGRESS', new Date('2025-07-01T12:05:00Z'));
    const second = await h.run();
    expect(second.status, second.error).toBe('ok');
    expect(sim.calls.filter((c) => c.op === 'Authenticate')).toHaveLength(2);
    expect(h.events().at(-1)?.data.case.status.code).toBe('IN PROGRESS');
  });

  it('a refused login at the authentication service stops the connector with a non-retriable message', async () => {
    await sim.startAuth();
    h = await openHarness(separate(), { clock, env: { WASTE_PASSWORD: 'not-the-password' } });
    const summary = await h.run();
    expect(summary.status).toBe('failed');
    expect(summary.error).toMatch(/login refused: .*Invalid username or password/);
    expect(summary.error).not.toContain('not-the-password');
  });
});
