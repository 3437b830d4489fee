/**
 * A run's batches through the pipeline, with one batch of look-ahead for sources that allow it
 * (Source.readAhead): while batch N is published and committed (waiting on the broker, or on the
 * Kafka publisher's thread), batch N+1 is read and prepared against the state N is about to commit.
 *
 * What does not change: N+1 is published only after N is committed, commits and acks stay in
 * batch order, and when N fails N+1 is acked as failed, never published, and the run fails with
 * N's error. A prepared N+1 is thrown away and prepared again when N's publish set events aside
 * (its writes changed) and is not prepared early at all when it belongs to a snapshot listing
 * (the listing's final batch reads every case the earlier batches wrote).
 */
import type { SourceBatch } from '../core/source.js';
import { finishBatch, prepareBatch, type BatchResult, type PipelineDeps, type PreparedBatch } from './pipeline.js';
import { withPendingWrites } from './pending-state.js';

export interface BatchHooks {
  /** Batch N is next to be published (called in batch order, before its publish). */
  starting(batch: SourceBatch): void;
  /** Batch N is committed and acknowledged. */
  finished(batch: SourceBatch, result: BatchResult): void;
}

export async function runBatches(source: AsyncIterable<SourceBatch>, opts: { readAhead: boolean; signal: AbortSignal }, deps: PipelineDeps, hooks: BatchHooks): Promise<void> {
  const it = source[Symbol.asyncIterator]();
  let done = false;
  try {
    let next = await it.next();
    // The next batch prepared early, and whether it still holds: it was prepared against the
    // writes the batch before it was about to commit, which publishOrIsolate replaces when it sets
    // events aside. Only this flag is kept of the batch before, not the batch itself: holding it
    // (its events, ~1 KB each) through the next batch's publish made the garbage collector copy
    // it into the old generation.
    let early: Promise<PreparedBatch | undefined> | undefined;
    let earlyHolds = false;
    while (!next.done) {
      if (opts.signal.aborted) break;
      const batch = next.value;
      hooks.starting(batch);
      // An early preparation that failed is simply done again; a real problem fails again there.
      const made = early ? await early.catch(() => undefined) : undefined;
      const ahead: PreparedBatch | undefined = earlyHolds ? made : undefined;
      early = undefined;
      const prepared: PreparedBatch = ahead ?? (await prepareBatch(batch, deps));
      const finishing = finishBatch(batch, prepared, deps);
      if (!opts.readAhead) {
        hooks.finished(batch, await finishing);
        next = await it.next();
        continue;
      }
      const pulled = it.next();
      const against = prepared.writes;
      early = pulled.then((r) => (r.done || r.value.snapshot ? undefined : prepareBatch(r.value, { ...deps, state: withPendingWrites(deps.state, against) })));
      // Settled later, or never looked at when N fails: either way not an unhandled rejection.
      pulled.catch(() => undefined);
      early.catch(() => undefined);
      let result: BatchResult;
      try {
        result = await finishing;
      } catch (err) {
        // N+1 was taken from the source but will never be published: the source hears so.
        void pulled.then((r) => (r.done ? undefined : r.value.ack({ status: 'failed', error: err as Error }))).catch(() => undefined);
        throw err;
      }
      earlyHolds = prepared.writes === against;
      hooks.finished(batch, result);
      next = await pulled;
    }
    done = next.done === true;
  } finally {
    if (!done) await it.return?.();
  }
}
