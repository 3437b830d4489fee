/**
 * The list call, page by page, for a time window and a full listing alike: fill in the paging
 * variables, call, find the items, decide whether this was the last page (short page, empty page,
 * the supplier's record or page total), and turn the items into records. The caller makes batches.
 */
import { ConfigError, SourceError, type ErrorContext } from '../../core/errors.js';
import type { SourceRecord, SourceReject } from '../../core/source.js';
import type { ListCall, Paging } from './config.js';
import { scalarText, selectAll, selectOne } from './path.js';
import { MissingTemplateValue, type TemplateVars } from './template.js';
import type { PreparedCall } from './calls.js';
import type { SoapSession } from './session.js';
import type { RecordsForPage } from './details.js';

export interface ListPage {
  page: number | undefined;
  /** The list call's answer, e.g. to explain an empty page. */
  result: unknown;
  items: unknown[];
  /** Items read so far in this window or listing, this page included. */
  seen: number;
  /** The record total the supplier announced, if configured and present. */
  total?: number;
  last: boolean;
  records: SourceRecord[];
  rejects: SourceReject[];
}

export interface ListPagesOptions {
  list: ListCall;
  listCall: PreparedCall;
  session: SoapSession;
  recordsForPage: RecordsForPage;
  baseContext: ErrorContext;
  /** `window` (changes in a time window) or `listing` (everything open now). */
  scope: 'window' | 'listing';
  /** Variables besides paging (the rendered window). */
  vars: TemplateVars;
  window: { since: Date; until: Date };
  /** Where to start: a resumed window continues after its last published page. */
  start: { page: number | undefined; seen: number };
}

export async function* listPages(opts: ListPagesOptions, signal: AbortSignal): AsyncGenerator<ListPage> {
  const { list } = opts;
  const paging = list.paging;
  let page = opts.start.page;
  let seen = opts.start.seen;
  for (let pagesRead = 0; ; pagesRead++) {
    if (signal.aborted) return;
    if (paging && pagesRead >= paging.maxPages) {
      const advice = opts.scope === 'window' ? 'window; lower window.maxSpan or raise paging.maxPages' : 'listing; raise paging.maxPages if the supplier really lists this many';
      throw new SourceError(`more than paging.maxPages (${paging.maxPages}) pages in one ${advice}`, { code: 'too_many_pages', retriable: false, context: { ...opts.baseContext, operation: list.operation, page } });
    }
    const callCtx = { ...opts.baseContext, operation: list.operation, ...(page !== undefined ? { page } : {}) };
    let result: unknown;
    try {
      result = await opts.session.invoke(opts.listCall, { ...opts.vars, ...pagingVars(paging, page, seen) }, signal, callCtx);
    } catch (e) {
      if (e instanceof MissingTemplateValue) throw new ConfigError(`list arguments: ${e.message}`, { context: callCtx });
      throw e;
    }
    const items = selectAll(result, list.records);
    seen += items.length;
    const total = countAt(result, paging?.total);
    // A full listing has always judged its end by records, not by the page count.
    const totalPages = opts.scope === 'window' ? countAt(result, paging?.totalPages) : undefined;
    const last = isLastPage(paging, { count: items.length, seen, page, total, totalPages });
    const { records, rejects } = await opts.recordsForPage(items, page, opts.window, signal);
    if (signal.aborted) return;
    yield { page, result, items, seen, ...(total !== undefined ? { total } : {}), last, records, rejects };
    if (last) return;
    page = (page as number) + 1;
  }
}

/** {{page}}, {{pageSize}} and {{offset}} for one page (offset counts items read when there is no page size). */
export function pagingVars(paging: Paging | undefined, page: number | undefined, seen: number): TemplateVars {
  if (!paging || page === undefined) return {};
  if (paging.pageSize !== undefined) return { page, pageSize: paging.pageSize, offset: (page - paging.start) * paging.pageSize };
  return { page, offset: seen };
}

export function isLastPage(paging: Paging | undefined, p: { count: number; seen: number; page: number | undefined; total?: number | undefined; totalPages?: number | undefined }): boolean {
  return (
    !paging ||
    p.count === 0 ||
    (paging.pageSize !== undefined && p.count < paging.pageSize) ||
    (p.total !== undefined && p.seen >= p.total) ||
    (p.totalPages !== undefined && p.page !== undefined && p.page - paging.start + 1 >= p.totalPages)
  );
}

/** A count the supplier reports (records or pages); undefined when absent or not a number. */
export function countAt(result: unknown, path: string | undefined): number | undefined {
  if (path === undefined) return undefined;
  const text = scalarText(selectOne(result, path));
  return text !== undefined && text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : undefined;
}
