/**
 * The fault suite, reduced (a few kills, a small export) so it runs inside `npm test`; the full
 * run is `npm run faults` and its table is in docs/reliability.md.
 */
import { describe, expect, it } from 'vitest';
import { csvGatewayKills, fullDisk, supplierOutage } from '../../faults/scenarios.js';
import { brokers } from '../kafka/helpers.js';

describe('fault suite (reduced)', () => {
  it('gateway SIGKILLed at random moments while publishing a CSV to Kafka: nothing lost, repeats carry the same id', async () => {
    const row = await csvGatewayKills({ kills: 3, rows: 300, brokers: brokers() });
    expect(row).toMatchObject({ trials: 3, expected: 300, lost: 0, recovered: true });
    expect(row.seen).toBe(300);
  }, 240_000);

  it('full disk under the local event log: the run fails, nothing acknowledged is missing, and it completes once space is freed', async () => {
    const row = await fullDisk({ rows: 2000 });
    expect(row.trials).toBeGreaterThanOrEqual(1);
    expect(row).toMatchObject({ expected: 2000, seen: 2000, lost: 0, duplicates: 0, recovered: true });
  }, 120_000);

  it('REST supplier stopped mid-run and restarted (cursors forgotten): the run resumes from the committed position, nothing lost', async () => {
    const row = await supplierOutage({ cases: 300, outageMs: 1000, brokers: brokers() });
    expect(row).toMatchObject({ trials: 1, expected: 300, seen: 300, lost: 0, recovered: true, faultMidRun: true });
  }, 120_000);
});
