/** Config of the query parts of a REST request: a filter expression in a query language, GraphQL. */
import { z } from 'zod';
import { JsonPath } from '../../shared/json-path.js';

export type FilterDialect = z.infer<typeof FilterDialect>;
export const FilterDialect = z
  .enum(['odata', 'soql'])
  .describe('odata: OData v4 $filter (Dynamics 365, SharePoint); soql: Salesforce SOQL');

export const RestFilter = z
  .object({
    dialect: FilterDialect,
    param: z.string().min(1).optional().describe('Query parameter carrying the expression; default $filter for odata, q for soql'),
    expression: z
      .string()
      .min(1)
      .describe(
        'The expression, with {{since}}, {{until}} and {{name}} (from `values`) where values go, e.g. "modifiedon gt {{since}}" or "SELECT Id FROM Case WHERE LastModifiedDate > {{since}}". Values are written as literals of the dialect (dates unquoted, strings quoted and escaped), never pasted in as text',
      ),
  })
  .strict()
  .describe('Put the since-value (and other values) inside a filter expression of a query language');
export type RestFilter = z.infer<typeof RestFilter>;

export const RestGraphql = z
  .object({
    query: z.string().min(1).describe('The GraphQL query document, declaring its variables, e.g. query Cases($since: DateTime!, $after: String) { … }'),
    variables: z
      .record(z.string(), z.unknown())
      .default({})
      .describe('Variables sent with the query; "{{since}}", "{{size}}" and `values` names become JSON values'),
    cursorVariable: z.string().min(1).default('after').describe('Variable carrying the cursor of the next page (left out on the first page)'),
    retriableCodes: z
      .array(z.string().min(1))
      .default(['INTERNAL_SERVER_ERROR', 'SERVICE_UNAVAILABLE', 'TIMEOUT', 'RATE_LIMITED', 'THROTTLED'])
      .describe('errors[].extensions.code values meaning "try again later"; any other error in `errors` stops the connector'),
    dataPath: JsonPath.default('data').describe('Where the query result is; a response with `errors` and no usable result is an error'),
  })
  .strict()
  .describe('Send a GraphQL query (POST {query, variables}) and page with a cursor variable');
export type RestGraphql = z.infer<typeof RestGraphql>;
