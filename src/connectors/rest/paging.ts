/**
 * How a REST listing pages: the URL of the page a run stands on, where a response says the next
 * page is, and how a page is named in record positions. One paging serves both modes (a
 * changes-since run and a full listing); it knows nothing about batches or checkpoints.
 */
import type { SourcePosition } from '../../core/position.js';
import { SourceError } from '../../core/errors.js';
import type { RestPagination, RestSince } from './config.js';
import type { JsonResponse } from './http-client.js';
import { getAtPath } from '../shared/json-path.js';
import { formatSince } from './since.js';
import type { RunState } from './run-state.js';

export type { RunState };

export interface PagingOptions {
  connector: string;
  origin: string;
  /** Path of the listing on the origin (base URL path + configured path). */
  listingPath: string;
  query: Record<string, string | number | boolean>;
  since?: RestSince | undefined;
  pagination: RestPagination;
  /** `GET /path`, for positions and error context. */
  operation: string;
  /** A URL as it may appear in messages (credentials in the query masked). */
  display(url: URL): string;
}

export interface Paging {
  /** The URL of the page the run stands on. */
  urlFor(run: RunState): URL;
  /** The first page of a run, ignoring a next link (the start-up check asks for this). */
  firstPageUrl(run: RunState): URL;
  /** Work out the next page from this response; undefined when the run is complete. */
  advance(run: RunState, res: JsonResponse, url: URL, count: number): RunState | undefined;
  positionFor(run: RunState): SourcePosition;
}

export function createPaging(opts: PagingOptions): Paging {
  const { connector, origin, pagination, operation, since, display } = opts;

  function firstPageUrl(run: RunState): URL {
    const url = new URL(opts.listingPath, origin);
    for (const [k, v] of Object.entries(opts.query)) url.searchParams.set(k, String(v));
    if (since) {
      if (since.param) url.searchParams.set(since.param, formatSince(run.since, since.format, since.zone));
      if (since.untilParam) url.searchParams.set(since.untilParam, formatSince(run.until, since.format, since.zone));
    }
    switch (pagination.style) {
      case 'page':
        url.searchParams.set(pagination.param, String(run.page ?? pagination.first));
        if (pagination.sizeParam) url.searchParams.set(pagination.sizeParam, String(pagination.size));
        break;
      case 'offset':
        url.searchParams.set(pagination.offsetParam, String(run.offset ?? 0));
        url.searchParams.set(pagination.limitParam, String(pagination.size));
        break;
      case 'cursor':
        if (pagination.sizeParam) url.searchParams.set(pagination.sizeParam, String(pagination.size));
        if (run.cursor !== undefined) url.searchParams.set(pagination.param, run.cursor);
        break;
      case 'next-link':
        if (pagination.sizeParam) url.searchParams.set(pagination.sizeParam, String(pagination.size));
        break;
      case 'none':
        break;
    }
    return url;
  }

  function urlFor(run: RunState): URL {
    if (pagination.style === 'next-link' && run.next !== undefined) return new URL(run.next, origin);
    return firstPageUrl(run);
  }

  function advance(run: RunState, res: JsonResponse, url: URL, count: number): RunState | undefined {
    const next: RunState = { ...run, pages: run.pages + 1 };
    switch (pagination.style) {
      case 'none':
        return undefined;
      case 'page':
      case 'offset': {
        if (count === 0 || !morePages(pagination, res.body, run, count)) return undefined;
        if (pagination.style === 'page') next.page = (run.page ?? pagination.first) + 1;
        else next.offset = (run.offset ?? 0) + count;
        return next;
      }
      case 'cursor': {
        if (pagination.hasMorePath !== undefined && !truthy(getAtPath(res.body, pagination.hasMorePath))) return undefined;
        const c = getAtPath(res.body, pagination.path);
        if (c === undefined || c === null || c === '' || c === false) return undefined;
        const cursor = String(c);
        if (cursor === run.cursor) {
          throw new SourceError(`${display(url)} returned the same cursor it was given; stopping the run rather than looping`, {
            code: 'cursor_loop',
            retriable: false,
            context: { connector, operation, cursor },
          });
        }
        next.cursor = cursor;
        return next;
      }
      case 'next-link': {
        const link = pagination.from === 'link-header' ? nextFromLinkHeader(res.headers['link']) : getAtPath(res.body, pagination.path!);
        if (link === undefined || link === null || link === '') return undefined;
        let target: URL;
        try {
          target = new URL(String(link), res.url);
        } catch {
          throw new SourceError(`next link "${String(link)}" from ${display(url)} is not a URL`, { code: 'bad_next_link', retriable: false, context: { connector, operation } });
        }
        if (target.origin !== origin) {
          throw new SourceError(`next link from ${display(url)} points to another host (${target.origin}); requests go to ${origin} only`, {
            code: 'foreign_host',
            retriable: false,
            context: { connector, operation, url: display(url) },
          });
        }
        const rel = `${target.pathname}${target.search}`;
        if (rel === `${url.pathname}${url.search}`) {
          throw new SourceError(`${display(url)} links to itself as the next page; stopping the run rather than looping`, { code: 'next_link_loop', retriable: false, context: { connector, operation } });
        }
        next.next = rel;
        return next;
      }
    }
  }

  function positionFor(run: RunState): SourcePosition {
    const pageNo = run.pages + 1;
    switch (pagination.style) {
      case 'page':
        return { operation, page: run.page ?? pagination.first };
      case 'cursor':
        return run.cursor !== undefined ? { operation, cursor: run.cursor } : { operation, page: pageNo };
      default:
        return { operation, page: pageNo };
    }
  }

  return { urlFor, firstPageUrl, advance, positionFor };
}

/** `<https://h/p?page=2>; rel="next", <…>; rel="last"` → the rel=next URL. */
export function nextFromLinkHeader(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (m && /\brel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?/i.test(m[2]!)) return m[1];
  }
  return undefined;
}

/**
 * Whether a page or offset listing goes on: the supplier's own "more" flag, else its page or
 * record total, else a full page means there may be another.
 */
export function morePages(p: Extract<RestPagination, { style: 'page' | 'offset' }>, body: unknown, run: RunState, count: number): boolean {
  if (p.hasMorePath !== undefined) return truthy(getAtPath(body, p.hasMorePath));
  const totalPages = p.style === 'page' ? countAt(body, p.totalPagesPath) : undefined;
  const total = countAt(body, p.totalPath);
  if (p.style === 'page') {
    const pagesRead = (run.page ?? p.first) - p.first + 1;
    if (totalPages !== undefined) return pagesRead < totalPages;
    if (total !== undefined) return pagesRead * p.size < total;
  } else if (total !== undefined) {
    return (run.offset ?? 0) + count < total;
  }
  return count >= p.size;
}

function truthy(v: unknown): boolean {
  return v === true || v === 'true' || v === 1 || v === '1';
}

function countAt(body: unknown, path: string | undefined): number | undefined {
  if (path === undefined) return undefined;
  const v = getAtPath(body, path);
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}
