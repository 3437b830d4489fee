/**
 * A GraphQL case API of the kind newer SaaS case platforms expose: a Relay-style connection
 * (`cases(updatedSince, first, after) { nodes pageInfo { hasNextPage endCursor } }`), served by the
 * graphql reference implementation, so validation and execution errors are the real thing:
 *  - errors come back with HTTP 200 and an `errors` array (partial `data` possible);
 *  - a rate limit is an error with extensions.code RATE_LIMITED, not a 429;
 *  - a wrong variable type is a validation error (BAD_USER_INPUT-like, no data at all);
 *  - cursors are opaque base64 strings; `first` is capped at 50.
 * Auth: a bearer API token.
 */
import { buildSchema, graphql, GraphQLError } from 'graphql';
import { sendJson, startSimServer, type SimServer } from './kit.js';

const SCHEMA = buildSchema(`
  scalar DateTime
  type Location { uprn: String postcode: String }
  type Case {
    id: ID!
    reference: String!
    title: String
    status: String!
    category: String
    createdAt: DateTime!
    updatedAt: DateTime!
    location: Location
    reporterEmail: String
  }
  type PageInfo { hasNextPage: Boolean! endCursor: String }
  type CaseConnection { nodes: [Case!]! pageInfo: PageInfo! totalCount: Int! }
  type Query { cases(updatedSince: DateTime!, first: Int = 20, after: String, category: String): CaseConnection! }
`);

export interface GqlCase {
  id: string;
  reference: string;
  title: string;
  status: string;
  category: string;
  createdAt: string;
  updatedAt: string;
  location: { uprn: string; postcode: string };
  reporterEmail: string;
}

export interface GraphqlCasesSimulator {
  url: string;
  server: SimServer;
  cases: GqlCase[];
  /** The next `times` queries fail with these GraphQL errors (HTTP 200). */
  failNext(errors: { message: string; code?: string }[], times?: number, withData?: boolean): void;
  close(): Promise<void>;
}

export async function startGraphqlCasesSimulator(opts: { cases?: number; token?: string } = {}): Promise<GraphqlCasesSimulator> {
  const base = Date.parse('2025-11-03T09:00:00Z');
  const statuses = ['OPEN', 'ASSIGNED', 'IN_PROGRESS', 'RESOLVED', 'CLOSED'];
  const cases: GqlCase[] = Array.from({ length: opts.cases ?? 9 }, (_, i) => ({
    id: `Q2FzZTo${1000 + i}`,
    reference: `ENV-2025-${String(300 + i).padStart(5, '0')}`,
    title: ['Noise from a party', 'Overflowing litter bin', 'Blocked drain'][i % 3]!,
    status: statuses[i % statuses.length]!,
    category: i === 4 ? 'Pest control "rats" & mice' : ['Noise', 'Litter', 'Drainage'][i % 3]!,
    createdAt: new Date(base - 86_400_000 + i * 60_000).toISOString(),
    updatedAt: new Date(base + i * 3 * 60_000).toISOString(),
    location: { uprn: String(200003380000 + i), postcode: ['LS1 1UR', 'LS2 8BH', 'LS6 1AN'][i % 3]! },
    reporterEmail: `reporter${i}@example.org`,
  }));
  const failures: { errors: { message: string; code?: string }[]; left: number; withData: boolean }[] = [];
  const token = opts.token ?? 'gql-api-token-1';

  const root = {
    cases: (args: { updatedSince: string; first: number; after?: string; category?: string }) => {
      const since = Date.parse(args.updatedSince);
      if (Number.isNaN(since)) throw new GraphQLError(`Invalid DateTime "${args.updatedSince}"`, { extensions: { code: 'BAD_USER_INPUT' } });
      const first = Math.min(args.first, 50);
      const list = cases.filter((c) => Date.parse(c.updatedAt) >= since && (args.category === undefined || c.category === args.category)).sort((a, b) => a.updatedAt.localeCompare(b.updatedAt));
      const start = args.after ? Number(Buffer.from(args.after, 'base64').toString('utf8').replace('offset:', '')) : 0;
      const nodes = list.slice(start, start + first);
      const end = start + nodes.length;
      return { nodes, totalCount: list.length, pageInfo: { hasNextPage: end < list.length, endCursor: nodes.length ? Buffer.from(`offset:${end}`).toString('base64') : null } };
    },
  };

  const server = await startSimServer(async (req, res) => {
    if (req.path !== '/graphql') return sendJson(res, 404, { message: 'Not found' });
    if (req.headers.authorization !== `Bearer ${token}`) return sendJson(res, 401, { errors: [{ message: 'Unauthenticated', extensions: { code: 'UNAUTHENTICATED' } }] });
    if (req.method !== 'POST') return sendJson(res, 405, { errors: [{ message: 'POST only' }] });
    let body: { query?: string; variables?: Record<string, unknown> };
    try {
      body = JSON.parse(req.body);
    } catch {
      return sendJson(res, 400, { errors: [{ message: 'Body is not JSON' }] });
    }
    const f = failures[0];
    if (f) {
      if (--f.left <= 0) failures.shift();
      return sendJson(res, 200, { errors: f.errors.map((e) => ({ message: e.message, locations: [{ line: 1, column: 3 }], path: ['cases'], ...(e.code ? { extensions: { code: e.code } } : {}) })), data: f.withData ? { cases: null } : null });
    }
    const result = await graphql({ schema: SCHEMA, source: String(body.query ?? ''), rootValue: root, variableValues: body.variables ?? {} });
    sendJson(res, 200, result);
  });
  return {
    url: server.url,
    server,
    cases,
    failNext: (errors, times = 1, withData = false) => failures.push({ errors, left: times, withData }),
    close: () => server.close(),
  };
}
