/**
 * Dynamics 365 end to end through the gateway: OAuth2 token, OData $filter with the since-value,
 * absolute @odata.nextLink pages, contract-valid events; a second run asks from the watermark; a
 * council value full of quotes and ampersands filters exactly, and cannot widen the query.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDynamics365Simulator, type Dynamics365Simulator } from '../../simulators/rest/dynamics365.js';
import { openHarness, type Harness } from '../helpers.js';
import { dynamics365Connector } from './configs.js';
import { expectContractValid } from './helpers.js';

let sim: Dynamics365Simulator;
let h: Harness | undefined;

beforeEach(async () => {
  sim = await startDynamics365Simulator({ incidents: 10 });
});
afterEach(async () => {
  await h?.gw.stop();
  h = undefined;
  await sim.close();
});

describe('dynamics 365 (OData + OAuth2) through the gateway', () => {
  it('publishes contract-valid events for every incident, then only what changed', async () => {
    h = await openHarness(dynamics365Connector(sim, { auth: { ...(dynamics365Connector(sim).auth as object), clientSecret: '${env:D365_SECRET}' } }), { env: { D365_SECRET: 'd365~secret.Value_123' } });
    const [first] = await h.gw.runAllOnce({ retry: false });
    expect(first).toMatchObject({ status: 'ok', published: 10 });
    const events = h.publisher.events.map((e) => e.event);
    expectContractValid(events);
    const byRef = h.byRef();
    const solved = sim.incidents.find((i) => i.statuscode === 5)!;
    expect(byRef.get(solved.ticketnumber)!.data.case.status).toMatchObject({ lifecycle: 'resolved', code: '5', label: 'Problem Solved' });
    expect(byRef.get(sim.incidents[0]!.ticketnumber)!.data.location).toMatchObject({ uprn: sim.incidents[0]!.new_uprn });
    // No personal data mapped, none published.
    expect(JSON.stringify(events)).not.toContain('@example.org');

    // The start-up check asks from "now"; the run from since.initial.
    const filters = sim.api.requests.map((r) => r.query.$filter).filter(Boolean);
    expect(filters).toContain('modifiedon ge 2025-11-01T00:00:00Z');

    sim.update(sim.incidents[2]!.ticketnumber, { statuscode: 5 }, '2025-11-04T12:00:00Z');
    const [second] = await h.gw.runAllOnce({ retry: false });
    expect(second).toMatchObject({ status: 'ok', published: 1 });
    const lastFilter = sim.api.requests.filter((r) => r.query.$filter).at(-1)!.query.$filter;
    // From the newest modifiedon of the first run (incident 9: base + 45 min).
    expect(lastFilter).toBe('modifiedon ge 2025-11-03T09:45:00Z');
    expect(h.publisher.events.at(-1)!.event.data.case.status.lifecycle).toBe('resolved');
  });

  it.each(["O'Brien & Sons #1 Ltd", "' or ticketnumber ne '", "x' or 1 eq 1 or 'a' eq 'a"])('a council value %j filters exactly and cannot widen the query', async (contractor) => {
    h = await openHarness(
      dynamics365Connector(sim, {
        values: { contractor },
        filter: { dialect: 'odata', expression: 'modifiedon ge {{since}} and new_contractor eq {{contractor}}' },
        query: { $select: 'incidentid,ticketnumber,title,statuscode,createdon,modifiedon,new_uprn,new_postcode,new_servicearea,new_contractor', $orderby: 'modifiedon asc' },
      }),
    );
    const [summary] = await h.gw.runAllOnce({ retry: false });
    const expected = sim.incidents.filter((i) => i.new_contractor === contractor).map((i) => i.ticketnumber);
    expect(summary).toMatchObject({ status: 'ok', published: expected.length });
    expect([...h.byRef().keys()]).toEqual(expected);
    // The server read one condition per clause: the value never became syntax.
    expect(sim.api.requests.filter((r) => r.query.$filter).every((r) => r.status === 200)).toBe(true);
  });
});
