/**
 * GraphQL: the query and variables POSTed, the since-value a typed variable, pages by
 * pageInfo.endCursor while hasNextPage; `errors` arrays (with HTTP 200) are clear errors, retriable
 * only when the server's code says so.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startGraphqlCasesSimulator, type GraphqlCasesSimulator } from '../../simulators/rest/graphql-cases.js';
import { ISLINGTON, openHarness, type Harness } from '../helpers.js';
import { directSource, drain, expectContractValid } from './helpers.js';

let sim: GraphqlCasesSimulator;
let h: Harness | undefined;

const QUERY = `query Changed($since: DateTime!, $first: Int, $after: String, $category: String) {
  cases(updatedSince: $since, first: $first, after: $after, category: $category) {
    nodes { id reference title status category createdAt updatedAt location { uprn postcode } }
    pageInfo { hasNextPage endCursor }
  }
}`;

function gqlConnector(extra: Record<string, unknown> = {}, graphql: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'env-cases',
    type: 'rest',
    council: ISLINGTON.gss,
    system: { supplier: 'Example SaaS', product: 'Case GraphQL API' },
    retry: { initial: '10ms', max: '50ms' },
    baseUrl: sim.url,
    path: '/graphql',
    auth: { type: 'bearer', token: 'gql-api-token-1' },
    since: { initial: '2025-11-01T00:00:00Z', watermark: { field: 'updatedAt' } },
    graphql: { query: QUERY, variables: { since: '{{since}}', first: '{{size}}' }, ...graphql },
    pagination: { style: 'cursor', path: 'data.cases.pageInfo.endCursor', hasMorePath: 'data.cases.pageInfo.hasNextPage', size: 4 },
    records: 'data.cases.nodes',
    timeout: '10s',
    mapping: {
      reference: 'reference',
      supplierId: 'id',
      description: 'title',
      service: { code: 'category', name: 'category' },
      status: { code: 'status', lookup: 'gql-status' },
      openedAt: { path: 'createdAt', date: 'iso' },
      updatedAt: { path: 'updatedAt', date: 'iso' },
      location: { uprn: 'location.uprn', postcode: 'location.postcode' },
      lookups: { 'gql-status': { entries: { OPEN: { status: 'received' }, ASSIGNED: { status: 'in_progress' }, IN_PROGRESS: { status: 'in_progress' }, RESOLVED: { status: 'resolved' }, CLOSED: { status: 'closed' } } } },
    },
    ...extra,
  };
}

const posted = () => sim.server.requests.filter((r) => r.path === '/graphql').map((r) => ({ status: r.status, body: JSON.parse(r.body) as { query: string; variables: Record<string, unknown> } }));

beforeEach(async () => {
  sim = await startGraphqlCasesSimulator({ cases: 9 });
});
afterEach(async () => {
  await h?.gw.stop();
  h = undefined;
  await sim.close();
});

describe('graphql', () => {
  it('pages with the cursor variable until hasNextPage is false; events are contract-valid', async () => {
    h = await openHarness(gqlConnector());
    const [summary] = await h.gw.runAllOnce({ retry: false });
    expect(summary).toMatchObject({ status: 'ok', published: 9 });
    expectContractValid(h.publisher.events.map((e) => e.event));
    const run = posted().filter((p) => p.body.variables.since === '2025-11-01T00:00:00Z');
    expect(run.map((p) => p.body.variables)).toEqual([
      { since: '2025-11-01T00:00:00Z', first: 4 },
      { since: '2025-11-01T00:00:00Z', first: 4, after: Buffer.from('offset:4').toString('base64') },
      { since: '2025-11-01T00:00:00Z', first: 4, after: Buffer.from('offset:8').toString('base64') },
    ]);
    expect(run.every((p) => p.body.query === QUERY)).toBe(true);
  });

  it('a value with quotes and ampersands is a JSON variable, matched exactly', async () => {
    const category = 'Pest control "rats" & mice';
    const { batches, error } = await drain(directSource(gqlConnector({ values: { category } }, { variables: { since: '{{since}}', first: '{{size}}', category: '{{category}}' } })));
    expect(error).toBeUndefined();
    expect(batches.flatMap((b) => b.records.map((r) => r.raw.category))).toEqual([category]);
  });

  it('a rate-limit error (HTTP 200, errors[].extensions.code) is retriable, with the server message', async () => {
    sim.failNext([{ message: 'Too many requests, retry in 30s', code: 'RATE_LIMITED' }]);
    const { error } = await drain(directSource(gqlConnector()));
    expect(error).toMatchObject({ code: 'graphql_errors', retriable: true, context: { graphqlCode: 'RATE_LIMITED' } });
    expect(error!.message).toMatch(/failed with 1 error: Too many requests, retry in 30s at cases \[RATE_LIMITED\] \(the server says to try again later\)/);
  });

  it('an error mid-paging with partial data stops the run, after the pages already read', async () => {
    const s = directSource(gqlConnector());
    const { batches, error } = await drain(s, { between: (n) => n === 1 && sim.failNext([{ message: 'Resolver exploded', code: 'SOME_BUG' }], 1, true) });
    expect(batches).toHaveLength(1);
    expect(error).toMatchObject({ code: 'graphql_errors', retriable: false });
  });

  it('a query the schema rejects is a non-retriable error quoting the validation message', async () => {
    const { error } = await drain(directSource(gqlConnector({}, { query: QUERY.replace('title', 'titel') })));
    expect(error).toMatchObject({ code: 'graphql_errors', retriable: false });
    expect(error!.message).toContain('Cannot query field "titel" on type "Case"');
  });

  it('a wrong variable type is rejected by the server, not silently sent as text', async () => {
    const { error } = await drain(directSource(gqlConnector({}, { variables: { since: '{{since}}', first: 'four' } })));
    expect(error).toMatchObject({ code: 'graphql_errors', retriable: false });
    expect(error!.message).toMatch(/\$first.*got invalid value "four"/);
  });

  it('config: with graphql, a page-number pagination is refused', () => {
    expect(() => directSource(gqlConnector({ pagination: { style: 'page' } }))).toThrow(/GraphQL pages by cursor/);
  });
});
