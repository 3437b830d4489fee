import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUniformSimulator, type UniformSimulator } from '../simulators/rest/uniform.js';
import { fillIn, initPreset, runOnce, validateAndTest } from './helpers.js';

let sim: UniformSimulator;
const PASSWORD = "Un1form'P@ss&word";

beforeAll(async () => {
  sim = await startUniformSimulator({ requests: 9, password: PASSWORD, baseTime: new Date(Date.now() - 2 * 86_400_000).toISOString() });
});
afterAll(() => sim.close());

describe('preset uniform (Idox Uniform web API)', () => {
  it('init → validate → test → run --once against the simulator: contract-valid events over a cookie session, logged out at the end', { timeout: 240_000 }, async () => {
    const { dir, config } = initPreset('uniform', ['--council', 'E07000008', '--council-name', 'Cambridge City Council']);
    fillIn(config, [
      ['https://uniform.example.invalid', sim.url],
      ['size: 50, totalPath', 'size: 4, totalPath'],
    ]);
    const env = { UNIFORM_USERNAME: 'CASEBRIDGE', UNIFORM_PASSWORD: PASSWORD };
    validateAndTest(config, env);

    const { events, run } = await runOnce(dir, config, env);
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
    expect(events.map((e) => e.subject).sort()).toEqual(sim.requests.map((r) => r.ReferenceValue).sort());
    for (const e of events) {
      expect(e.data.council.gss).toBe('E07000008');
      expect(JSON.stringify(e)).not.toMatch(/Complainant|01223 45/);
    }
    expect(sim.server.requests.filter((r) => r.path === '/uniformwebapi/api/servicerequests').every((r) => r.status === 200)).toBe(true);
    expect(sim.server.requests.filter((r) => r.path === '/uniformwebapi/api/logout')).toHaveLength(1);
    expect(sim.sessions.size).toBe(0);
  });
});
