/**
 * JSON webhooks through a running gateway, with a plain HTTP client (fetch) as the supplier:
 * the 200 comes only after the event is published; a blocked or failing publisher means no 200;
 * bad signatures and credentials are refused with nothing published.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CaseEvent } from '../../src/event/case-event.js';
import { memoryPublisher } from '../helpers/memory-publisher.js';
import { renderCase, generateCases } from '../simulators/rest/housing-repairs.js';
import { signedHeaders, receiverAnswersOthers, startPushGateway, track, webhookConnector, webhookSecret, type PushHarness } from './helpers.js';

const env = { REPAIRS_WEBHOOK_SECRET: webhookSecret };
const cases = generateCases(5, '2025-11-03T09:00:00Z');
const notification = (i: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ eventType: 'case.updated', eventId: `evt-${i}`, occurredAt: '2025-11-03T14:05:00Z', case: { ...renderCase(cases[i]!), ...extra } });

let h: PushHarness | undefined;
afterEach(async () => {
  await h?.gw.stop();
  h = undefined;
});

const post = (url: string, body: string, headers: Record<string, string>) => fetch(url, { method: 'POST', body, headers });
const bodyOf = async (res: Response) => (await res.json()) as { message?: string; error?: string };

describe('push webhook: acknowledged only after publishing', () => {
  it('answers 200 after the event is published, with the case mapped', async () => {
    const journal: string[] = [];
    h = await startPushGateway(webhookConnector(), { env, publisher: memoryPublisher(journal) });
    const body = notification(0);
    const res = await post(h.url, body, signedHeaders(body));
    journal.push(`reply:${res.status}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'accepted', records: 1, receiptId: expect.any(String) });
    expect(journal).toEqual(['publisher.start', 'publish:1', 'reply:200']);
    const ev = h.publisher.events[0]!.event;
    expect(CaseEvent.safeParse(ev).success).toBe(true);
    expect(ev.subject).toBe(cases[0]!.repairReference);
    expect(ev.data.provenance.position).toEqual({ operation: 'POST /hooks/repairshub', receivedAt: expect.stringMatching(/Z$/) });
  });

  it('holds the reply while the publisher is blocked, and answers once it completes', async () => {
    const publisher = memoryPublisher();
    const gate = publisher.hold();
    h = await startPushGateway(webhookConnector(), { env, publisher });
    const publishing = h.nextPublish();
    const body = notification(1);
    const reply = track(post(h.url, body, signedHeaders(body)));
    await publishing;
    expect(await receiverAnswersOthers(h.url)).toBe(401);
    expect(reply.settled()).toBe(false);
    expect(publisher.events).toHaveLength(0);
    gate.release();
    expect((await reply.promise).status).toBe(200);
    expect(publisher.events).toHaveLength(1);
  });

  it('answers 503 with Retry-After when publishing fails; the supplier retry is then accepted', async () => {
    const publisher = memoryPublisher();
    publisher.failNext(1);
    h = await startPushGateway(webhookConnector(), { env, publisher });
    const body = notification(2);
    const failed = await post(h.url, body, signedHeaders(body));
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('30');
    expect(await failed.json()).toMatchObject({ error: 'not_published' });
    expect(publisher.events).toHaveLength(0);

    // The supplier sends it again (its retry policy); the connector has backed off and resumed.
    const retried = await post(h.url, body, signedHeaders(body));
    expect(retried.status).toBe(200);
    expect(publisher.events.map((e) => e.event.subject)).toEqual([cases[2]!.repairReference]);
  });

  it('answers 503 when publishing does not finish within ackTimeout', async () => {
    const publisher = memoryPublisher();
    const gate = publisher.hold();
    h = await startPushGateway(webhookConnector({ ackTimeout: '300ms' }), { env, publisher });
    const body = notification(3);
    const res = await post(h.url, body, signedHeaders(body));
    expect(res.status).toBe(503);
    expect((await bodyOf(res)).message).toMatch(/not published within 300 ms/);
    gate.release();
  });
});

describe('push webhook: refusals', () => {
  it('refuses a bad, missing or replayed signature with 401 and publishes nothing', async () => {
    h = await startPushGateway(webhookConnector(), { env });
    const body = notification(0);
    const wrongSecret = await post(h.url, body, signedHeaders(body, { secret: 'not-the-secret' }));
    expect(wrongSecret.status).toBe(401);
    expect(await wrongSecret.json()).toEqual({ error: 'invalid_signature', message: 'signature does not match' });

    // Signed correctly, then altered in transit.
    const tampered = await post(h.url, body.replace('"LOGGED"', '"COMPLETED"'), signedHeaders(body));
    expect(tampered.status).toBe(401);

    const unsigned = await post(h.url, body, { 'Content-Type': 'application/json' });
    expect(unsigned.status).toBe(401);
    expect((await bodyOf(unsigned)).message).toBe('missing X-RepairsHub-Signature header');

    const replayed = await post(h.url, body, signedHeaders(body, { at: Date.now() - 20 * 60_000 }));
    expect(replayed.status).toBe(401);
    expect((await bodyOf(replayed)).message).toMatch(/outside the 5m tolerance/);

    expect(h.publisher.events).toHaveLength(0);
    expect(h.publisher.deadLetters).toHaveLength(0);
    const good = await post(h.url, body, signedHeaders(body));
    expect(good.status).toBe(200);
  });

  it('with HTTP Basic: wrong credentials get 401 and a challenge; right ones are accepted', async () => {
    h = await startPushGateway(
      webhookConnector({ receiver: { type: 'webhook', auth: { type: 'basic', username: 'repairshub', password: '${env:HOOK_PASSWORD}' }, records: 'case' } }),
      { env: { HOOK_PASSWORD: 'pa55-w0rd-91' } },
    );
    const body = notification(4);
    const auth = (u: string, p: string) => ({ 'Content-Type': 'application/json', Authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
    const bad = await post(h.url, body, auth('repairshub', 'guess'));
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toMatch(/^Basic realm="casebridge"/);
    expect(h.publisher.events).toHaveLength(0);
    const ok = await post(h.url, body, auth('repairshub', 'pa55-w0rd-91'));
    expect(ok.status).toBe(200);
    expect(h.publisher.events).toHaveLength(1);
  });

  it('refuses an oversized body with 413 before reading it all', async () => {
    h = await startPushGateway(webhookConnector({ maxBodyBytes: '16KB' }), { env });
    const body = notification(0, { description: 'x'.repeat(64 * 1024) });
    const res = await post(h.url, body, signedHeaders(body));
    expect(res.status).toBe(413);
    expect(h.publisher.events).toHaveLength(0);
  });

  it('records an authenticated but unreadable body as a dead letter and answers 400', async () => {
    h = await startPushGateway(webhookConnector(), { env });
    const body = '{"eventType":"case.updated","case":{"repairReference":"HR-25-004100",';
    const res = await post(h.url, body, signedHeaders(body));
    expect(res.status).toBe(400);
    expect((await bodyOf(res)).message).toMatch(/not valid JSON/);
    expect(h.publisher.events).toHaveLength(0);
    expect(h.publisher.deadLetters).toHaveLength(1);
    // The body's text is not kept by default (it may hold a resident's details): its size and hash are.
    expect(h.publisher.deadLetters[0]).toMatchObject({ stage: 'source', record: { rawText: 'omitted', bytes: Buffer.byteLength(body) }, position: { operation: 'POST /hooks/repairshub' } });
  });

  it('drops __proto__ keys: nothing polluted, the notification still published', async () => {
    h = await startPushGateway(webhookConnector(), { env });
    const body = notification(1).replace('{"eventType"', '{"__proto__":{"polluted":"yes"},"eventType"').replace('"case":{', '"case":{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"polluted":"yes"}},');
    const res = await post(h.url, body, signedHeaders(body));
    expect(res.status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(h.publisher.events[0]!.event.subject).toBe(cases[1]!.repairReference);
  });

  it('answers 405 to other methods and 404 to other paths', async () => {
    h = await startPushGateway(webhookConnector(), { env });
    expect((await fetch(h.url)).status).toBe(405);
    expect((await fetch(h.url.replace('/hooks/repairshub', '/admin'), { method: 'POST', body: '{}' })).status).toBe(404);
  });
});
