/**
 * The one page loop of a REST run, for a changes-since run and a full listing alike: fetch the
 * page the run stands on, read its items, work out the next page, and hand each page to the
 * caller, which turns it into batches. An expired cursor restarts the run from its first page a
 * couple of times (repeats publish nothing); a listing longer than maxPages stops the run.
 */
import { CasebridgeError, SourceError } from '../../core/errors.js';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { RestPagination, RestSince } from './config.js';
import type { JsonResponse } from './http-client.js';
import type { Paging } from './paging.js';
import { restartRun, type RunState } from './run-state.js';
import { readPageItems, type PageItems } from './page-items.js';

export const MAX_CURSOR_RESTARTS = 2;

export interface PageLoopOptions {
  connector: string;
  operation: string;
  /** `run` (changes since) or `listing` (full listing), as named in messages. */
  scope: 'run' | 'listing';
  maxPages: number;
  pagination: RestPagination;
  paging: Paging;
  recordsPath: string;
  watermark?: NonNullable<RestSince['watermark']> | undefined;
  /** One page's request (`run` says which page; a POST body or filter may carry its values) and its JSON answer. */
  getJson(url: URL, signal: AbortSignal, run: RunState): Promise<JsonResponse>;
  /** The array of items in a response; throws when there is none. */
  recordsOf(res: JsonResponse, url: URL): unknown[];
  clock: Clock;
  logger: Logger;
  /** Logged when an expired cursor restarts the run. */
  restartMessage: string;
}

export interface FetchedPage extends Omit<PageItems, 'high' | 'thisPage'> {
  /** The run as it stood on this page, with the newest update time seen so far. */
  run: RunState;
  /** The next page; undefined when this was the last. */
  next: RunState | undefined;
}

/** Pages in order from `start` until the last one, or until the signal aborts. */
export async function* pageLoop(start: RunState, opts: PageLoopOptions, signal: AbortSignal): AsyncGenerator<FetchedPage> {
  const { paging, logger } = opts;
  let run = start;
  let restarts = 0;
  // A page that repeats the last records of the previous one must not produce those records
  // twice; one page of fingerprints is all we keep.
  let previousPage = new Set<string>();
  while (!signal.aborted) {
    if (run.pages >= opts.maxPages) {
      throw new SourceError(`more than maxPages (${opts.maxPages}) pages in one ${opts.scope}; the API may be looping — raise maxPages if it is genuinely this large`, {
        code: 'too_many_pages',
        retriable: false,
        context: { connector: opts.connector, operation: opts.operation },
      });
    }
    const url = paging.urlFor(run);
    let res: JsonResponse;
    try {
      res = await opts.getJson(url, signal, run);
    } catch (err) {
      if (cursorExpired(err, run, opts.pagination) && restarts < MAX_CURSOR_RESTARTS) {
        restarts++;
        logger.warn({ status: (err as CasebridgeError).context.status, pages: run.pages }, opts.restartMessage);
        run = restartRun(run);
        previousPage = new Set();
        continue;
      }
      throw err;
    }
    if (signal.aborted) return;
    const fetchedAt = opts.clock.now().toISOString();
    const items = opts.recordsOf(res, url);
    const page = readPageItems(items, {
      recordsPath: opts.recordsPath,
      position: paging.positionFor(run),
      fetchedAt,
      previousPage,
      watermark: opts.watermark,
      high: run.high ? Date.parse(run.high) : undefined,
    });
    if (page.repeats) logger.debug({ repeats: page.repeats, page: run.pages + 1 }, 'skipped records repeated from the previous page');
    previousPage = page.thisPage;
    const withHigh: RunState = { ...run, ...(page.high !== undefined ? { high: new Date(page.high).toISOString() } : {}) };
    const next = paging.advance(withHigh, res, url, items.length);
    yield { records: page.records, rejects: page.rejects, repeats: page.repeats, run: withHigh, next };
    if (!next) return;
    run = next;
  }
}

/** The supplier forgot a cursor it gave us (an expired-cursor status on a page after the first). */
export function cursorExpired(err: unknown, run: RunState, pagination: RestPagination): boolean {
  const status = err instanceof CasebridgeError ? err.context.status : undefined;
  return pagination.style === 'cursor' && run.cursor !== undefined && typeof status === 'number' && pagination.expiredStatus.includes(status);
}
