import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Open311Simulator } from '../simulators/open311/server.js';
import { fillIn, initPreset, runOnce, validateAndTest } from './helpers.js';

const sim = new Open311Simulator({ maxResults: 5 });
const DAY = 86_400_000;

beforeAll(async () => {
  await sim.start();
  for (let i = 0; i < 12; i++) {
    const r = sim.add({ at: new Date(Date.now() - (20 - i) * DAY), ...(i % 4 === 3 ? { omitUpdated: true } : {}) });
    if (i % 3 === 0) sim.update(r.service_request_id, 'ACTION_SCHEDULED', new Date(Date.now() - (10 - i / 2) * DAY), 'Booked');
  }
  const old = sim.add({ at: new Date(Date.now() - 200 * DAY) });
  sim.update(old.service_request_id, 'FIXED', new Date(Date.now() - 2 * DAY), 'Repaired');
});
afterAll(() => sim.stop());

describe('preset open311 (GeoReport v2)', () => {
  it('init → validate → test → run --once against the simulator: contract-valid events with the built-in mapping', { timeout: 240_000 }, async () => {
    const { dir, config } = initPreset('open311', ['--council', 'E06000023', '--council-name', 'Bristol City Council']);
    fillIn(config, [
      ['https://open311.example.invalid/open311/v2', sim.url],
      ['maxResults: 1000', 'maxResults: 5'],
    ]);
    validateAndTest(config, {});
    const { events } = await runOnce(dir, config, {});
    const subjects = new Set(events.map((e) => e.subject));
    expect(subjects.size).toBe(sim.requests.size);
    expect(events.filter((e) => e.data.case.status.lifecycle === 'scheduled').length).toBe(3);
    expect(events.some((e) => e.data.case.status.lifecycle === 'resolved')).toBe(true);
    for (const e of events) expect(e.data.council.gss).toBe('E06000023');
  });
});
