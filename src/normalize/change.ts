/**
 * Change semantics: what a mapped supplier record means for the resident, given what we last told
 * them about the case. The event `type` follows from the data:
 *   - no previous version                      → created
 *   - lifecycle status became closed/cancelled → closed
 *   - lifecycle status changed                 → status_changed
 *   - anything else a resident can see changed → updated
 *   - nothing visible changed                  → no event (a supplier's repeated status row)
 *   - older than what we already published     → no event (never move a case back in time)
 */
import { TERMINAL_STATUSES, type CaseSnapshot, type ChangeKind, type LifecycleStatus } from '../event/case-event.js';
import { instantOf } from '../core/iso-time.js';
import { canonicalJson, sortInPlace } from '../event/identity.js';

/** What the runtime remembers per case (state namespace `case`, key = case reference). */
export interface CaseMemory {
  /** The last snapshot an event was published for, so a disappeared case can still be closed. */
  snapshot: CaseSnapshot;
  /**
   * Resident-visible fields as stored by versions before 0.1; now derived from `snapshot` on demand,
   * which halves what is stored and read per case.
   */
  visible?: Record<string, string>;
  updatedAt: string;
  lastEventId: string;
  /**
   * casesequence of the last event published for the case. Absent for cases remembered by a
   * version before sequences: their last event counts as 1 (build-event.ts nextSequence).
   */
  sequence?: number;
  /** The snapshot export this case was last seen in (snapshot-mode sources only). */
  snapshotId?: string;
}

export type ChangeDecision =
  | { emit: true; kind: ChangeKind; fields: string[]; previousStatus?: LifecycleStatus; previousStatusCode?: string }
  | { emit: false; reason: 'unchanged' | 'older' };

/**
 * The fields a resident can see. updatedAt and provenance are not among them: a record that only
 * bumps its timestamp is not news.
 */
export function visibleFields(s: CaseSnapshot): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (path: string, v: unknown) => {
    if (v !== undefined && v !== null && v !== '') out[path] = typeof v === 'string' ? v : canonicalJson(v);
  };
  const c = s.case;
  put('case.reference', c.reference);
  put('case.service.code', c.service.code);
  put('case.service.name', c.service.name);
  put('case.service.category', c.service.category);
  put('case.service.lgsl', c.service.lgsl);
  put('case.status.lifecycle', c.status.lifecycle);
  put('case.status.code', c.status.code);
  put('case.status.label', c.status.label);
  put('case.status.publicLabel', c.status.publicLabel);
  put('case.description', c.description);
  // Instants, so the same time written with another offset is no change (instantOf is Date.parse).
  put('case.openedAt', c.openedAt && instantOf(c.openedAt));
  put('case.dueAt', c.dueAt && instantOf(c.dueAt));
  put('case.closedAt', c.closedAt && instantOf(c.closedAt));
  put('case.closureReason', c.closureReason);
  put('case.publicNotes', c.publicNotes);
  put('case.media', c.media);
  put('case.relatedReferences', c.relatedReferences);
  if (s.location) for (const [k, v] of Object.entries(s.location)) put(`location.${k}`, v);
  return out;
}

export function decideChange(next: CaseSnapshot, nextVisible: Record<string, string>, prev: CaseMemory | undefined): ChangeDecision {
  if (!prev) return { emit: true, kind: next.case.status.lifecycle && isTerminal(next.case.status.lifecycle) ? 'closed' : 'created', fields: [] };

  if (instantOf(next.case.updatedAt) < instantOf(prev.updatedAt)) return { emit: false, reason: 'older' };

  const fields = diffKeys(prev.visible ?? visibleFields(prev.snapshot), nextVisible);
  if (fields.length === 0) return { emit: false, reason: 'unchanged' };

  const before = prev.snapshot.case.status;
  const after = next.case.status;
  const previous = { previousStatus: before.lifecycle, previousStatusCode: before.code };
  if (after.lifecycle !== before.lifecycle) {
    const kind: ChangeKind = isTerminal(after.lifecycle) && !isTerminal(before.lifecycle) ? 'closed' : 'status_changed';
    return { emit: true, kind, fields, ...previous };
  }
  return { emit: true, kind: 'updated', fields, ...previous };
}

function isTerminal(s: LifecycleStatus): boolean {
  return TERMINAL_STATUSES.includes(s);
}

/** Paths whose values differ, sorted; no union set or spread copies (this runs for every repeat of a case). */
function diffKeys(a: Record<string, string>, b: Record<string, string>): string[] {
  const out: string[] = [];
  for (const k in a) if (a[k] !== b[k]) out.push(k);
  for (const k in b) if (!Object.hasOwn(a, k)) out.push(k);
  return sortInPlace(out);
}
