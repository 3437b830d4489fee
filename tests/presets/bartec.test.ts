import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BartecSimulator } from '../simulators/soap/bartec.js';
import { fillIn, initPreset, runOnce, validateAndTest } from './helpers.js';

const sim = new BartecSimulator({ username: 'council-api', password: 'bartec-secret-1' });
const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);

beforeAll(async () => {
  await sim.start();
  await sim.startAuth();
  const types = ['MISSED BIN', 'GW NEW SUBSCRIPTION', 'BULKY COLLECTION'];
  for (let i = 0; i < 5; i++) {
    const r = sim.addRequest({ at: hoursAgo(30 - i), serviceType: types[i % 3] as string, uprn: String(100_090_000_000 + i), easting: 519_000 + i * 50, northing: 298_700 });
    if (i % 2 === 0) sim.setStatus(r.ServiceRequestID, 'IN PROGRESS', hoursAgo(20 - i));
    if (i === 0) sim.setStatus(r.ServiceRequestID, 'CLOSED', hoursAgo(10));
    if (i === 1) sim.touch(r.ServiceRequestID, hoursAgo(5)); // a history row that changes nothing
  }
});
afterAll(() => sim.stop());

describe('preset bartec (Bartec Collective)', () => {
  it('init → validate → test → run --once against the simulator: contract-valid events, login on the separate authentication service', { timeout: 240_000 }, async () => {
    const { dir, config } = initPreset('bartec', ['--council', 'E06000031', '--council-name', 'Peterborough City Council']);
    fillIn(config, [
      ['https://bartec-collective.example.invalid/API/CollectiveAPI.asmx?WSDL', sim.served!.wsdlUrl],
      ['https://bartec-auth.example.invalid/Auth/Authenticate.asmx?WSDL', sim.authServed!.wsdlUrl],
    ]);
    const env = { BARTEC_USERNAME: 'council-api', BARTEC_PASSWORD: 'bartec-secret-1' };
    validateAndTest(config, env);

    const { events, run } = await runOnce(dir, config, env);
    expect(run.stdout + run.stderr).not.toContain('bartec-secret-1');
    expect(events.map((e) => e.subject).sort()).toEqual([...sim.requests.values()].map((r) => r.ServiceCode).sort());
    for (const e of events) {
      expect(e.data.council.gss).toBe('E06000031');
      expect(JSON.stringify(e)).not.toContain('07700 900123');
    }
    const closed = events.find((e) => e.data.case.status.lifecycle === 'closed');
    expect(closed?.type).toMatch(/closed/);
    // The token came from the authentication service, not the API.
    expect(sim.calls.filter((c) => c.op === 'Authenticate').length).toBeGreaterThan(0);
    expect(sim.calls.some((c) => c.op === 'Login')).toBe(false);
  });
});
