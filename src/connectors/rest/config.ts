/**
 * Config of the `rest` connector kind: poll a supplier's REST/JSON API for records changed since
 * the last committed position, through whichever pagination style the API uses.
 */
import { z } from 'zod';
import { connectorBase, ListingSnapshot } from '../../config/common.js';
import { ByteSize, Duration, Secret } from '../../core/units.js';
import { DateFormat } from '../../core/date-format.js';
import { JsonPath } from '../shared/json-path.js';
import { RestFilter, RestGraphql } from './query/config.js';
import { CookieSessionAuth, OAuth2ClientCredentials } from './auth/config.js';


export const RestAuth = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }).strict(),
  z
    .object({
      type: z.literal('bearer'),
      token: Secret.describe('Bearer token; use ${env:NAME} or ${file:PATH}'),
    })
    .strict(),
  z
    .object({
      type: z.literal('api-key'),
      in: z.enum(['header', 'query']).default('header').describe('Send the key as a header (default) or a query parameter'),
      name: z.string().min(1).default('X-API-Key').describe('Header or query parameter name'),
      value: Secret.describe('The key; use ${env:NAME} or ${file:PATH}'),
    })
    .strict(),
  z
    .object({
      type: z.literal('basic'),
      username: z.string().min(1),
      password: Secret.describe('Use ${env:NAME} or ${file:PATH}'),
    })
    .strict(),
  OAuth2ClientCredentials,
  CookieSessionAuth,
]);
export type RestAuth = z.infer<typeof RestAuth>;

export const SinceFormat = z
  .union([
    z
      .enum(['iso', 'iso-utc', 'iso-local', 'epoch', 'epoch-ms'])
      .describe('iso: ISO 8601 with the offset of `zone`; iso-utc: ISO 8601 in UTC with Z; iso-local: ISO 8601 in `zone` without an offset (for servers that ignore offsets); epoch / epoch-ms: Unix seconds / milliseconds'),
    z.string().min(1).describe('A Luxon format such as "yyyy-MM-dd HH:mm:ss", written in `zone`'),
  ])
  .default('iso-utc');

export const RestSince = z
  .object({
    param: z
      .string()
      .min(1)
      .optional()
      .describe('Query parameter carrying the lower bound, e.g. updatedSince. Leave it out when the value goes into `filter`, `body` or GraphQL variables as {{since}}'),
    format: SinceFormat,
    zone: z.string().default('Europe/London').describe('IANA zone the value is written in (for iso, iso-local and Luxon formats)'),
    initial: z
      .string()
      .min(1)
      .describe('Where the first run starts: an ISO date-time with an offset (2025-01-01T00:00:00Z) or a duration before now (7d)'),
    untilParam: z
      .string()
      .min(1)
      .optional()
      .describe('Optional upper-bound parameter, sent as the time the run started, so the window stays fixed while paging'),
    overlap: Duration.default('0s').describe('Ask again for this much before the committed position, for records the supplier commits late; repeats are not re-published (same event ids, unchanged cases skipped)'),
    watermark: z
      .object({
        field: JsonPath.describe("Record field holding the record's last-update time, e.g. lastModified"),
        format: DateFormat.default('iso'),
        zone: z.string().default('Europe/London').describe('Zone for values without an offset'),
      })
      .strict()
      .optional()
      .describe('Advance the position to the newest update time seen in the records. Without it, the position advances to the time the run started'),
  })
  .strict();
export type RestSince = z.infer<typeof RestSince>;

const pageSizeFields = {
  sizeParam: z.string().min(1).optional().describe('Query parameter for the page size, e.g. pageSize or limit'),
  size: z.number().int().min(1).max(10_000).default(100).describe('Page size asked for'),
};

export const RestPagination = z.discriminatedUnion('style', [
  z.object({ style: z.literal('none') }).strict().describe('One request returns everything changed'),
  z
    .object({
      style: z.literal('page'),
      param: z.string().min(1).default('page'),
      first: z.number().int().min(0).default(1).describe('Number of the first page (1 or 0)'),
      ...pageSizeFields,
      hasMorePath: JsonPath.optional().describe('Boolean in the response saying more pages follow; without it a short or empty page ends the run'),
      totalPagesPath: JsonPath.optional().describe('Number of pages in the response, e.g. meta.totalPages: the run stops after that page'),
      totalPath: JsonPath.optional().describe('Number of records in the response, e.g. meta.total: the run stops once the pages read hold that many'),
    })
    .strict(),
  z
    .object({
      style: z.literal('offset'),
      offsetParam: z.string().min(1).default('offset'),
      limitParam: z.string().min(1).default('limit'),
      size: z.number().int().min(1).max(10_000).default(100).describe('Records asked for per request (the limit)'),
      hasMorePath: JsonPath.optional(),
      totalPath: JsonPath.optional().describe('Number of records in the response, e.g. meta.total: the run stops once the offset reaches it'),
    })
    .strict(),
  z
    .object({
      style: z.literal('cursor'),
      param: z.string().min(1).default('cursor').describe('Query parameter carrying the cursor'),
      path: JsonPath.describe('Where the next cursor is in the response, e.g. meta.nextCursor; empty or missing ends the run'),
      hasMorePath: JsonPath.optional().describe('Boolean saying more pages follow, e.g. data.cases.pageInfo.hasNextPage (GraphQL); false ends the run whatever the cursor'),
      ...pageSizeFields,
      expiredStatus: z
        .array(z.number().int().min(400).max(499))
        .default([410])
        .describe('Statuses meaning "this cursor has expired": the listing restarts from the committed position'),
    })
    .strict(),
  z
    .object({
      style: z.literal('next-link'),
      from: z.enum(['body', 'link-header']).default('body').describe('Read the next URL from the body (`path`) or the Link header (rel="next")'),
      path: JsonPath.optional().describe('Where the next URL is in the body, e.g. links.next'),
      ...pageSizeFields,
    })
    .strict()
    .refine((p) => p.from !== 'body' || p.path !== undefined, { message: 'next-link pagination from the body needs `path`, e.g. links.next', path: ['path'] }),
]);
export type RestPagination = z.infer<typeof RestPagination>;

export const RestConnectorConfig = connectorBase
  .extend({
    type: z.literal('rest'),
    baseUrl: z
      .string()
      .url()
      .regex(/^https?:\/\//i, 'an http:// or https:// URL')
      .describe('Scheme, host and port of the API, e.g. https://repairs.example.gov.uk; every request goes to this host only'),
    path: z.string().regex(/^\//, 'a path starting with /').describe('Path of the listing, e.g. /api/v2/cases'),
    query: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}).describe('Fixed query parameters sent with every request'),
    method: z.enum(['GET', 'POST']).default('GET').describe('GET (default), or POST for APIs that take the query in a request body (`body`)'),
    body: z
      .unknown()
      .optional()
      .describe('JSON request body for POST, a template: a string that is exactly "{{since}}" (or until, page, offset, size, cursor, or a `values` name) becomes that value as a JSON value; inside a longer string it is inserted into the string. Never built by string concatenation'),
    values: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a name of letters, digits and _'), z.union([z.string(), z.number(), z.boolean()]))
      .default({})
      .describe('Named values for {{name}} placeholders in `filter.expression`, `body` and GraphQL variables; quoted and escaped for where they go'),
    filter: RestFilter.optional(),
    graphql: RestGraphql.optional(),
    headers: z.record(z.string(), z.string()).default({}).describe('Fixed request headers'),
    auth: RestAuth.default({ type: 'none' }),
    since: RestSince.optional().describe('How to ask for records changed since the last run (required unless `snapshot` is set)'),
    snapshot: ListingSnapshot.optional().describe(
      'Full-listing mode: every poll returns ALL open cases (no `since`); a remembered open case the listing stops showing is closed. Without it, each poll asks for changes since the last one',
    ),
    pagination: RestPagination.default({ style: 'none' }),
    records: JsonPath.describe('Where the array of records is in the response, e.g. data or results; $ when the body is the array'),
    timeout: Duration.default('30s').describe('Whole-request deadline (connect, wait and read)'),
    maxResponseBytes: ByteSize.default('10MB').describe('Refuse a response larger than this (after decompression)'),
    redirects: z
      .enum(['refuse', 'same-host'])
      .default('refuse')
      .describe('refuse: a redirect is an error; same-host: follow up to 5 redirects on the configured host and port only'),
    maxPages: z.number().int().min(1).default(10_000).describe('Stop a run (with an error) after this many pages, in case the API loops'),
    retryAfterMax: Duration.default('30s').describe('On 429 / 503 with a Retry-After up to this long, wait and retry in the run (twice at most); longer waits are left to the connector backoff'),
    caFile: z.string().min(1).optional().describe('PEM file of extra certificate authorities for https'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (!c.snapshot && !c.since) ctx.addIssue({ code: 'custom', path: ['since'], message: 'a changes-since listing needs `since` (the query parameter and first start); for an API that lists every open case on each poll, set `snapshot` instead' });
    if (c.snapshot && c.since) ctx.addIssue({ code: 'custom', path: ['since'], message: 'snapshot mode reads the whole listing on every poll and sends no `since`; remove `since` (or `snapshot` if the API lists changes)' });
    checkRequestShape(c, ctx);
  });
export type RestConnectorConfig = z.infer<typeof RestConnectorConfig>;

/** The request-shape rules that zod cannot say field by field. */
function checkRequestShape(c: Omit<RestConnectorConfig, never>, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  if (c.body !== undefined && c.method !== 'POST' && !c.graphql) issue(['body'], 'a request `body` needs `method: POST`');
  if (c.graphql) {
    if (c.body !== undefined) issue(['body'], 'with `graphql` the body is the GraphQL query and variables; remove `body`');
    if (c.filter) issue(['filter'], 'with `graphql` put the since-value in `graphql.variables` as "{{since}}", not in `filter`');
    if (c.pagination.style !== 'none' && c.pagination.style !== 'cursor') issue(['pagination', 'style'], 'GraphQL pages by cursor: use `pagination: { style: cursor, path: <…pageInfo.endCursor>, hasMorePath: <…pageInfo.hasNextPage> }`, or none');
  }
  const names = new Set(['since', 'until', 'page', 'offset', 'size', 'cursor', ...Object.keys(c.values)]);
  const check = (text: string, path: (string | number)[]) => {
    for (const m of text.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) {
      if (!names.has(m[1]!)) issue(path, `unknown placeholder {{${m[1]}}}; expected one of ${[...names].map((n) => `{{${n}}}`).join(', ')} (add other names under \`values\`)`);
    }
  };
  const walk = (v: unknown, path: (string | number)[]) => {
    if (typeof v === 'string') check(v, path);
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  if (c.filter) check(c.filter.expression, ['filter', 'expression']);
  if (c.body !== undefined) walk(c.body, ['body']);
  if (c.graphql) walk(c.graphql.variables, ['graphql', 'variables']);
  if (c.since && !c.since.param) {
    const text = JSON.stringify([c.filter?.expression, c.body, c.graphql?.variables]) ?? '';
    const uses = /\{\{\s*since\s*\}\}/.test(text);
    if (!uses) issue(['since', 'param'], 'say where the since-value goes: `since.param` (a query parameter), or {{since}} in `filter.expression`, `body` or `graphql.variables`');
  }
}
