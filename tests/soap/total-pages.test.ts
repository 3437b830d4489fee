/** SOAP list paging stops on the supplier's page count (paging.totalPages), as it does on a record count (paging.total). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/core/clock.js';
import { BartecSimulator } from '../simulators/soap/bartec.js';
import { openHarness, type Harness } from './harness.js';

const T0 = '2025-07-01T12:00:00Z';
const clock = fixedClock(T0);
let sim: BartecSimulator;
let h: Harness | undefined;

function connector(wsdl: string, paging: Record<string, unknown>): Record<string, unknown> {
  return {
    name: 'waste',
    type: 'soap',
    council: 'E09000019',
    system: { supplier: 'Example Waste' },
    retry: { initial: '10ms', max: '50ms' },
    wsdl,
    timeout: '5s',
    window: { start: '2025-07-01T00:00:00Z', maxSpan: '1d', lag: '30s', overlap: '2m' },
    session: { operation: 'Login', args: { Username: 'casebridge', Password: '${env:WASTE_PASSWORD}' }, token: 'LoginResult.Token' },
    list: {
      operation: 'ServiceRequests_Updates_Get',
      args: { Token: '{{token}}', LastUpdated: '{{since}}', PageNumber: '{{page}}' },
      records: '*.ServiceRequests_Updates.ServiceRequest_Updates',
      paging: { start: 1, ...paging },
    },
    errors: { code: '*.Errors.Result', message: '*.Errors.Message' },
    mapping: {
      reference: 'ServiceCode',
      status: { code: { const: 'OPEN' }, lookup: 'st' },
      updatedAt: { path: 'DateChanged', date: 'iso' },
      lookups: { st: { entries: { OPEN: { status: 'received' } } } },
    },
  };
}

beforeEach(async () => {
  clock.set(T0);
  sim = new BartecSimulator({ pageSize: 4, now: () => clock.now() });
  // 12 requests in pages of 4: exactly three full pages, so nothing but a count can tell page 3 is the last.
  for (let i = 0; i < 12; i++) sim.addRequest({ at: new Date(Date.parse('2025-07-01T08:00:00Z') + i * 60_000) });
  await sim.start();
});
afterEach(async () => {
  await h?.close();
  h = undefined;
  await sim.stop();
});

const pagesAsked = () => sim.calls.filter((c) => c.op === 'ServiceRequests_Updates_Get').map((c) => c.args.PageNumber);

describe('soap paging totals', () => {
  it('paging.totalPages: three pages of four, three calls', async () => {
    h = await openHarness(connector(sim.served!.wsdlUrl, { totalPages: '*.ServiceRequests_Updates.$attributes.PageCount' }), { clock, env: { WASTE_PASSWORD: 'waste-secret' } });
    expect(await h.run()).toMatchObject({ status: 'ok', read: 12, published: 12 });
    expect(pagesAsked()).toEqual([1, 2, 3]);
  });

  it('without a total, the run asks for a fourth, empty, page', async () => {
    h = await openHarness(connector(sim.served!.wsdlUrl, {}), { clock, env: { WASTE_PASSWORD: 'waste-secret' } });
    expect(await h.run()).toMatchObject({ status: 'ok', read: 12 });
    expect(pagesAsked()).toEqual([1, 2, 3, 4]);
  });

});
