/**
 * REST/JSON polling: one run lists the records changed since the committed position, page by page
 * in whichever style the API pages, and yields a batch per page. Mid-run batches carry the page
 * state so a crash resumes on the next page; the last batch moves the position to the newest
 * update seen (or the time the run started). The runtime commits each checkpoint only after the
 * batch's events are durable — this source never commits anything itself.
 *
 * The steps: setup.ts (config checks), paging.ts (URLs, next page, positions), page-loop.ts (the
 * one loop over pages, with cursor restarts), page-items.ts (records of a page), since.ts (window).
 */
import { randomUUID } from 'node:crypto';
import { durationMs } from '../../core/units.js';
import { isRetriable, SourceError } from '../../core/errors.js';
import { ignoreOutcome, type ReadContext, type Source, type SourceBatch, type SourceDeps, type SourceRecord, type SourceReject } from '../../core/source.js';
import { type RestConnectorConfig } from './config.js';
import { byteSize } from '../../core/units.js';
import { createRestHttp, type JsonResponse } from './http-client.js';
import { describeShape, getAtPath } from '../shared/json-path.js';
import { initialSince } from './since.js';
import { positionAfterRun, startRun } from './run-state.js';
import { createPaging } from './paging.js';
import type { RunState } from './run-state.js';
import { pageLoop, type PageLoopOptions } from './page-loop.js';
import { checkWindow, readCaFile } from './setup.js';
import { formatSince } from './since.js';
import { createRequestBuilder, type PageValues } from './query/request.js';
import { checkGraphqlAnswer } from './graphql.js';
import { RestCheckpoint } from './checkpoint.js';

export type { RunState };
export { nextFromLinkHeader } from './paging.js';

export function createRestSourceImpl(config: RestConnectorConfig, deps: SourceDeps): Source<RestCheckpoint> {
  const { connector, clock, logger } = deps;
  checkWindow(config, connector, clock.now());
  const ca = readCaFile(config.caFile, deps.baseDir, connector);
  const since = config.since;
  const base = new URL(config.baseUrl);
  const origin = base.origin;
  const operation = `${config.graphql || config.method === 'POST' ? 'POST' : 'GET'} ${config.path}`;
  const overlapMs = since ? durationMs(since.overlap) : 0;
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
  const paging = createPaging({ connector, origin, listingPath: `${base.pathname.replace(/\/+$/, '')}${config.path}`, query: config.query, since, pagination: config.pagination, operation, display: http.display });
  let closed = false;

  const pagination = config.pagination;
  function pageValues(run: RunState): PageValues {
    return {
      ...(since ? { since: formatSince(run.since, since.format, since.zone), until: formatSince(run.until, since.format, since.zone) } : {}),
      ...(pagination.style === 'page' ? { page: run.page ?? pagination.first } : {}),
      ...(pagination.style === 'offset' ? { offset: run.offset ?? 0 } : {}),
      ...(pagination.style !== 'none' ? { size: pagination.size } : {}),
      ...(run.cursor !== undefined ? { cursor: run.cursor } : {}),
      // paging.urlFor gives the stored next link itself, which already carries the query.
      ...(pagination.style === 'next-link' && run.next !== undefined ? { nextLink: true } : {}),
    };
  }

  /** One page's request (filter, POST body or GraphQL rendered from the page's values) and answer. */
  async function exchange(url: URL, run: RunState, signal: AbortSignal): Promise<JsonResponse> {
    const req = buildRequest(url, pageValues(run));
    const res = await http.send(req, signal);
    if (config.graphql) checkGraphqlAnswer(res.body, config.graphql, { connector, operation, url: http.display(req.url) });
    return res;
  }

  function recordsOf(res: JsonResponse, url: URL): unknown[] {
    const items = getAtPath(res.body, config.records);
    if (Array.isArray(items)) return items;
    throw new SourceError(
      `no array of records at "${config.records}" in the response from ${http.display(url)}; the response is ${describeShape(res.body)}${items === undefined ? '' : ` and "${config.records}" is ${describeShape(items)}`}`,
      { code: 'records_missing', retriable: false, context: { connector, operation, field: 'records', url: http.display(url) } },
    );
  }

  const loop = (scope: PageLoopOptions['scope'], restartMessage: string): PageLoopOptions => ({
    connector,
    operation,
    scope,
    maxPages: config.maxPages,
    pagination: config.pagination,
    paging,
    recordsPath: config.records,
    watermark: scope === 'run' ? since?.watermark : undefined,
    getJson: (url, signal, run) => exchange(url, run, signal),
    recordsOf,
    clock,
    logger,
    restartMessage,
  });

  /**
   * Full-listing mode: every run reads the whole listing as one snapshot, from its first page;
   * nothing is resumed, so a listing that failed part-way is read again whole by the next run (and,
   * having no final batch, closes nothing).
   */
  async function* readListing(ctx: ReadContext<RestCheckpoint>): AsyncGenerator<SourceBatch<RestCheckpoint>> {
    const snapshot = config.snapshot!;
    const now = clock.now().toISOString();
    const listing = { id: `listing@${now}#${randomUUID().slice(0, 8)}`, onMissing: snapshot.onMissing, maxCloseShare: snapshot.maxCloseShare };
    const ack = ignoreOutcome;
    const pages = pageLoop({ since: now, until: now, pages: 0 }, loop('listing', 'cursor expired; reading the listing again from its first page (cases already seen publish nothing)'), ctx.signal);
    for await (const page of pages) {
      for (const batch of chunks(page.records, page.rejects, undefined, config.batchSize)) yield { ...batch, snapshot: { ...listing, final: false } };
    }
    if (ctx.signal.aborted) return;
    yield { records: [], snapshot: { ...listing, final: true }, ack };
  }

  /** Changes-since mode: resume a run part-way through its pages, else start one from the position. */
  async function* readChanges(ctx: ReadContext<RestCheckpoint>): AsyncGenerator<SourceBatch<RestCheckpoint>> {
    const since = config.since!;
    const cp = ctx.checkpoint;
    const committedSince = cp?.since ?? initialSince(since.initial, clock.now());
    const run: RunState = cp?.run ?? startRun(committedSince, overlapMs, clock.now());
    if (cp?.run) logger.info({ pages: cp.run.pages }, 'resuming a REST run part-way through its pages');
    const pages = pageLoop(run, loop('run', 'cursor expired; restarting the listing from the committed position (repeats are not re-published)'), ctx.signal);
    for await (const page of pages) {
      const checkpoint: RestCheckpoint = page.next ? { since: committedSince, run: page.next } : { since: positionAfterRun(committedSince, page.run, since.watermark !== undefined) };
      yield* chunks(page.records, page.rejects, checkpoint, config.batchSize);
    }
  }

  async function* read(ctx: ReadContext<RestCheckpoint>): AsyncGenerator<SourceBatch<RestCheckpoint>> {
    if (closed) throw new SourceError('source is closed', { code: 'closed', context: { connector } });
    yield* config.snapshot ? readListing(ctx) : readChanges(ctx);
  }

  return {
    checkpointSchema: RestCheckpoint,
    // Acks ignore the outcome and the next page depends only on this reader's own position.
    readAhead: true,
    read,
    async check() {
      // Ask for changes since now: a small answer that still proves the URL, credentials and
      // records path. A supplier that is merely down is not a reason to refuse to start.
      const probe = startRun(clock.now().toISOString(), overlapMs, clock.now());
      const url = paging.firstPageUrl(probe);
      try {
        recordsOf(await exchange(url, probe, AbortSignal.timeout(durationMs(config.timeout) + 1000)), url);
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

function* chunks(records: SourceRecord[], rejects: SourceReject[], checkpoint: RestCheckpoint | undefined, size: number): Generator<SourceBatch<RestCheckpoint>> {
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
