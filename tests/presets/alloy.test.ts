import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlloySimulator, type AlloySimulator } from '../simulators/rest/alloy.js';
import { fillIn, initPreset, runOnce, validateAndTest } from './helpers.js';

let sim: AlloySimulator;
const KEY = 'alloy-api-key-0f9e8d7c';

beforeAll(async () => {
  sim = await startAlloySimulator({ enquiries: 12, apiKey: KEY, baseTime: new Date(Date.now() - 2 * 86_400_000).toISOString() });
});
afterAll(() => sim.close());

describe('preset alloy (Alloy by Yotta)', () => {
  it('init → validate → test → run --once against the simulator: contract-valid events from AQS POST queries', { timeout: 240_000 }, async () => {
    const { dir, config } = initPreset('alloy', ['--council', 'E06000060', '--council-name', 'Buckinghamshire Council']);
    fillIn(config, [
      ['https://api.alloy.example.invalid', sim.url],
      ['size: 100, totalPagesPath', 'size: 5, totalPagesPath'],
    ]);
    const env = { ALLOY_API_KEY: KEY };
    validateAndTest(config, env);

    const { events, run } = await runOnce(dir, config, env);
    expect(run.stdout + run.stderr).not.toContain(KEY);
    expect(events.map((e) => e.subject).sort()).toEqual(sim.enquiries.map((e) => e.reference).sort());
    for (const e of events) {
      expect(e.data.council.gss).toBe('E06000060');
      expect(JSON.stringify(e)).not.toContain('@example.org');
    }
    const first = sim.enquiries[0]!;
    expect(events.find((e) => e.subject === first.reference)!.data.location).toMatchObject({ uprn: first.uprn, latitude: first.lat, longitude: first.lon });
    const pages = sim.server.requests.filter((r) => r.path === '/api/aqs/query' && r.status === 200).map((r) => r.query.page);
    expect(pages).toEqual(expect.arrayContaining(['1', '2', '3']));
  });
});
