/**
 * GraphQL over HTTP: the query and its variables in a POST body, and the `errors` array of the
 * answer read as what it is — a failed query, even with HTTP 200. Whether waiting helps is the
 * server's to say (extensions.code); anything else stops the connector with the server's words.
 */
import { SourceError } from '../../core/errors.js';
import { getAtPath } from '../shared/json-path.js';
import { snippet } from '../shared/safe-json.js';
import type { RestGraphql } from './query/config.js';
import { renderJson, type TemplateValues } from './query/dialects.js';

export function graphqlBody(cfg: RestGraphql, values: TemplateValues, cursor: string | undefined): string {
  const variables = renderJson(cfg.variables, values) as Record<string, unknown>;
  if (cursor !== undefined) variables[cfg.cursorVariable] = cursor;
  return JSON.stringify({ query: cfg.query, variables });
}

interface GraphqlError {
  message?: unknown;
  path?: unknown;
  extensions?: { code?: unknown; retriable?: unknown };
}

/** Throws when the answer carries errors, or no result at `dataPath`. */
export function checkGraphqlAnswer(body: unknown, cfg: RestGraphql, context: { connector: string; operation: string; url: string }): void {
  const errors = body && typeof body === 'object' ? (body as { errors?: unknown }).errors : undefined;
  if (Array.isArray(errors) && errors.length > 0) {
    const list = errors as GraphqlError[];
    const codes = list.map((e) => (e && typeof e === 'object' && typeof e.extensions?.code === 'string' ? e.extensions.code : undefined));
    const retriable = codes.some((c) => c !== undefined && cfg.retriableCodes.includes(c));
    const described = list
      .slice(0, 3)
      .map((e, i) => {
        const msg = e && typeof e === 'object' && typeof e.message === 'string' ? e.message : JSON.stringify(e);
        const path = e && typeof e === 'object' && Array.isArray(e.path) ? ` at ${e.path.join('.')}` : '';
        return `${snippet(msg, 160)}${path}${codes[i] ? ` [${codes[i]}]` : ''}`;
      })
      .join('; ');
    throw new SourceError(
      `GraphQL query to ${context.url} failed with ${list.length} error${list.length === 1 ? '' : 's'}: ${described}${list.length > 3 ? '; …' : ''}${retriable ? ' (the server says to try again later)' : ''}`,
      { code: 'graphql_errors', retriable, context: { ...context, ...(codes.find(Boolean) ? { graphqlCode: codes.find(Boolean)! } : {}) } },
    );
  }
  const data = getAtPath(body, cfg.dataPath);
  if (data === undefined || data === null) {
    throw new SourceError(`GraphQL answer from ${context.url} has no result at "${cfg.dataPath}" and no errors`, { code: 'graphql_no_data', retriable: false, context });
  }
}
