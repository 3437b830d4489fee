/**
 * Finding 6 of the fault audit: without the signed-timestamp option (off by default) a signed
 * webhook request could be replayed for ever; the SOAP receiver served ?wsdl to anyone; and
 * `auth: none` was accepted silently.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it, afterEach } from 'vitest';
import { stringify } from 'yaml';
import { parseConfigText } from '../../src/config/load.js';
import { ISLINGTON } from '../rest/helpers.js';
import { generateCases, renderCase } from '../simulators/rest/housing-repairs.js';
import { soapConnector, startPushGateway, webhookConnector, webhookSecret, type PushHarness } from './helpers.js';

let h: PushHarness | undefined;
afterEach(async () => {
  await h?.gw.stop();
  h = undefined;
});

const env = { REPAIRS_WEBHOOK_SECRET: webhookSecret, NOTIFY_PASSWORD: 'n0tify-pw-2291' };
const [one] = generateCases(1, '2025-11-03T09:00:00Z');
const body = JSON.stringify({ eventType: 'case.updated', eventId: 'evt-0', occurredAt: '2025-11-03T14:05:00Z', case: renderCase(one!) });
const hmac = (text: string) => createHmac('sha256', webhookSecret).update(text).digest('hex');
const post = (url: string, headers: Record<string, string>) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

/** The webhook connector of the other tests, with the timestamp block left to its default. */
function defaultsConnector(timestamp?: false) {
  const c = webhookConnector();
  const receiver = c.receiver as { auth: Record<string, unknown> };
  const auth: Record<string, unknown> = { ...receiver.auth };
  delete auth.timestamp;
  if (timestamp === false) auth.timestamp = false;
  return { ...c, receiver: { ...receiver, auth } };
}

describe('push receivers: secure by default', () => {
  it('signed timestamps are on by default: a signature over the body alone is refused, one over timestamp.body is accepted', async () => {
    h = await startPushGateway(defaultsConnector(), { env });
    const bare = await post(h.url, { 'X-RepairsHub-Signature': `sha256=${hmac(body)}` });
    expect(bare.status).toBe(401);
    expect(((await bare.json()) as { message: string }).message).toMatch(/missing X-Timestamp header/);
    const ts = String(Math.floor(Date.now() / 1000));
    const old = String(Math.floor(Date.now() / 1000) - 3600);
    expect((await post(h.url, { 'X-Timestamp': old, 'X-RepairsHub-Signature': `sha256=${hmac(`${old}.${body}`)}` })).status).toBe(401);
    const ok = await post(h.url, { 'X-Timestamp': ts, 'X-RepairsHub-Signature': `sha256=${hmac(`${ts}.${body}`)}` });
    expect(ok.status).toBe(200);
    expect(h.publisher.events).toHaveLength(1);
  });

  it('a replay of an accepted request inside the tolerance is refused by the replay cache (also with timestamps turned off)', async () => {
    for (const timestamp of [undefined, false] as const) {
      h = await startPushGateway(defaultsConnector(timestamp), { env });
      const ts = String(Math.floor(Date.now() / 1000));
      const headers: Record<string, string> = timestamp === false ? { 'X-RepairsHub-Signature': `sha256=${hmac(body)}` } : { 'X-Timestamp': ts, 'X-RepairsHub-Signature': `sha256=${hmac(`${ts}.${body}`)}` };
      expect((await post(h.url, headers)).status).toBe(200);
      const again = await post(h.url, headers);
      expect(again.status).toBe(409);
      expect(((await again.json()) as { message: string }).message).toMatch(/replay/);
      expect(h.publisher.events).toHaveLength(1);
      await h.gw.stop();
      h = undefined;
    }
  });

  it('serves the SOAP receiver WSDL (?wsdl) only to callers that pass its auth', async () => {
    h = await startPushGateway(soapConnector({ type: 'basic', username: 'repairshub', password: '${env:NOTIFY_PASSWORD}' }), { env });
    expect((await fetch(`${h.url}?wsdl`)).status).toBe(401);
    const wrong = await fetch(`${h.url}?wsdl`, { headers: { authorization: `Basic ${Buffer.from('repairshub:guess').toString('base64')}` } });
    expect(wrong.status).toBe(401);
    const ok = await fetch(`${h.url}?wsdl`, { headers: { authorization: `Basic ${Buffer.from('repairshub:n0tify-pw-2291').toString('base64')}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('NotifyCaseUpdated');
    await h.gw.stop();
    // WS-Security credentials travel in the SOAP header, which a GET has not: the same username and password over HTTP Basic.
    h = await startPushGateway(soapConnector({ type: 'ws-security', username: 'repairshub', password: '${env:NOTIFY_PASSWORD}' }), { env });
    expect((await fetch(`${h.url}?wsdl`)).status).toBe(401);
    expect((await fetch(`${h.url}?wsdl`, { headers: { authorization: `Basic ${Buffer.from('repairshub:n0tify-pw-2291').toString('base64')}` } })).status).toBe(200);
  });

  it('accepts auth: none only with an explicit allowUnauthenticated: true, with a clear validate error otherwise', async () => {
    const cfg = (auth: Record<string, unknown>) =>
      stringify({ version: 1, councils: [ISLINGTON], connectors: [{ ...soapConnector(auth), listen: { host: '127.0.0.1', port: 0, path: '/n' } }] });
    let error: Error | undefined;
    try {
      parseConfigText(cfg({ type: 'none' }), 'push.yaml', '.', env);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toMatch(/connectors\[0\]\.receiver\.auth/);
    expect(error?.message).toMatch(/allowUnauthenticated: true/);
    expect(() => parseConfigText(cfg({ type: 'none', allowUnauthenticated: true }), 'push.yaml', '.', env)).not.toThrow();

    h = await startPushGateway(soapConnector({ type: 'none', allowUnauthenticated: true }), { env });
    expect((await fetch(`${h.url}?wsdl`)).status).toBe(200);
  });
});
