/**
 * Where a REST run stands between pages (stored in the checkpoint while a run is part-way), and
 * how a run starts, restarts and ends.
 */

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
