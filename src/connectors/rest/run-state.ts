/**
 * Where a REST run stands between pages (stored in the checkpoint while a run is part-way), and
 * how a run starts, restarts and ends.
 */

import type { RunState } from './checkpoint.js';

/** Where an unfinished run stands: its schema lives with the checkpoint it is stored in. */
export type { RunState };

/** A new run: from the committed position minus the overlap, up to now. */
export function startRun(committedSince: string, overlapMs: number, now: Date): RunState {
  return { since: new Date(Date.parse(committedSince) - overlapMs).toISOString(), until: now.toISOString(), pages: 0 };
}

/**
 * Where the next run starts once this one has read its last page: with a watermark, the newest
 * update seen (never behind the committed position); without one, the time this run started.
 */
export function positionAfterRun(committedSince: string, run: RunState, watermarked: boolean): string {
  if (!watermarked) return run.until;
  return run.high && Date.parse(run.high) > Date.parse(committedSince) ? run.high : committedSince;
}

/** The same run from its first page: same window, and the newest update time already seen. */
export function restartRun(run: RunState): RunState {
  return { since: run.since, until: run.until, pages: 0, ...(run.high ? { high: run.high } : {}) };
}
