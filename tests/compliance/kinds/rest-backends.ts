/**
 * The rest kind behind the two stateful auth back-ends: OAuth2 client credentials + OData
 * (the Dynamics 365 simulator, token endpoint on its own port) and a cookie-session login (the
 * Uniform simulator). Both page at the batch size and advance a watermark.
 */
import { freePort } from '../../push/helpers.js';
import { dynamics365Connector, uniformConnector, UNIFORM_PASSWORD } from '../../rest/backends/configs.js';
import { generateIncidents, startDynamics365Simulator } from '../../simulators/rest/dynamics365.js';
import { generateUniformRequests, startUniformSimulator } from '../../simulators/rest/uniform.js';
import { newRefs, type LiveSupplier, type SourceKind } from './types.js';

const BASE = '2025-11-03T09:00:00Z';
const D365_SECRET = 'compliance~d365.secret';

export const restOAuth2: SourceKind = {
  name: 'rest (OAuth2 + OData, Dynamics 365 shape)',
  // `modifiedon ge {{since}}` re-reads the newest record seen (then skipped as unchanged).
  rereads: 'overlap',
  checkpoint: 'position',
  async start(n, batchSize): Promise<LiveSupplier> {
    const sim = await startDynamics365Simulator({ incidents: 0, clientSecret: D365_SECRET, baseTime: BASE });
    let total = 0;
    const add = (k: number) => {
      const refs = newRefs('CAS', k);
      const more = generateIncidents(total + k, BASE).slice(total).map((inc, i) => ({ ...inc, ticketnumber: refs[i]! }));
      total += k;
      sim.incidents.push(...more);
      return refs;
    };
    const refs = add(n);
    const connector = (api: string, tokenUrl: string) =>
      dynamics365Connector(
        { url: api, tokenUrl },
        {
          name: 'compliance-d365',
          batchSize,
          headers: { Prefer: `odata.maxpagesize=${batchSize}`, 'OData-Version': '4.0' },
          auth: { type: 'oauth2-client-credentials', tokenUrl, clientId: 'casebridge-app', clientSecret: '${env:D365_SECRET}', scope: `${sim.url}/.default` },
        },
      );
    const env = { D365_SECRET };
    return {
      connector: connector(sim.url, sim.tokenUrl),
      env,
      refs,
      add: async (k) => add(k),
      async unreachable() {
        const port = await freePort();
        return { connector: connector(`http://127.0.0.1:${port}`, `http://127.0.0.1:${port}/${sim.tenant}/oauth2/v2.0/token`), env };
      },
      // A revoked or mistyped client secret: the token endpoint says invalid_client.
      misconfigured: () => ({ connector: connector(sim.url, sim.tokenUrl), env: { D365_SECRET: 'a-secret-that-was-revoked' } }),
      teardown: () => sim.close(),
    };
  },
};

export const restCookieSession: SourceKind = {
  name: 'rest (cookie session, Uniform shape)',
  // `changedSince` is inclusive: the newest record seen is listed again and skipped as unchanged.
  rereads: 'overlap',
  checkpoint: 'position',
  async start(n, batchSize): Promise<LiveSupplier> {
    const sim = await startUniformSimulator({ requests: 0, password: UNIFORM_PASSWORD, baseTime: BASE });
    let total = 0;
    const add = (k: number) => {
      const refs = newRefs('25/NOISE', k);
      const more = generateUniformRequests(total + k, BASE).slice(total).map((r, i) => ({ ...r, ReferenceValue: refs[i]! }));
      total += k;
      sim.requests.push(...more);
      return refs;
    };
    const refs = add(n);
    const base = uniformConnector(sim);
    const connector = (url: string, password: string) => ({
      ...uniformConnector({ url }),
      name: 'compliance-uniform',
      batchSize,
      pagination: { style: 'page', param: 'pageNumber', first: 1, sizeParam: 'pageSize', size: batchSize, totalPath: 'TotalCount' },
      auth: { ...(base.auth as Record<string, unknown>), credentials: { DatabaseId: 'UNIFORM_LIVE', UserName: 'CASEBRIDGE', Password: password } },
    });
    return {
      connector: connector(sim.url, '${env:UNIFORM_PASSWORD}'),
      env: { UNIFORM_PASSWORD },
      refs,
      add: async (k) => add(k),
      async unreachable() {
        return { connector: connector(`http://127.0.0.1:${await freePort()}`, '${env:UNIFORM_PASSWORD}'), env: { UNIFORM_PASSWORD } };
      },
      // A wrong password: Uniform answers 200 without a session cookie.
      misconfigured: () => ({ connector: connector(sim.url, '${env:UNIFORM_PASSWORD}'), env: { UNIFORM_PASSWORD: 'not-the-password' } }),
      teardown: () => sim.close(),
    };
  },
};
