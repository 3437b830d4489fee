/** Outcomes a test hands to `batch.ack`, standing in for the runtime. */
import type { BatchOutcome, SourceBatch } from '../../src/core/source.js';

/** The batch was published and committed: every record an event unless told otherwise. */
export function committed(batch: Pick<SourceBatch, 'records'>, counts: { deadLettered?: number; skipped?: number } = {}): BatchOutcome {
  const deadLettered = counts.deadLettered ?? 0;
  const skipped = counts.skipped ?? 0;
  return { status: 'committed', published: batch.records.length - deadLettered - skipped, deadLettered, skipped };
}

export function failed(message = 'publishing failed'): BatchOutcome {
  return { status: 'failed', error: new Error(message) };
}
