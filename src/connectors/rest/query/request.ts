/**
 * From a listing URL and the values of this page (since, until, page, offset, size, cursor) to the
 * request sent: the filter expression put in its query parameter, a POST body rendered from its
 * template, or a GraphQL query and variables.
 */
import type { RestConnectorConfig } from '../config.js';
import type { RestRequest } from '../http-client.js';
import { graphqlBody } from '../graphql.js';
import { renderExpression, renderJson, setQueryParam, type TemplateValues } from './dialects.js';

export interface PageValues {
  since?: string;
  until?: string;
  page?: number;
  offset?: number;
  size?: number;
  cursor?: string;
  /** The URL is a next link from the previous answer, which already carries the query. */
  nextLink?: boolean;
}

export function createRequestBuilder(config: RestConnectorConfig): (url: URL, page: PageValues) => RestRequest {
  const filter = config.filter;
  const graphql = config.graphql;
  const filterParam = filter ? (filter.param ?? (filter.dialect === 'odata' ? '$filter' : 'q')) : undefined;

  return (listingUrl, page) => {
    const url = new URL(listingUrl.href);
    const values: TemplateValues = {
      ...config.values,
      since: page.since !== undefined ? { dateTime: page.since } : null,
      until: page.until !== undefined ? { dateTime: page.until } : null,
      page: page.page ?? null,
      offset: page.offset ?? null,
      size: page.size ?? null,
      cursor: page.cursor ?? null,
    };
    // A next link (Salesforce nextRecordsUrl, OData @odata.nextLink) already carries the query.
    if (filter && filterParam && !page.nextLink) {
      setQueryParam(url, filterParam, renderExpression(filter.expression, filter.dialect, values));
    }
    if (graphql) {
      if (config.pagination.style === 'cursor') url.searchParams.delete(config.pagination.param);
      return { url, method: 'POST', body: graphqlBody(graphql, values, page.cursor), contentType: 'application/json' };
    }
    if (config.method === 'POST') {
      return { url, method: 'POST', body: JSON.stringify(config.body === undefined ? {} : renderJson(config.body, values)), contentType: 'application/json' };
    }
    return { url, method: 'GET' };
  };
}

