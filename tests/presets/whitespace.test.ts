import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WhitespaceSimulator } from '../simulators/soap/whitespace.js';
import { fillIn, initPreset, runOnce, validateAndTest } from './helpers.js';

const sim = new WhitespaceSimulator(2);
const refs = ['WS-000451', 'WS-000452', 'WS-000453', 'WS-000454', 'WS-000455'];

beforeAll(async () => {
  refs.forEach((ref, i) =>
    sim.set(ref, { StatusCode: i % 2 ? 'ALLOC' : 'OPEN', StatusText: i % 2 ? 'Allocated' : 'Open', Description: 'Resident Mrs A Example called', Address: `${i + 1} Example Close, Bexleyheath`, ServiceId: String((i % 4) + 1), Uprn: String(100_020_212_340 + i), WorksheetCreatedDate: '2025-09-01T08:00:00', WorksheetDueDate: '2025-09-03T17:00:00' }),
  );
  await sim.start({ wsse: { username: 'ws-user', password: 'whitespace-secret-7' } });
});
afterAll(() => sim.stop());

describe('preset whitespace (Whitespace worksheets)', () => {
  it('init → validate → test → run --once twice against the simulator: contract-valid events, a finished worksheet closed', { timeout: 240_000 }, async () => {
    const { dir, config } = initPreset('whitespace', ['--council', 'E09000004', '--council-name', 'London Borough of Bexley']);
    fillIn(config, [['https://whitespace.example.invalid/WorksService/Service.asmx?wsdl', sim.served!.wsdlUrl]]);
    const env = { WHITESPACE_USERNAME: 'ws-user', WHITESPACE_PASSWORD: 'whitespace-secret-7' };
    validateAndTest(config, env);

    const first = await runOnce(dir, config, env);
    expect(first.events.map((e) => e.subject).sort()).toEqual(refs);
    expect(JSON.stringify(first.events)).not.toContain('Mrs A Example');
    expect(first.run.stdout + first.run.stderr).not.toContain('whitespace-secret-7');

    sim.finish('WS-000453');
    const second = await runOnce(dir, config, env);
    const added = second.events.slice(first.events.length);
    expect(added).toHaveLength(1);
    expect(added[0]!.subject).toBe('WS-000453');
    expect(added[0]!.data.case.status.lifecycle).toBe('closed');
    expect(added[0]!.data.case.closureReason?.code).toBe('no-longer-listed');
  });
});
