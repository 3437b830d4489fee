/** Page and offset listings stop on the supplier's own total — of pages or of records — without an extra empty request. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startRepairsSimulator, type RepairsSimulator } from '../simulators/rest/housing-repairs.js';
import { openHarness, restConnector, type Harness } from './helpers.js';

let sim: RepairsSimulator;
let h: Harness | undefined;
beforeEach(async () => {
  sim = await startRepairsSimulator({ cases: 25 });
});
afterEach(async () => {
  await h?.gw.stop();
  h = undefined;
  await sim.close();
});

/** The run's listing requests (the start-up check asks for changes since "now" with another value). */
const listing = (param: string, sinceParam: string, since: string) => sim.requests.filter((r) => r.query[sinceParam] === since).map((r) => r.query[param]);

describe('rest paging totals', () => {
  it.each([
    ['a total-pages path', { totalPagesPath: 'totalPages' }],
    ['a total-records path', { totalPath: 'totalResults' }],
  ])('page style with %s: 25 records in pages of 5 take exactly five requests', async (_name, totals) => {
    h = await openHarness(restConnector(sim.url, { path: '/api/v2/repairs', records: 'results', pagination: { style: 'page', param: 'page', sizeParam: 'pageSize', size: 5, ...totals } }));
    const [summary] = await h.gw.runAllOnce({ retry: false });
    expect(summary).toMatchObject({ status: 'ok', published: 25, deadLettered: 0 });
    expect(listing('page', 'updatedSince', '2025-11-01T00:00:00Z')).toEqual(['1', '2', '3', '4', '5']);
  });

  it('without a total, a full last page costs one more, empty, request (what the totals save)', async () => {
    h = await openHarness(restConnector(sim.url, { path: '/api/v2/repairs', records: 'results', pagination: { style: 'page', param: 'page', sizeParam: 'pageSize', size: 5 } }));
    await h.gw.runAllOnce({ retry: false });
    expect(listing('page', 'updatedSince', '2025-11-01T00:00:00Z')).toEqual(['1', '2', '3', '4', '5', '6']);
  });

  it('offset style with a total-records path stops when the offset reaches it', async () => {
    const since = { param: 'modifiedFrom', format: 'iso', zone: 'Europe/London', initial: '2025-11-01T00:00:00Z', watermark: { field: 'lastModified' } };
    h = await openHarness(restConnector(sim.url, { path: '/api/v2/jobs', records: 'items', since, pagination: { style: 'offset', size: 5, totalPath: 'total' } }));
    const [summary] = await h.gw.runAllOnce({ retry: false });
    expect(summary).toMatchObject({ status: 'ok', published: 25 });
    expect(listing('offset', 'modifiedFrom', '2025-11-01T00:00:00+00:00')).toEqual(['0', '5', '10', '15', '20']);
  });
});
