/**
 * Alloy end to end: API key, AQS query POSTed with the since-value as a JSON value, page numbers,
 * values found by attributeCode whatever their order, GeoJSON [lon, lat], status item links.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAlloySimulator, type AlloySimulator } from '../../simulators/rest/alloy.js';
import { openHarness, type Harness } from '../helpers.js';
import { alloyConnector, alloyQuery } from './configs.js';
import { directSource, drain, expectContractValid } from './helpers.js';

let sim: AlloySimulator;
let h: Harness | undefined;

beforeEach(async () => {
  sim = await startAlloySimulator({ enquiries: 13 });
});
afterEach(async () => {
  await h?.gw.stop();
  h = undefined;
  await sim.close();
});

const bodies = () => sim.server.requests.filter((r) => r.path === '/api/aqs/query').map((r) => ({ status: r.status, page: r.query.page, body: JSON.parse(r.body) }));

describe('alloy (AQS POST queries, API key) through the gateway', () => {
  it('publishes contract-valid events for every enquiry, then only what changed', async () => {
    h = await openHarness(alloyConnector(sim, { auth: { type: 'bearer', token: '${env:ALLOY_API_KEY}' } }), { env: { ALLOY_API_KEY: 'alloy-api-key-0f9e8d7c' } });
    const [first] = await h.gw.runAllOnce({ retry: false });
    expect(first).toMatchObject({ status: 'ok', published: 13 });
    expectContractValid(h.publisher.events.map((e) => e.event));
    const e0 = sim.enquiries[0]!;
    const ev = h.byRef().get(e0.reference)!;
    expect(ev.data.case.status).toMatchObject({ lifecycle: 'received', code: '5f3a1c2b9e0d4a0017aa0001' });
    expect(ev.data.location).toMatchObject({ uprn: e0.uprn, latitude: e0.lat, longitude: e0.lon });
    expect(JSON.stringify(h.publisher.events)).not.toContain('@example.org');
    const run = bodies().filter((b) => JSON.stringify(b.body).includes('2025-11-01T00:00:00Z'));
    expect(run.map((b) => b.page)).toEqual(['1', '2', '3']);
    expect(run[0]!.body.aqs.children[0].children[0].children[1]).toEqual({ type: 'DateTime', properties: { value: ['2025-11-01T00:00:00Z'] } });

    sim.update(sim.enquiries[4]!.reference, { statusItemId: '5f3a1c2b9e0d4a0017aa0004' }, '2025-11-05T10:00:00Z');
    const [second] = await h.gw.runAllOnce({ retry: false });
    expect(second).toMatchObject({ status: 'ok', published: 1 });
    expect(h.publisher.events.at(-1)!.event.data.case.status.lifecycle).toBe('resolved');
    // From the newest lastEditDate of the first run, milliseconds and all.
    expect(JSON.stringify(bodies().at(-1)!.body)).toContain('"value":["2025-11-03T10:12:00.417Z"]');
  });

  it.each(["Overgrown Hedge (Owner's)", '"}]}],"x":{"y":"', 'Pothole\\", \\"type\\": \\"Or', '🚧 حفرة\nPothole'])('a council value %j goes into the AQS body as one JSON string', async (category) => {
    const body = alloyQuery([{ type: 'Equals', children: [{ type: 'Attribute', properties: { attributeCode: 'attributes_customerEnquiriesCategory' } }, { type: 'String', properties: { value: ['{{category}}'] } }] }]);
    const { batches, error } = await drain(directSource(alloyConnector(sim, { values: { category }, body })));
    expect(error).toBeUndefined();
    const expected = sim.enquiries.filter((e) => e.category === category).length;
    expect(batches.flatMap((b) => b.records)).toHaveLength(expected);
    const sent = bodies()[0]!.body;
    expect(sent.aqs.children[0].children[1].children[1].properties.value).toEqual([category]);
    expect(Object.keys(sent)).toEqual(['aqs']);
  });

  it('a revoked API key is a non-retriable 401 with the supplier message', async () => {
    const { error } = await drain(directSource(alloyConnector(sim, { auth: { type: 'bearer', token: 'revoked-key' } })));
    expect(error).toMatchObject({ code: 'http_401', retriable: false });
    expect(error!.message).toContain('The API key is missing, invalid or has been revoked');
    expect(error!.message).not.toContain('revoked-key');
  });
});
