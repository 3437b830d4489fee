/**
 * Uniform end to end over a cookie session: login, session cookie kept, re-login once when the
 * session has gone (forms authentication answers 302 to login.aspx, not 401), logout on stop; a
 * refused login (200 with Success false and no cookie) is a clear non-retriable error.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeError } from '../../../src/core/errors.js';
import { startUniformSimulator, type UniformSimulator } from '../../simulators/rest/uniform.js';
import { openHarness, type Harness } from '../helpers.js';
import { UNIFORM_PASSWORD, uniformConnector } from './configs.js';
import { directSource, drain, expectContractValid } from './helpers.js';

let sim: UniformSimulator;
let h: Harness | undefined;

beforeEach(async () => {
  sim = await startUniformSimulator({ requests: 9 });
});
afterEach(async () => {
  await h?.gw.stop();
  h = undefined;
  await sim.close();
});

const listCalls = () => sim.server.requests.filter((r) => r.path === '/uniformwebapi/api/servicerequests');
const loginCalls = () => sim.server.requests.filter((r) => r.path === '/uniformwebapi/api/login');

describe('uniform (cookie session) through the gateway', () => {
  it('logs in once, publishes contract-valid events, asks from UK local time, logs out on stop', async () => {
    h = await openHarness(uniformConnector(sim));
    const [first] = await h.gw.runAllOnce({ retry: false });
    expect(first).toMatchObject({ status: 'ok', published: 9 });
    expectContractValid(h.publisher.events.map((e) => e.event));
    const nfa = sim.requests.find((r) => r.StatusCode === 'NFA')!;
    expect(h.byRef().get(nfa.ReferenceValue)!.data.case.status).toMatchObject({ lifecycle: 'closed', code: 'NFA' });
    expect(JSON.stringify(h.publisher.events)).not.toMatch(/Complainant|01223 45/);
    // 1 Nov 2025 00:00 UTC is 00:00 in London (GMT); sent without an offset, as the server wants.
    expect(listCalls().map((r) => r.query.changedSince)).toContain('2025-11-01T00:00:00');
    expect(listCalls().every((r) => r.status === 200)).toBe(true);
    expect(sim.logins()).toBe(1);

    sim.update(sim.requests[0]!.ReferenceValue, { StatusCode: 'RES', StatusDescription: 'Resolved' }, '2025-11-04T09:00:00Z');
    const [second] = await h.gw.runAllOnce({ retry: false });
    expect(second).toMatchObject({ status: 'ok', published: 1 });
    expect(sim.logins()).toBe(1);

    await h.gw.stop();
    h = undefined;
    expect(sim.server.requests.filter((r) => r.path === '/uniformwebapi/api/logout')).toHaveLength(1);
    expect(sim.sessions.size).toBe(0);
  });

  it('a session that ends mid-paging (302 to login.aspx) means one new login, and paging carries on without a repeat', async () => {
    const { batches, error } = await drain(directSource(uniformConnector(sim)), {
      between: (n) => {
        if (n === 1) sim.expireSessions();
      },
    });
    expect(error).toBeUndefined();
    const refs = batches.flatMap((b) => b.records.map((r) => String(r.raw.ReferenceValue)));
    expect(refs.sort()).toEqual(sim.requests.map((r) => r.ReferenceValue).sort());
    expect(listCalls().map((r) => [r.status, r.query.pageNumber])).toEqual([
      [200, '1'],
      [302, '2'],
      [200, '2'],
      [200, '3'],
    ]);
    expect(sim.logins()).toBe(2);
  });

  it('a refused login (200, Success false, no cookie) is non-retriable, and the password is nowhere in the error', async () => {
    const { error, batches } = await drain(directSource(uniformConnector(sim, { auth: { ...(uniformConnector(sim).auth as object), credentials: { DatabaseId: 'UNIFORM_LIVE', UserName: 'CASEBRIDGE', Password: "wrong'one&" } } })));
    expect(batches).toHaveLength(0);
    expect(error).toMatchObject({ code: 'login_failed', retriable: false, context: { connector: 'regulatory' } });
    expect(error!.message).toMatch(/login to http:\/\/127\.0\.0\.1:\d+\/uniformwebapi\/api\/login for connector regulatory answered 200 but set no "\.ASPXAUTH" session cookie/);
    expect(error!.message).toContain('Invalid user name or password');
    expect(describeError(error)).not.toContain("wrong'one&");
    expect(listCalls()).toHaveLength(0);
  });

  it('a session refused straight after a new login: one re-login, then a non-retriable error (no login loop)', async () => {
    sim.server.answer('/uniformwebapi/api/servicerequests', { status: 302, body: '', headers: { Location: '/uniformwebapi/login.aspx?ReturnUrl=%2f' } }, 20);
    const { error } = await drain(directSource(uniformConnector(sim)));
    expect(error).toMatchObject({ code: 'auth_rejected', retriable: false, context: { status: 302 } });
    expect(error!.message).toContain('straight after a new login');
    expect(listCalls()).toHaveLength(2);
    expect(loginCalls()).toHaveLength(2);
  });

  it('a login endpoint that is down is retriable; credentials never reach the log of requests as a query', async () => {
    sim.server.answer('/uniformwebapi/api/login', { status: 503, body: '<html>Service Unavailable</html>', contentType: 'text/html' });
    const { error } = await drain(directSource(uniformConnector(sim)));
    expect(error).toMatchObject({ code: 'login_unavailable', retriable: true, context: { status: 503 } });
    expect(loginCalls()[0]!.body).toContain(JSON.stringify(UNIFORM_PASSWORD));
    expect(loginCalls()[0]!.query).toEqual({});
  });
});
