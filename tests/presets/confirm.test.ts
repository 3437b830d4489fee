import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfirmSimulator } from '../simulators/soap/confirm.js';
import { fillIn, initPreset, runOnce, validateAndTest } from './helpers.js';

const sim = new ConfirmSimulator({ username: 'confirm-ws', password: 'confirm-secret-9' });
const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);

beforeAll(async () => {
  await sim.start();
  for (let i = 0; i < 5; i++) {
    const e = sim.addEnquiry({ at: hoursAgo(40 - i * 5), subject: ['PHOL', 'SLOT', 'GULY'][i % 3] as string, x: 445_000 + i * 100, y: 115_000 });
    if (i % 2 === 0) sim.logStatus(e.EnquiryNumber, 'INP', hoursAgo(20 - i), 'Inspection booked');
    if (i === 0) sim.logStatus(e.EnquiryNumber, 'INP', hoursAgo(19), 'Internal: rota change'); // same code again
    if (i === 2) sim.logStatus(e.EnquiryNumber, 'FIX', hoursAgo(3), 'Repaired');
  }
});
afterAll(() => sim.stop());

describe('preset confirm (Confirm enquiries)', () => {
  it('init → validate → test → run --once against the simulator: contract-valid events, WS-Security, one event per real change', { timeout: 240_000 }, async () => {
    const { dir, config } = initPreset('confirm', ['--council', 'E10000014', '--council-name', 'Hampshire County Council']);
    fillIn(config, [['https://confirm.example.invalid/ConfirmWeb/EnquiryService.svc?wsdl', sim.served!.wsdlUrl]]);
    const env = { CONFIRM_USERNAME: 'confirm-ws', CONFIRM_PASSWORD: 'confirm-secret-9' };
    validateAndTest(config, env);
    const { events, run } = await runOnce(dir, config, env);
    expect(run.stdout + run.stderr).not.toContain('confirm-secret-9');
    expect(new Set(events.map((e) => e.subject)).size).toBe(sim.enquiries.size);
    expect(events.some((e) => e.data.case.status.lifecycle === 'resolved')).toBe(true);
    for (const e of events) {
      expect(e.data.location?.latitude).toBeGreaterThan(50);
      expect(JSON.stringify(e)).not.toContain('Sam Walker');
      expect(JSON.stringify(e)).not.toContain('Internal: rota');
    }
  });
});
