/**
 * Salesforce end to end: OAuth2 client credentials with no expires_in (renewed on
 * INVALID_SESSION_ID), SOQL with the since-value as a bare dateTime, relative nextRecordsUrl pages,
 * contract-valid events; string values with quotes and backslashes cannot change the query.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSalesforceSimulator, type SalesforceSimulator } from '../../simulators/rest/salesforce.js';
import { openHarness, type Harness } from '../helpers.js';
import { salesforceConnector, SOQL_CHANGES } from './configs.js';
import { directSource, drain, expectContractValid } from './helpers.js';

let sim: SalesforceSimulator;
let h: Harness | undefined;

beforeEach(async () => {
  sim = await startSalesforceSimulator({ cases: 11, batchSize: 4 });
});
afterEach(async () => {
  await h?.gw.stop();
  h = undefined;
  await sim.close();
});

describe('salesforce (SOQL + OAuth2) through the gateway', () => {
  it('publishes contract-valid events, pages by nextRecordsUrl, then asks from the watermark', async () => {
    h = await openHarness(salesforceConnector(sim));
    const [first] = await h.gw.runAllOnce({ retry: false });
    expect(first).toMatchObject({ status: 'ok', published: 11 });
    expectContractValid(h.publisher.events.map((e) => e.event));
    const closed = sim.cases.find((c) => c.Status === 'Closed')!;
    expect(h.byRef().get(closed.CaseNumber)!.data.case).toMatchObject({ status: { lifecycle: 'closed', code: 'Closed' } });
    expect(JSON.stringify(h.publisher.events)).not.toMatch(/example\.org|0117 922/);
    const run = sim.queries().filter((q) => q.soql?.includes('2025-11-01'));
    expect(run).toHaveLength(1);
    expect(run[0]!.soql).toBe(SOQL_CHANGES.replace('{{since}}', '2025-11-01T00:00:00Z'));
    expect(sim.queries().filter((q) => q.locator).map((q) => q.locator!.split('-')[1])).toEqual(['4', '8']);

    sim.update(sim.cases[1]!.CaseNumber, { Status: 'Closed' }, '2025-11-04T08:00:00Z');
    const [second] = await h.gw.runAllOnce({ retry: false });
    expect(second).toMatchObject({ status: 'ok', published: 1 });
    // The newest LastModifiedDate (case 10: base + 40 min, .123 s) with its fraction cut: SOQL has none.
    expect(sim.queries().at(-1)!.soql).toContain('WHERE LastModifiedDate >= 2025-11-03T09:40:00Z ORDER BY');
  });

  it('an expired session (no expires_in to go by) is renewed on INVALID_SESSION_ID and paging continues', async () => {
    const { batches, error } = await drain(directSource(salesforceConnector(sim)), {
      between: (n) => {
        if (n === 1) sim.tokens.expireAll();
      },
    });
    expect(error).toBeUndefined();
    const refs = batches.flatMap((b) => b.records.map((r) => String(r.raw.CaseNumber)));
    expect(refs.sort()).toEqual(sim.cases.map((c) => c.CaseNumber).sort());
    expect(sim.queries().map((q) => [q.status, q.locator?.split('-')[1] ?? 'q'])).toEqual([
      [200, 'q'],
      [401, '4'],
      [200, '4'],
      [200, '8'],
    ]);
    expect(sim.tokens.issued).toHaveLength(2);
  });

  it.each(["St George's & Hanham", "x\\' OR Ward__c != \\'", "'; DELETE FROM Case; --", 'Ünïcödé 🏠 עברית\nline'])(
    'a council value %j in a SOQL string literal matches exactly',
    async (ward) => {
      const expression = SOQL_CHANGES.replace('ORDER BY', 'AND Ward__c = {{ward}} ORDER BY');
      const { batches, error } = await drain(directSource(salesforceConnector(sim, { values: { ward }, filter: { dialect: 'soql', expression } })));
      expect(error).toBeUndefined();
      const expected = sim.cases.filter((c) => c.Ward__c === ward).map((c) => c.CaseNumber);
      expect(batches.flatMap((b) => b.records.map((r) => String(r.raw.CaseNumber)))).toEqual(expected);
      expect(sim.queries().every((q) => q.status === 200)).toBe(true);
    },
  );

  it('a malformed query is a non-retriable error carrying the server message', async () => {
    const { error } = await drain(directSource(salesforceConnector(sim, { filter: { dialect: 'soql', expression: 'SELECT Id FROM Case WHERE LastModifiedDate >> {{since}}' } })));
    expect(error).toMatchObject({ code: 'http_400', retriable: false });
    expect(error!.message).toContain('MALFORMED_QUERY');
  });
});
