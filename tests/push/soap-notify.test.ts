/**
 * The SOAP notification receiver, served from the supplier's WSDL by the soap package's server and
 * called by the soap package's own client, as the supplier's integration engine would.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import soap from 'soap';
import { afterEach, describe, expect, it } from 'vitest';
import { CaseEvent } from '../../src/event/case-event.js';
import { memoryPublisher } from '../helpers/memory-publisher.js';
import { receiverAnswersOthers, soapConnector, startPushGateway, track, type PushHarness } from './helpers.js';

let h: PushHarness | undefined;
afterEach(async () => {
  await h?.gw.stop();
  h = undefined;
});

const basic = { type: 'basic', username: 'repairshub', password: '${env:NOTIFY_PASSWORD}' };
const env = { NOTIFY_PASSWORD: 'n0tify-pw-2291' };

function notification(ref: string, status: string, changed: string, extra: Record<string, unknown> = {}) {
  return {
    NotificationId: `9b1f${ref.slice(-4)}-0c1d-4e8a-b7a2-5d2f6e1a${ref.slice(-4)}`,
    CaseReference: ref,
    JobNumber: 5501234,
    CaseType: 'RESPONSIVE_REPAIR',
    TradeCode: 'PLMB',
    Priority: 'U',
    StatusCode: status,
    StatusDescription: 'Operative assigned',
    LoggedDate: '2025-06-28T08:12:00',
    StatusChangedDate: changed,
    TargetDate: '2025-07-03',
    Property: { UPRN: '5300000017', AddressLine1: 'Flat 2, 11 Holloway Road', Town: 'London', Postcode: 'N7 6PA', Easting: 531137, Northing: 184251 },
    Contact: { Name: 'A Tenant', Telephone: '0207 527 1001' },
    ...extra,
  };
}

async function client(url: string, security?: soap.ISecurity) {
  // The WSDL is served only to callers that pass the receiver's auth.
  const wsdlAuth = `Basic ${Buffer.from('repairshub:n0tify-pw-2291').toString('base64')}`;
  const c = await soap.createClientAsync(`${url}?wsdl`, { wsdl_headers: { Authorization: wsdlAuth } }, url);
  if (security) c.setSecurity(security);
  return c;
}

describe('push SOAP: NotifyCaseUpdated through the soap client', () => {
  it('acknowledges after publishing, with the case mapped from local supplier times and grid references', async () => {
    const journal: string[] = [];
    h = await startPushGateway(soapConnector(basic), { env, publisher: memoryPublisher(journal) });
    const c = await client(h.url, new soap.BasicAuthSecurity('repairshub', 'n0tify-pw-2291'));
    const [result] = await c.NotifyCaseUpdatedAsync({
      // Two notifications in one call (maxOccurs="unbounded"); summer and winter local times.
      CaseNotification: [notification('HR-25-004100', 'ASSIGNED', '2025-07-01T09:30:00'), notification('HR-25-004101', 'COMPLETED', '2025-11-03T14:05:00')],
    });
    journal.push('reply');
    expect(result).toMatchObject({ Acknowledged: true, ReceiptId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(journal).toEqual(['publisher.start', 'publish:2', 'reply']);

    const [summer, winter] = h.publisher.events.map((e) => e.event);
    for (const e of [summer, winter]) expect(CaseEvent.safeParse(e).success).toBe(true);
    // Supplier times carry no offset: UK local time, BST in July, GMT in November.
    expect(summer!.data.case).toMatchObject({ reference: 'HR-25-004100', supplierId: '5501234', updatedAt: '2025-07-01T09:30:00+01:00', status: { lifecycle: 'in_progress', code: 'ASSIGNED' } });
    expect(Date.parse(summer!.data.case.updatedAt)).toBe(Date.parse('2025-07-01T08:30:00Z'));
    expect(winter!.data.case).toMatchObject({ reference: 'HR-25-004101', status: { lifecycle: 'resolved' } });
    expect(Date.parse(winter!.data.case.updatedAt)).toBe(Date.parse('2025-11-03T14:05:00Z'));
    expect(summer!.data.location).toMatchObject({ uprn: '5300000017', postcode: 'N7 6PA', easting: 531137, northing: 184251 });
    expect(summer!.data.location!.latitude).toBeCloseTo(51.55, 1);
    expect(summer!.data.provenance.position).toEqual({ operation: 'NotifyCaseUpdated', receivedAt: expect.stringMatching(/Z$/) });
    expect(JSON.stringify(h.publisher.events)).not.toContain('0207 527 1001');
  });

  it('does not answer while the publisher is blocked', async () => {
    const publisher = memoryPublisher();
    const gate = publisher.hold();
    h = await startPushGateway(soapConnector(basic), { env, publisher });
    const c = await client(h.url, new soap.BasicAuthSecurity('repairshub', 'n0tify-pw-2291'));
    const publishing = h.nextPublish();
    const call = track<[{ Acknowledged: boolean }]>(c.NotifyCaseUpdatedAsync({ CaseNotification: notification('HR-25-004102', 'APPOINTED', '2025-11-03T15:00:00') }));
    await publishing;
    expect(await receiverAnswersOthers(h.url)).toBe(401);
    expect(call.settled()).toBe(false);
    gate.release();
    const [result] = await call.promise;
    expect(result.Acknowledged).toBe(true);
    expect(publisher.events).toHaveLength(1);
  });

  it('answers a SOAP fault (so the supplier resends) when publishing fails, and nothing is published', async () => {
    const publisher = memoryPublisher();
    publisher.failNext(1);
    h = await startPushGateway(soapConnector(basic), { env, publisher });
    const c = await client(h.url, new soap.BasicAuthSecurity('repairshub', 'n0tify-pw-2291'));
    const err = (await c.NotifyCaseUpdatedAsync({ CaseNotification: notification('HR-25-004103', 'INPROGRESS', '2025-11-03T15:10:00') }).catch((e: unknown) => e)) as {
      response: { status: number };
      root: { Envelope: { Body: { Fault: { faultcode: string; faultstring: string } } } };
    };
    expect(err.response.status).toBe(500);
    expect(err.root.Envelope.Body.Fault).toMatchObject({ faultcode: 'soap:Server', faultstring: expect.stringMatching(/could not be published; retry later/) });
    expect(publisher.events).toHaveLength(0);
    // The resend succeeds once the publisher is back.
    const [ok] = await c.NotifyCaseUpdatedAsync({ CaseNotification: notification('HR-25-004103', 'INPROGRESS', '2025-11-03T15:10:00') });
    expect(ok.Acknowledged).toBe(true);
    expect(publisher.events).toHaveLength(1);
  });

  it('serves the WSDL and handles NotifyCaseClosed too', async () => {
    h = await startPushGateway(soapConnector(basic), { env });
    const wsdl = await (await fetch(`${h.url}?wsdl`, { headers: { authorization: `Basic ${Buffer.from('repairshub:n0tify-pw-2291').toString('base64')}` } })).text();
    expect(wsdl).toContain('<wsdl:operation name="NotifyCaseClosed">');
    const c = await client(h.url, new soap.BasicAuthSecurity('repairshub', 'n0tify-pw-2291'));
    const [res] = await c.NotifyCaseClosedAsync({ CaseNotification: notification('HR-25-004104', 'CANCELLED', '2025-11-04T10:00:00'), ClosureReason: 'Tenant cancelled' });
    expect(res.Acknowledged).toBe(true);
    expect(h.publisher.events[0]!.event.data.case.status.lifecycle).toBe('cancelled');
    expect(h.publisher.events[0]!.event.data.provenance.position.operation).toBe('NotifyCaseClosed');
  });
});

describe('push SOAP: authentication', () => {
  it('refuses wrong HTTP Basic credentials with 401 and publishes nothing', async () => {
    h = await startPushGateway(soapConnector(basic), { env });
    const c = await client(h.url, new soap.BasicAuthSecurity('repairshub', 'wrong'));
    const err = (await c.NotifyCaseUpdatedAsync({ CaseNotification: notification('HR-25-004100', 'ASSIGNED', '2025-11-03T09:00:00') }).catch((e: unknown) => e)) as { response: { status: number; headers: Record<string, string> } };
    expect(err.response.status).toBe(401);
    expect(err.response.headers['www-authenticate']).toMatch(/^Basic/);
    expect(h.publisher.events).toHaveLength(0);
  });

  it('checks WS-Security UsernameToken (PasswordDigest and PasswordText)', async () => {
    h = await startPushGateway(soapConnector({ type: 'ws-security', username: 'repairshub', password: '${env:NOTIFY_PASSWORD}' }), { env });
    const digest = await client(h.url, new soap.WSSecurity('repairshub', 'n0tify-pw-2291', { passwordType: 'PasswordDigest' }));
    const [ok] = await digest.NotifyCaseUpdatedAsync({ CaseNotification: notification('HR-25-004100', 'ASSIGNED', '2025-11-03T09:00:00') });
    expect(ok.Acknowledged).toBe(true);
    const text = await client(h.url, new soap.WSSecurity('repairshub', 'n0tify-pw-2291', { passwordType: 'PasswordText' }));
    expect((await text.NotifyCaseUpdatedAsync({ CaseNotification: notification('HR-25-004101', 'ASSIGNED', '2025-11-03T09:00:00') }))[0].Acknowledged).toBe(true);
    expect(h.publisher.events).toHaveLength(2);

    const wrong = await client(h.url, new soap.WSSecurity('repairshub', 'guess', { passwordType: 'PasswordDigest' }));
    const err = (await wrong.NotifyCaseUpdatedAsync({ CaseNotification: notification('HR-25-004102', 'ASSIGNED', '2025-11-03T09:00:00') }).catch((e: unknown) => e)) as { response: { status: number } };
    expect(err.response.status).toBe(401);
    const none = await client(h.url);
    const err2 = (await none.NotifyCaseUpdatedAsync({ CaseNotification: notification('HR-25-004103', 'ASSIGNED', '2025-11-03T09:00:00') }).catch((e: unknown) => e)) as { response: { status: number } };
    expect(err2.response.status).toBe(401);
    expect(h.publisher.events).toHaveLength(2);
  });

  it('a configured operation missing from the WSDL stops the connector at start with a clear error', async () => {
    const bad = soapConnector(basic);
    (bad.receiver as { operations: Record<string, unknown> }).operations = { NotifyCaseUpdate: { records: 'CaseNotification' } };
    h = await startPushGateway(bad, { env });
    const runner = [...h.gw.runners.values()][0]!;
    expect(runner.status).toBe('failed');
    const err = runner.lastError;
    expect(String(err)).toMatch(/operation\(s\) NotifyCaseUpdate are not in WSDL .*repairs-notification\.wsdl \(it has: NotifyCaseUpdated, NotifyCaseClosed\)/);
  });
});

describe('push SOAP: hostile bodies are refused before the SOAP server parses them', () => {
  const envelope = (inner: string, prolog = '') =>
    `<?xml version="1.0"?>${prolog}<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:n="http://schemas.repairshub.example/notifications/2019/04"><soap:Body><n:NotifyCaseUpdated><n:CaseNotification>${inner}</n:CaseNotification></n:NotifyCaseUpdated></soap:Body></soap:Envelope>`;
  const post = (url: string, xml: string) =>
    fetch(url, {
      method: 'POST',
      body: xml,
      headers: { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: '"http://schemas.repairshub.example/notifications/2019/04/NotifyCaseUpdated"', Authorization: `Basic ${Buffer.from('repairshub:n0tify-pw-2291').toString('base64')}` },
    });
  const fields = '<n:NotificationId>x</n:NotificationId><n:CaseReference>HR-25-004100</n:CaseReference><n:CaseType>R</n:CaseType><n:StatusCode>ASSIGNED</n:StatusCode><n:LoggedDate>2025-11-03T09:00:00</n:LoggedDate><n:StatusChangedDate>2025-11-03T09:00:00</n:StatusChangedDate>';

  it('a well-formed notification posted by plain HTTP is accepted (control)', async () => {
    h = await startPushGateway(soapConnector(basic), { env });
    const res = await post(h.url, envelope(`${fields}<n:Property><n:UPRN>5300000017</n:UPRN><n:AddressLine1>1 Road</n:AddressLine1><n:Postcode>N7 6PA</n:Postcode></n:Property>`));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<Acknowledged>true</Acknowledged>');
    expect(h.publisher.events).toHaveLength(1);
  });

  it('refuses an entity-expansion bomb, an external entity and __proto__/constructor elements with 400', async () => {
    h = await startPushGateway(soapConnector(basic), { env });
    const dir = mkdtempSync(join(tmpdir(), 'cb-xxe-'));
    const secretFile = join(dir, 'secret.txt');
    writeFileSync(secretFile, 'XXE-MARKER-7731');
    const laughs =
      '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
      Array.from({ length: 8 }, (_, i) => `<!ENTITY lol${i + 2} "${`&lol${i + 1};`.repeat(10)}">`).join('') +
      ']>';
    const cases = [
      envelope(fields.replace('>x<', '>&lol9;<'), laughs),
      envelope(fields.replace('>x<', '>&xxe;<'), `<!DOCTYPE n [<!ENTITY xxe SYSTEM "file://${secretFile}">]>`),
      envelope(`${fields}<n:__proto__><n:polluted>yes</n:polluted></n:__proto__>`),
      envelope(`${fields}<constructor><prototype><polluted>yes</polluted></prototype></constructor>`),
    ];
    for (const xml of cases) {
      const res = await post(h.url, xml);
      const text = await res.text();
      expect(res.status).toBe(400);
      expect(text).toMatch(/<faultcode>soap:Client<\/faultcode><faultstring>refused XML with (a DTD|an element or attribute named)/);
      expect(text).not.toContain('XXE-MARKER');
    }
    expect(h.publisher.events).toHaveLength(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a body over maxBodyBytes with 413', async () => {
    h = await startPushGateway(soapConnector(basic, { maxBodyBytes: '32KB' }), { env });
    const res = await post(h.url, envelope(`${fields}<n:Notes>${'x'.repeat(100 * 1024)}</n:Notes>`));
    expect(res.status).toBe(413);
    expect(h.publisher.events).toHaveLength(0);
  });
});
