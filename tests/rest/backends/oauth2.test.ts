/**
 * OAuth2 client credentials against a Dynamics 365-shaped API behind an Entra-shaped token
 * endpoint (two real HTTP servers on 127.0.0.1): tokens renewed mid-paging without losing or
 * repeating a page, revoked clients stopping with a clear non-retriable error, bounded 401 loops,
 * and token endpoints that answer rubbish.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../../src/core/clock.js';
import { describeError } from '../../../src/core/errors.js';
import { startDynamics365Simulator, type Dynamics365Simulator } from '../../simulators/rest/dynamics365.js';
import { dynamics365Connector } from './configs.js';
import { directSource, drain } from './helpers.js';

let sim: Dynamics365Simulator;
const SECRET = 'd365~secret.Value_123';

beforeEach(async () => {
  sim = await startDynamics365Simulator({ incidents: 14 });
});
afterEach(async () => {
  await sim.close();
});

const apiPages = () => sim.api.requests.filter((r) => r.path === '/api/data/v9.2/incidents');
const tokenRequests = () => sim.login.requests.filter((r) => r.path.endsWith('/oauth2/v2.0/token'));
/** Which page a request asked for: 1, or the page number in the $skiptoken cookie. */
const pageOf = (r: { query: Record<string, string> }) => Number(/pagenumber="(\d+)"/.exec(r.query.$skiptoken ?? '')?.[1] ?? 1);

describe('oauth2 client credentials', () => {
  it('a token revoked server-side mid-paging is renewed once and paging continues: every record once, no page fetched twice', async () => {
    const { batches, error } = await drain(directSource(dynamics365Connector(sim)), {
      between: (n) => {
        if (n === 2) sim.tokens.expireAll();
      },
    });
    expect(error).toBeUndefined();
    const refs = batches.flatMap((b) => b.records.map((r) => String(r.raw.ticketnumber)));
    expect(refs.sort()).toEqual(sim.incidents.map((i) => i.ticketnumber).sort());
    expect(new Set(refs).size).toBe(refs.length);
    const pages = apiPages();
    expect(pages.map((r) => r.status)).toEqual([200, 200, 401, 200, 200]);
    const served = pages.filter((r) => r.status === 200).map(pageOf);
    expect(served).toEqual([1, 2, 3, 4]);
    // The 401'd request and its repeat asked for the same page, with a different token.
    expect(pageOf(pages[2]!)).toBe(3);
    expect(pages[3]!.headers.authorization).not.toBe(pages[2]!.headers.authorization);
    expect(tokenRequests()).toHaveLength(2);
  });

  it('a token about to expire is renewed before it is used (no 401 at all), by the injected clock', async () => {
    const clock = fixedClock('2025-11-05T10:00:00Z');
    const { batches, error } = await drain(directSource(dynamics365Connector(sim), { clock }), {
      between: (n) => {
        if (n === 1) clock.advance(3599_000 - 30_000); // inside the 60 s refreshBefore window
      },
    });
    expect(error).toBeUndefined();
    expect(batches.flatMap((b) => b.records)).toHaveLength(14);
    expect(apiPages().map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(tokenRequests()).toHaveLength(2);
    const tokens = apiPages().map((r) => r.headers.authorization);
    expect(tokens[0]).not.toBe(tokens[1]);
    expect(tokens[1]).toBe(tokens[3]);
  });

  it('a revoked client stops the run with a non-retriable error naming the connector and token URL, never the secret', async () => {
    sim.tokens.revoke('casebridge-app');
    const { error, batches } = await drain(directSource(dynamics365Connector(sim)));
    expect(batches).toHaveLength(0);
    expect(error).toMatchObject({ code: 'oauth2_client_rejected', retriable: false, context: { connector: 'crm', status: 401 } });
    const text = describeError(error);
    expect(text).toContain(`token endpoint ${sim.tokenUrl} rejected client "casebridge-app" of connector crm: invalid_client (AADSTS7000215`);
    expect(text).toContain('retrying will not help');
    expect(text).not.toContain(SECRET);
    expect(JSON.stringify(error)).not.toContain(SECRET);
    expect(apiPages()).toHaveLength(0);
  });

  it('a client revoked mid-paging: the 401 leads to one token request, which is refused, non-retriable', async () => {
    const { error, batches } = await drain(directSource(dynamics365Connector(sim)), {
      between: (n) => {
        if (n === 1) sim.tokens.revoke('casebridge-app');
      },
    });
    expect(batches).toHaveLength(1);
    expect(error).toMatchObject({ code: 'oauth2_client_rejected', retriable: false });
    expect(apiPages().map((r) => r.status)).toEqual([200, 401]);
    expect(tokenRequests().map((r) => r.status)).toEqual([200, 401]);
  });

  it('an API that refuses even a fresh token: one renewal, then a non-retriable error (no 401 loop)', async () => {
    sim.api.answer('/api/data/v9.2/incidents', { status: 401, body: '' }, 50);
    const { error } = await drain(directSource(dynamics365Connector(sim)));
    expect(error).toMatchObject({ code: 'auth_rejected', retriable: false, context: { status: 401 } });
    expect(error!.message).toMatch(/answered 401 again straight after a fresh token/);
    expect(apiPages()).toHaveLength(2);
    expect(tokenRequests()).toHaveLength(2);
  });

  it('a wrong scope is a clear non-retriable error that says to check the scope', async () => {
    const { error } = await drain(directSource(dynamics365Connector(sim, { auth: { ...(dynamics365Connector(sim).auth as object), scope: 'https://elsewhere.example/.default' } })));
    expect(error).toMatchObject({ code: 'oauth2_request_rejected', retriable: false });
    expect(error!.message).toMatch(/400 invalid_scope .*AADSTS1002012.*; check scope$/s);
  });

  it('a token endpoint that is down or overloaded is retriable', async () => {
    sim.login.answer('/', { status: 503, body: '<html>Service Unavailable</html>', contentType: 'text/html' });
    expect((await drain(directSource(dynamics365Connector(sim)))).error).toMatchObject({ code: 'oauth2_unavailable', retriable: true, context: { status: 503 } });

    const url = new URL(sim.tokenUrl);
    const refused = await drain(directSource(dynamics365Connector({ url: sim.url, tokenUrl: `${url.protocol}//127.0.0.1:1${url.pathname}` })));
    expect(refused.error).toMatchObject({ code: 'oauth2_unreachable', retriable: true });
    expect(refused.error!.message).toContain('ECONNREFUSED');
  });

  it.each([
    ['a 1 MB answer', { status: 200, body: `{"access_token":"${'a'.repeat(1024 * 1024)}"}` }, /answered more than 65536 bytes; that is not a token response/],
    ['an HTML sign-in page', { status: 200, body: '<html><form action="/login">Sign in</form></html>', contentType: 'text/html' }, /answered 200 without an access_token: <html>/],
    ['truncated JSON', { status: 200, body: '{"token_type":"Bearer","access_tok' }, /without an access_token/],
    ['a token with a header injected', { status: 200, body: JSON.stringify({ token_type: 'Bearer', expires_in: 3599, access_token: 'abc\r\nX-Evil: 1' }) }, /cannot be a bearer token/],
    ['a 20 kB token', { status: 200, body: JSON.stringify({ token_type: 'Bearer', access_token: 'x'.repeat(20_000) }) }, /cannot be a bearer token \(20000 characters\)/],
    ['a non-bearer token', { status: 200, body: JSON.stringify({ token_type: 'mac', access_token: 'abc' }) }, /issued a "mac" token; only bearer tokens/],
    ['an array', { status: 200, body: '[]' }, /without an access_token/],
  ])('%s from the token endpoint is a clear non-retriable error, and the API is never called', async (_name, answer, message) => {
    sim.login.answer('/', answer);
    const { error } = await drain(directSource(dynamics365Connector(sim)));
    expect(error).toMatchObject({ code: 'oauth2_bad_response', retriable: false });
    expect(error!.message).toMatch(message);
    expect(error!.message.length).toBeLessThan(600);
    expect(apiPages()).toHaveLength(0);
  });

  it('client id and secret can go as HTTP Basic (RFC 6749 §2.3.1) instead of form fields', async () => {
    const base = dynamics365Connector(sim);
    const { error, batches } = await drain(directSource({ ...base, auth: { ...(base.auth as object), clientAuth: 'basic' } }));
    expect(error).toBeUndefined();
    expect(batches.flatMap((b) => b.records)).toHaveLength(14);
    const t = tokenRequests()[0]!;
    expect(t.headers.authorization).toMatch(/^Basic /);
    expect(t.body).not.toContain('client_secret');
  });
});
