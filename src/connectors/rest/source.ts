/**
 * REST/JSON polling: one run lists the records changed since the committed position, page by page
 * in whichever style the API pages, and yields a batch per page. Mid-run batches carry the page
 * state so a crash resumes on the next page; the last batch moves the position to the newest
 * update seen (or the time the run started). The runtime commits each checkpoint only after the
 * batch's events are durable — this source never commits anything itself.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { durationMs } from '../../core/units.js';
import { CasebridgeError, ConfigError, isRetriable, SourceError } from '../../core/errors.js';
import type { SourcePosition } from '../../event/case-event.js';
import { ignoreOutcome, type Checkpoint, type ReadContext, type Source, type SourceBatch, type SourceDeps, type SourceRecord, type SourceReject } from '../../core/source.js';
import { type RestConnectorConfig, type RestPagination } from './config.js';
import { byteSize } from '../../core/units.js';
import { createRestHttp, type JsonResponse } from './http-client.js';
import { describeShape, getAtPath } from '../shared/json-path.js';
import { checkZone, formatSince, initialSince, readRecordTime } from './since.js';
import { createRequestBuilder, type PageValues } from './query/request.js';
import { checkGraphqlAnswer } from './graphql.js';

/** Where an unfinished run stands; stored in the checkpoint between pages. */
export interface RunState {
  /** Lower bound this run asks for (committed position minus overlap), ISO UTC. */
  since: string;
  /** When the run started, ISO UTC: the upper bound, and the next position without a watermark. */
  until: string;
  /** Newest record update time seen so far in this run, ISO UTC. */
  high?: string;
  /** Pages fetched so far in this run. */
  pages: number;
  page?: number;
  offset?: number;
  cursor?: string;
  /** next-link style: path and query of the next page on the configured host. */
  next?: string;
}

export interface RestCheckpoint {
  /** Committed lower bound for the next run, ISO UTC. */
  since: string;
  /** Present while a run is part-way through its pages. */
  run?: RunState;
}

const MAX_CURSOR_RESTARTS = 2;

export function createRestSourceImpl(config: RestConnectorConfig, deps: SourceDeps): Source {
  const { connector, clock, logger } = deps;
  const since = config.since;
  if (!since && !config.snapshot) throw new ConfigError('a changes-since listing needs `since`, or `snapshot` for a full listing', { context: { connector, field: 'since' } });
  if (since && !checkZone(since.zone)) throw new ConfigError(`since.zone "${since.zone}" is not an IANA time zone`, { context: { connector, field: 'since.zone' } });
  if (since?.watermark && !checkZone(since.watermark.zone)) {
    throw new ConfigError(`since.watermark.zone "${since.watermark.zone}" is not an IANA time zone`, { context: { connector, field: 'since.watermark.zone' } });
  }
  try {
    if (since) initialSince(since.initial, clock.now());
  } catch (err) {
    throw new ConfigError((err as Error).message, { context: { connector, field: 'since.initial' } });
  }
  let ca: string | undefined;
  if (config.caFile) {
    const file = isAbsolute(config.caFile) ? config.caFile : resolve(deps.baseDir, config.caFile);
    try {
      ca = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read caFile ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { context: { connector, field: 'caFile' } });
    }
  }

  const base = new URL(config.baseUrl);
  const origin = base.origin;
  const listingPath = `${base.pathname.replace(/\/+$/, '')}${config.path}`;
  const operation = `${config.graphql || config.method === 'POST' ? 'POST' : 'GET'} ${config.path}`;
  const overlapMs = since ? durationMs(since.overlap) : 0;
  const pagination = config.pagination;
  const http = createRestHttp({
    connector,
    origin,
    auth: config.auth,
    headers: config.headers,
    timeoutMs: durationMs(config.timeout),
    maxBytes: byteSize(config.maxResponseBytes),
    redirects: config.redirects,
    retryAfterMaxMs: durationMs(config.retryAfterMax),
    ...(ca ? { ca } : {}),
    logger,
    clock,
  });
  const buildRequest = createRequestBuilder(config);
  let closed = false;

  const newRun = (committedSince: string, high?: string): RunState => ({
    since: new Date(Date.parse(committedSince) - overlapMs).toISOString(),
    until: clock.now().toISOString(),
    pages: 0,
    ...(high ? { high } : {}),
  });

  function firstPageUrl(run: RunState): URL {
    const url = new URL(listingPath, origin);
    for (const [k, v] of Object.entries(config.query)) url.searchParams.set(k, String(v));
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

  function pageValues(run: RunState): PageValues {
    return {
      ...(since ? { since: formatSince(run.since, since.format, since.zone), until: formatSince(run.until, since.format, since.zone) } : {}),
      ...(pagination.style === 'page' ? { page: run.page ?? pagination.first } : {}),
      ...(pagination.style === 'offset' ? { offset: run.offset ?? 0 } : {}),
      ...(pagination.style !== 'none' ? { size: pagination.size } : {}),
      ...(run.cursor !== undefined ? { cursor: run.cursor } : {}),
      ...(pagination.style === 'next-link' && run.next !== undefined ? { nextLink: true } : {}),
    };
  }

  /** One page's request and answer; a GraphQL answer with errors is an error here. */
  async function exchange(run: RunState, signal: AbortSignal): Promise<{ url: URL; res: JsonResponse }> {
    const req = buildRequest(urlFor(run), pageValues(run));
    const res = await http.send(req, signal);
    if (config.graphql) checkGraphqlAnswer(res.body, config.graphql, { connector, operation, url: http.display(req.url) });
    return { url: req.url, res };
  }

  function recordsOf(res: JsonResponse, url: URL): unknown[] {
    const items = getAtPath(res.body, config.records);
    if (Array.isArray(items)) return items;
    throw new SourceError(
      `no array of records at "${config.records}" in the response from ${http.display(url)}; the response is ${describeShape(res.body)}${items === undefined ? '' : ` and "${config.records}" is ${describeShape(items)}`}`,
      { code: 'records_missing', retriable: false, context: { connector, operation, field: 'records', url: http.display(url) } },
    );
  }

  /** Work out the next page from this response; undefined when the run is complete. */
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
          throw new SourceError(`${http.display(url)} returned the same cursor it was given; stopping the run rather than looping`, {
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
          throw new SourceError(`next link "${String(link)}" from ${http.display(url)} is not a URL`, { code: 'bad_next_link', retriable: false, context: { connector, operation } });
        }
        if (target.origin !== origin) {
          throw new SourceError(`next link from ${http.display(url)} points to another host (${target.origin}); requests go to ${origin} only`, {
            code: 'foreign_host',
            retriable: false,
            context: { connector, operation, url: http.display(url) },
          });
        }
        const rel = `${target.pathname}${target.search}`;
        if (rel === `${url.pathname}${url.search}`) {
          throw new SourceError(`${http.display(url)} links to itself as the next page; stopping the run rather than looping`, { code: 'next_link_loop', retriable: false, context: { connector, operation } });
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

  /** Fetch one page: its records (repeats of the previous page dropped), rejects and what comes next. */
  async function fetchPage(run: RunState, previousPage: Set<string>, signal: AbortSignal) {
    const { url, res } = await exchange(run, signal);
    const fetchedAt = clock.now().toISOString();
    const items = recordsOf(res, url);
    const position = positionFor(run);
    const records: SourceRecord[] = [];
    const rejects: SourceReject[] = [];
    const thisPage = new Set<string>();
    items.forEach((item, i) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        rejects.push({ reason: `item ${i} at "${config.records}" is ${describeShape(item)}, not a JSON object`, original: item, position });
        return;
      }
      const fp = JSON.stringify(item);
      thisPage.add(fp);
      if (!previousPage.has(fp)) records.push({ raw: item as Record<string, unknown>, position, fetchedAt });
    });
    return { records, rejects, thisPage, next: advance(run, res, url, items.length) };
  }

  /**
   * Full-listing mode: every run reads the whole listing as one snapshot, from its first page;
   * nothing is resumed, so a listing that failed part-way is read again whole by the next run (and,
   * having no final batch, closes nothing).
   */
  async function* readListing(ctx: ReadContext): AsyncGenerator<SourceBatch> {
    const snapshot = config.snapshot!;
    const now = clock.now().toISOString();
    const listing = { id: `listing@${now}#${randomUUID().slice(0, 8)}`, onMissing: snapshot.onMissing, maxCloseShare: snapshot.maxCloseShare };
    let run: RunState = { since: now, until: now, pages: 0 };
    let previousPage = new Set<string>();
    let restarts = 0;
    const ack = ignoreOutcome;
    while (!ctx.signal.aborted) {
      if (run.pages >= config.maxPages) {
        throw new SourceError(`more than maxPages (${config.maxPages}) pages in one listing; the API may be looping — raise maxPages if it is genuinely this large`, {
          code: 'too_many_pages',
          retriable: false,
          context: { connector, operation },
        });
      }
      let page;
      try {
        page = await fetchPage(run, previousPage, ctx.signal);
      } catch (err) {
        const status = err instanceof CasebridgeError ? err.context.status : undefined;
        if (pagination.style === 'cursor' && run.cursor !== undefined && typeof status === 'number' && pagination.expiredStatus.includes(status) && restarts < MAX_CURSOR_RESTARTS) {
          restarts++;
          logger.warn({ status, pages: run.pages }, 'cursor expired; reading the listing again from its first page (cases already seen publish nothing)');
          run = { since: now, until: now, pages: 0 };
          previousPage = new Set();
          continue;
        }
        throw err;
      }
      if (ctx.signal.aborted) return;
      previousPage = page.thisPage;
      for (const batch of chunks(page.records, page.rejects, undefined, config.batchSize)) yield { ...batch, snapshot: { ...listing, final: false } };
      if (!page.next) break;
      run = page.next;
    }
    if (ctx.signal.aborted) return;
    yield { records: [], snapshot: { ...listing, final: true }, ack };
  }

  async function* read(ctx: ReadContext): AsyncGenerator<SourceBatch> {
    if (closed) throw new SourceError('source is closed', { code: 'closed', context: { connector } });
    if (config.snapshot) {
      yield* readListing(ctx);
      return;
    }
    const since = config.since!;
    const cp = parseCheckpoint(ctx.checkpoint, connector);
    const committedSince = cp?.since ?? initialSince(since.initial, clock.now());
    let run: RunState = cp?.run ?? newRun(committedSince);
    if (cp?.run) logger.info({ pages: cp.run.pages }, 'resuming a REST run part-way through its pages');
    let restarts = 0;
    // A page that repeats the last records of the previous one (a common paging bug) must not
    // produce those records twice; one page of fingerprints is all we keep.
    let previousPage = new Set<string>();
    const wm = since.watermark;

    while (!ctx.signal.aborted) {
      if (run.pages >= config.maxPages) {
        throw new SourceError(`more than maxPages (${config.maxPages}) pages in one run; the API may be looping — raise maxPages if it is genuinely this large`, {
          code: 'too_many_pages',
          retriable: false,
          context: { connector, operation },
        });
      }
      let url: URL;
      let res: JsonResponse;
      try {
        ({ url, res } = await exchange(run, ctx.signal));
      } catch (err) {
        const status = err instanceof CasebridgeError ? err.context.status : undefined;
        if (pagination.style === 'cursor' && run.cursor !== undefined && typeof status === 'number' && pagination.expiredStatus.includes(status) && restarts < MAX_CURSOR_RESTARTS) {
          restarts++;
          logger.warn({ status, pages: run.pages }, 'cursor expired; restarting the listing from the committed position (repeats are not re-published)');
          run = { since: run.since, until: run.until, pages: 0, ...(run.high ? { high: run.high } : {}) };
          previousPage = new Set();
          continue;
        }
        throw err;
      }
      if (ctx.signal.aborted) return;
      const fetchedAt = clock.now().toISOString();
      const items = recordsOf(res, url);
      const position = positionFor(run);
      const records: SourceRecord[] = [];
      const rejects: SourceReject[] = [];
      const thisPage = new Set<string>();
      let repeats = 0;
      let high = run.high ? Date.parse(run.high) : undefined;
      items.forEach((item, i) => {
        if (item === null || typeof item !== 'object' || Array.isArray(item)) {
          rejects.push({ reason: `item ${i} at "${config.records}" is ${describeShape(item)}, not a JSON object`, original: item, position });
          return;
        }
        const fp = JSON.stringify(item);
        thisPage.add(fp);
        if (previousPage.has(fp)) {
          repeats++;
          return;
        }
        if (wm) {
          const t = readRecordTime(getAtPath(item, wm.field), wm);
          if (t !== undefined && (high === undefined || t > high)) high = t;
        }
        records.push({ raw: item as Record<string, unknown>, position, fetchedAt });
      });
      if (repeats) logger.debug({ repeats, page: run.pages + 1 }, 'skipped records repeated from the previous page');
      previousPage = thisPage;

      const withHigh: RunState = { ...run, ...(high !== undefined ? { high: new Date(high).toISOString() } : {}) };
      const next = advance(withHigh, res, url, items.length);
      let checkpoint: RestCheckpoint;
      if (next) {
        checkpoint = { since: committedSince, run: next };
      } else {
        const done = wm ? (withHigh.high && Date.parse(withHigh.high) > Date.parse(committedSince) ? withHigh.high : committedSince) : run.until;
        checkpoint = { since: done };
      }
      yield* chunks(records, rejects, checkpoint as unknown as Checkpoint, config.batchSize);
      if (!next) return;
      run = next;
    }
  }

  return {
    read,
    async check() {
      // Ask for changes since now: a small answer that still proves the URL, credentials and
      // records path. A supplier that is merely down is not a reason to refuse to start.
      const probe = newRun(clock.now().toISOString());
      try {
        const { url, res } = await exchange(probe, AbortSignal.timeout(durationMs(config.timeout) + 1000));
        recordsOf(res, url);
      } catch (err) {
        if (!isRetriable(err)) throw err;
        logger.warn({ err: { message: (err as Error).message } }, 'start-up check could not reach the supplier; the first run will try again');
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await http.close();
    },
  };
}

function* chunks(records: SourceRecord[], rejects: SourceReject[], checkpoint: Checkpoint | undefined, size: number): Generator<SourceBatch> {
  const ack = ignoreOutcome;
  if (records.length <= size) {
    yield { records, ...(rejects.length ? { rejects } : {}), ...(checkpoint ? { checkpoint } : {}), ack };
    return;
  }
  for (let i = 0; i < records.length; i += size) {
    const last = i + size >= records.length;
    yield {
      records: records.slice(i, i + size),
      ...(last && rejects.length ? { rejects } : {}),
      // Only the last piece of a page may move the position past the page.
      ...(last && checkpoint ? { checkpoint } : {}),
      ack,
    };
  }
}

function truthy(v: unknown): boolean {
  return v === true || v === 'true' || v === 1 || v === '1';
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

function parseCheckpoint(cp: Checkpoint | undefined, connector: string): RestCheckpoint | undefined {
  if (cp === undefined) return undefined;
  if (typeof cp.since !== 'string' || Number.isNaN(Date.parse(cp.since))) {
    throw new SourceError(`stored checkpoint has no readable "since": ${JSON.stringify(cp).slice(0, 200)}`, { code: 'bad_checkpoint', retriable: false, context: { connector } });
  }
  return cp as unknown as RestCheckpoint;
}

/**
 * Whether a page or offset listing goes on: the supplier's own "more" flag, else its page or
 * record total, else a full page means there may be another.
 */
function morePages(p: Extract<RestPagination, { style: 'page' | 'offset' }>, body: unknown, run: RunState, count: number): boolean {
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

function countAt(body: unknown, path: string | undefined): number | undefined {
  if (path === undefined) return undefined;
  const v = getAtPath(body, path);
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}
