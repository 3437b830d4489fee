/**
 * The parcel-style progress bar: four stages a resident understands, worked out from the
 * lifecycle statuses the case has been through. Progress never moves backwards while a case
 * is open ("Work under way" after "Work booked" is still past the scheduled stage); it reaches
 * the last stage only while the case is actually done, so a reopened case steps back.
 */
import type { LifecycleStatus } from '../../event/case-event.js';
import type { ResidentCase } from '../resident-lookup.js';

export type StageName = 'reported' | 'inspected' | 'scheduled' | 'done';
export type StageState = 'complete' | 'current' | 'upcoming';

export interface Stage {
  name: StageName;
  title: string;
  state: StageState;
  /** When the case first reached this stage, if known. */
  at?: string;
}

const STAGE_OF: Record<LifecycleStatus, number> = {
  received: 0,
  in_progress: 1,
  on_hold: 1,
  scheduled: 2,
  resolved: 3,
  closed: 3,
  cancelled: 3,
};

const NAMES: StageName[] = ['reported', 'inspected', 'scheduled', 'done'];

export function stagesFor(c: ResidentCase): Stage[] {
  const current = STAGE_OF[c.status];
  let reached = current;
  // Only stages short of done carry forward: a reopened case is back to being looked at.
  if (current < 3) for (const e of c.timeline) if (STAGE_OF[e.status] < 3) reached = Math.max(reached, STAGE_OF[e.status]);
  const firstAt: (string | undefined)[] = [c.openedAt, undefined, undefined, undefined];
  for (const e of c.timeline) {
    const s = STAGE_OF[e.status];
    if (firstAt[s] === undefined) firstAt[s] = e.at;
  }
  if (current === 3 && c.closedAt) firstAt[3] = c.closedAt;
  const titles: Record<StageName, string> = {
    reported: 'Reported',
    inspected: 'Being looked at',
    scheduled: 'Work booked',
    done: c.status === 'cancelled' ? 'Closed' : 'Done',
  };
  return NAMES.map((name, i) => {
    const state: StageState = i < reached ? 'complete' : i === reached ? (i === 3 ? 'complete' : 'current') : 'upcoming';
    const at = state === 'upcoming' ? undefined : firstAt[i];
    return { name, title: titles[name], state, ...(at !== undefined && { at }) };
  });
}
