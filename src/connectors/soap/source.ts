/**
 * SOAP polling source: time windows, paging, session tokens and two-step (list, then details)
 * suppliers, all driven by configuration.
 *
 * Position: the checkpoint is the window being read and the last page of it that was published.
 * Each window starts `overlap` before the previous window's end (servers that store times with
 * less precision than they compare, or that commit late, would otherwise lose records at the edge);
 * the repeats this causes are harmless because event ids are deterministic and unchanged cases
 * produce no events. The window end is `now - lag` so records still being written are not passed.
 * The source never commits: the runtime commits `batch.checkpoint` after publishing, then acks.
 */
import { randomUUID } from 'node:crypto';
import { durationMs } from '../../core/units.js';
import type { SourceBatch, SourceDeps, SourceRecord, Source, ReadContext } from '../../core/source.js';
import type { SoapConnectorConfig } from './config.js';
import { emptyListWarning } from './response-checks.js';
import { renderTime, widenForClockChange } from './times.js';
import { createSoapConnection } from './connection.js';
import { checkSoapConfig, prepareCalls } from './calls.js';
import { createSession } from './session.js';
import { createRecordsForPage } from './details.js';
import { listPages } from './list-pages.js';
import { nextWindow } from './window.js';
import { SoapCheckpoint } from './checkpoint.js';

export function createSoapSourceImpl(config: SoapConnectorConfig, deps: SourceDeps): Source<SoapCheckpoint> {
  const { connector, clock, logger } = deps;
  const baseContext = { connector };
  const timeoutMs = durationMs(config.timeout);
  checkSoapConfig(config, connector);
  const { loginCall, listCall, detailCall, listUsesUntil } = prepareCalls(config, deps.baseDir, connector, logger);
  const windowRules = {
    start: config.window.start,
    maxSpanMs: durationMs(config.window.maxSpan),
    lagMs: durationMs(config.window.lag),
    overlapMs: durationMs(config.window.overlap),
    listUsesUntil,
    pagingStart: config.list.paging?.start,
  };

  const connection = createSoapConnection(config, deps.baseDir, timeoutMs, baseContext);
  const getTransport = () => connection.transport();
  let closed = false;

  const session = createSession({
    login: loginCall && config.session ? { call: loginCall, tokenPath: config.session.token, ttlMs: config.session.ttl ? durationMs(config.session.ttl) : undefined } : undefined,
    transport: getTransport,
    loginTransport: () => connection.authTransport(),
    rules: config.errors,
    baseContext,
    timeoutMs,
    maxResponseBytes: config.maxResponseBytes,
    clock,
    logger,
  });
  const recordsForPage = createRecordsForPage({ list: config.list, detail: detailCall && config.detail ? { config: config.detail, call: detailCall } : undefined, session, baseContext, clock });
  const pagesOf = (scope: 'window' | 'listing', vars: Record<string, unknown>, window: { since: Date; until: Date }, start: { page: number | undefined; seen: number }, signal: AbortSignal) =>
    listPages({ list: config.list, listCall, session, recordsForPage, baseContext, scope, vars, window, start }, signal);

  const chunk = <T>(arr: T[], size: number): T[][] => {
    const out: T[][] = [];
    for (let i = 0; i < arr.length; i += size) out.push(arr.slice(i, i + size));
    return out.length ? out : [[]];
  };

  /**
   * Full-listing mode: every run reads the whole listing, page by page, as one snapshot. Nothing is
   * resumed: a listing that failed part-way is read again from its first page by the next run
   * (cases already seen are unchanged and publish nothing), and closes nothing (the runtime knows
   * from the missing final batch). A listing whose paging ended short of the total the supplier
   * announced is complete as far as the calls go, but says so, so it closes nothing either.
   */
  async function* readListing(ctx: ReadContext<SoapCheckpoint>): AsyncGenerator<SourceBatch<SoapCheckpoint>> {
    const { signal } = ctx;
    const snapshot = config.snapshot!;
    const started = clock.now();
    const listing = { id: `listing@${started.toISOString()}#${randomUUID().slice(0, 8)}`, onMissing: snapshot.onMissing, maxCloseShare: snapshot.maxCloseShare };
    const ack = async () => undefined;
    let seen = 0;
    let incomplete: string | undefined;
    for await (const page of pagesOf('listing', {}, { since: started, until: started }, { page: config.list.paging?.start, seen: 0 }, signal)) {
      seen = page.seen;
      if (page.last && page.total !== undefined && page.seen < page.total) incomplete = `paging ended after ${page.seen} of the ${page.total} items ${config.list.operation} announced`;
      const chunks = chunk(page.records, config.batchSize);
      for (let i = 0; i < chunks.length; i++) {
        const final = i === chunks.length - 1;
        yield { records: chunks[i] as SourceRecord[], ...(final && page.rejects.length ? { rejects: page.rejects } : {}), snapshot: { ...listing, final: false }, ack };
        if (signal.aborted) return;
      }
    }
    if (signal.aborted) return;
    logger.debug({ items: seen, ...(incomplete ? { incomplete } : {}) }, 'listing read');
    yield { records: [], snapshot: { ...listing, final: true, ...(incomplete ? { incomplete } : {}) }, ack };
  }

  async function* read(ctx: ReadContext<SoapCheckpoint>): AsyncGenerator<SourceBatch<SoapCheckpoint>> {
    if (closed) return;
    if (config.snapshot) {
      yield* readListing(ctx);
      return;
    }
    const { signal } = ctx;
    let cp = ctx.checkpoint;
    // One run reads up to the time it started (minus lag): windows move forward by up to maxSpan
    // until they reach it, so the loop is bounded even while the clock keeps moving.
    const now = clock.now();
    for (let windows = 0; windows < 100_000 && !signal.aborted; windows++) {
      const w = nextWindow(cp, now, windowRules);
      if (!w) return; // caught up
      const { since, until } = w;
      const listTimes = listCall.times;
      const renderedSince = renderTime(widenForClockChange(since, until, listTimes.zone), listTimes);
      const renderedUntil = renderTime(until, listTimes);
      const windowInfo = { windowStart: since.toISOString(), windowEnd: until.toISOString() };
      logger.debug({ since: renderedSince, until: renderedUntil, page: w.page }, 'reading window');

      for await (const { page, result, items, seen, last, records, rejects } of pagesOf('window', { since: renderedSince, until: renderedUntil }, { since, until }, w, signal)) {
        const warning = items.length === 0 ? emptyListWarning(result, config.list.records, config.errors, config.list.operation) : undefined;
        const next: SoapCheckpoint = { v: 1, ...windowInfo, page: page ?? null, seen, complete: last };
        const chunks = chunk(records, config.batchSize);
        for (let i = 0; i < chunks.length; i++) {
          const final = i === chunks.length - 1;
          const batch: SourceBatch<SoapCheckpoint> = {
            records: chunks[i] as SourceRecord[],
            ...(final && rejects.length ? { rejects } : {}),
            ...(final && warning ? { warnings: [warning] } : {}),
            // Only the page's last chunk moves the position: a crash mid-page repeats the page.
            ...(final ? { checkpoint: next } : {}),
            ack: async (outcome) => {
              if (final && outcome.status === 'committed') logger.debug({ page, complete: last }, 'window position committed');
            },
          };
          yield batch;
          if (signal.aborted) return;
        }
        cp = next;
      }
      if (signal.aborted) return;
    }
  }

  return {
    checkpointSchema: SoapCheckpoint,
    // Acks ignore the outcome and the next page depends only on this reader's own position.
    readAhead: true,
    async check() {
      const t = getTransport();
      const separateLogin = connection.separateAuth ? loginCall : undefined;
      const calls = [separateLogin ? undefined : loginCall, listCall, detailCall].filter((c) => c !== undefined).map((c) => ({ kind: c.kind, operation: c.request.operation, args: c.request.args }));
      // Credentials are proved by the first run, not here: a refused login should stop this
      // connector with its message, not hold up the gateway's start.
      await t.prepare(calls);
      if (separateLogin) await connection.authTransport().prepare([{ kind: separateLogin.kind, operation: separateLogin.request.operation, args: separateLogin.request.args }]);
    },
    read,
    async close() {
      if (closed) return;
      closed = true;
      connection.close();
    },
  };
}
