import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSalesforceSimulator, type SalesforceSimulator } from '../simulators/rest/salesforce.js';
import { fillIn, initPreset, runOnce, validateAndTest } from './helpers.js';

let sim: SalesforceSimulator;
const SECRET = 'F3C0A5E1D2B4sf-secret';

beforeAll(async () => {
  sim = await startSalesforceSimulator({ cases: 11, batchSize: 4, clientSecret: SECRET, baseTime: new Date(Date.now() - 2 * 86_400_000).toISOString() });
});
afterAll(() => sim.close());

describe('preset salesforce (Service Cloud)', () => {
  it('init → validate → test → run --once against the simulator: contract-valid events through OAuth2, SOQL and nextRecordsUrl', { timeout: 240_000 }, async () => {
    const { dir, config } = initPreset('salesforce', ['--council', 'E06000023', '--council-name', 'Bristol City Council']);
    fillIn(config, [
      ['https://your-domain.my.salesforce.example.invalid', sim.url],
      ['3MVG9-your-connected-app-consumer-key', '3MVG9casebridge.Connected.App'],
    ]);
    const env = { SALESFORCE_CLIENT_SECRET: SECRET };
    validateAndTest(config, env);

    const { events, run } = await runOnce(dir, config, env);
    expect(run.stdout + run.stderr).not.toContain(SECRET);
    expect(events.map((e) => e.subject).sort()).toEqual(sim.cases.map((c) => c.CaseNumber).sort());
    for (const e of events) {
      expect(e.data.council.gss).toBe('E06000023');
      expect(JSON.stringify(e)).not.toMatch(/example\.org|0117 922/);
    }
    expect(events.filter((e) => e.data.case.status.lifecycle === 'closed').map((e) => e.subject)).toEqual(sim.cases.filter((c) => c.Status === 'Closed').map((c) => c.CaseNumber));
    // The SOQL went as written, the since-value a bare dateTime; later pages by query locator.
    const soql = sim.queries().filter((q) => q.soql && q.status === 200).at(-1)!.soql!;
    expect(soql).toMatch(/FROM Case WHERE LastModifiedDate >= \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ORDER BY LastModifiedDate ASC$/);
    expect(sim.queries().filter((q) => q.locator).length).toBeGreaterThanOrEqual(2);
  });
});
