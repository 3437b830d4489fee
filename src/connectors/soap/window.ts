/**
 * Which time window a SOAP run reads next. A window left part-way is continued after its last
 * published page; otherwise the next starts `overlap` before the previous end (servers that store
 * times with less precision than they compare, or commit late, would lose records at the edge)
 * and ends at `now - lag`, at most `maxSpan` later when the list call is told the end.
 */
import { durationMs } from '../../core/units.js';

export interface WindowRules {
  /** window.start: ISO time with offset, or a duration before now (first run only). */
  start: string;
  maxSpanMs: number;
  lagMs: number;
  overlapMs: number;
  listUsesUntil: boolean;
  /** First page number when the list pages. */
  pagingStart?: number | undefined;
}

/** What the checkpoint says about the last window. */
export interface WindowPosition {
  windowStart: string;
  windowEnd: string;
  page: number | null;
  seen: number;
  complete: boolean;
}

export interface WindowToRead {
  since: Date;
  until: Date;
  page: number | undefined;
  seen: number;
}

export function firstStart(start: string, now: Date): Date {
  return /^\d+(\.\d+)?(ms|s|m|h|d)$/.test(start) ? new Date(now.getTime() - durationMs(start)) : new Date(start);
}

/** The window to read, or undefined when the run has caught up with `now - lag`. */
export function nextWindow(cp: WindowPosition | undefined, now: Date, rules: WindowRules): WindowToRead | undefined {
  const paged = rules.pagingStart !== undefined;
  if (cp && !cp.complete) {
    return {
      since: new Date(cp.windowStart),
      until: new Date(cp.windowEnd),
      page: paged ? (cp.page === null ? rules.pagingStart : cp.page + 1) : undefined,
      seen: cp.seen,
    };
  }
  const limitEnd = new Date(now.getTime() - rules.lagMs);
  const prevEnd = cp ? new Date(cp.windowEnd) : undefined;
  const since = prevEnd ? new Date(prevEnd.getTime() - rules.overlapMs) : firstStart(rules.start, now);
  const from = prevEnd ?? since;
  // maxSpan only helps when the server is told the end; a since-only operation returns
  // everything up to now anyway, so stepping would fetch the same changes again per step.
  const until = rules.listUsesUntil ? new Date(Math.min(limitEnd.getTime(), from.getTime() + rules.maxSpanMs)) : limitEnd;
  if (until.getTime() <= from.getTime()) return undefined;
  return { since, until, page: paged ? rules.pagingStart : undefined, seen: 0 };
}
