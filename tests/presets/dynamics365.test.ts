import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynamics365Simulator, type Dynamics365Simulator } from '../simulators/rest/dynamics365.js';
import { fillIn, initPreset, runOnce, validateAndTest } from './helpers.js';

let sim: Dynamics365Simulator;
const SECRET = 'd365~secret.Value_123';

beforeAll(async () => {
  sim = await startDynamics365Simulator({ incidents: 10, clientSecret: SECRET, baseTime: new Date(Date.now() - 2 * 86_400_000).toISOString() });
});
afterAll(() => sim.close());

describe('preset dynamics365 (Dynamics 365 Customer Service)', () => {
  it('init → validate → test → run --once against the simulator: contract-valid events through OAuth2 and OData pages', { timeout: 240_000 }, async () => {
    const { dir, config } = initPreset('dynamics365', ['--council', 'E08000025', '--council-name', 'Birmingham City Council']);
    fillIn(config, [
      ['https://your-org.crm11.example.invalid', sim.url],
      ['https://login.example.invalid/YOUR-TENANT-ID', `${sim.loginUrl}/${sim.tenant}`],
      ['00000000-0000-0000-0000-000000000000', 'casebridge-app'],
      // Small pages, so the run follows @odata.nextLink.
      ['odata.maxpagesize=500', 'odata.maxpagesize=4'],
    ]);
    const env = { D365_CLIENT_SECRET: SECRET };
    validateAndTest(config, env);

    const { events, run } = await runOnce(dir, config, env);
    expect(run.stdout + run.stderr).not.toContain(SECRET);
    expect(events.map((e) => e.subject).sort()).toEqual(sim.incidents.map((i) => i.ticketnumber).sort());
    for (const e of events) {
      expect(e.data.council.gss).toBe('E08000025');
      expect(JSON.stringify(e)).not.toContain('@example.org');
    }
    expect(events.find((e) => e.subject === sim.incidents.find((i) => i.statuscode === 6)!.ticketnumber)!.data.case.status.lifecycle).toBe('cancelled');
    const pages = sim.api.requests.filter((r) => r.path === '/api/data/v9.2/incidents' && r.status === 200);
    expect(pages.filter((r) => r.query.$skiptoken).length).toBeGreaterThanOrEqual(2);
    expect(sim.login.requests.filter((r) => r.status === 200).length).toBeGreaterThan(0);
  });
});
