/**
 * Change detection over one batch, as pure functions: the runtime reads what the state store
 * remembers about the batch's cases, passes it in, and gets back the events to publish and the
 * case memory to write. No I/O here, so every decision can be tested with plain values.
 */
import type { CaseSnapshot } from '../event/case-event.js';
import { buildEvent, nextSequence, type OutgoingCaseEvent } from './build-event.js';
import { decideChange, visibleFields, type CaseMemory, type ChangeDecision } from './change.js';
import { noLongerListed } from './snapshot-diff.js';
import { caseMemoryJson } from './snapshot-json.js';

/** State namespace of the per-case memory (key = case reference). */
export const CASE_NAMESPACE = 'case';
const NOTHING_TO_COMPARE: Record<string, string> = Object.freeze({});

/** State namespace of a listing's bookkeeping across its batches. */
export const SNAPSHOT_NAMESPACE = 'snapshot';

/**
 * Cases touched while reading a batch, in the order first looked at: later records of one case
 * must see earlier ones. `null` records a case the store did not know, so it is not read twice.
 */
export type BatchMemory = Map<string, CaseMemory | null>;

export interface DetectedChanges {
  events: OutgoingCaseEvent[];
  /** One decision per snapshot passed in, in the same order (for the skip counters). */
  decisions: ChangeDecision[];
  memory: BatchMemory;
}

/**
 * Decide, in order, which snapshots are news. `remembered` holds what the store knew about every
 * reference in `snapshots` before the batch (absent or undefined: never seen). `snapshotId` is set
 * for listing batches: an unchanged case still records that this listing contained it.
 */
export function detectChanges(snapshots: CaseSnapshot[], remembered: ReadonlyMap<string, CaseMemory | undefined>, snapshotId?: string): DetectedChanges {
  const memory: BatchMemory = new Map();
  const events: OutgoingCaseEvent[] = [];
  const decisions: ChangeDecision[] = [];
  for (const snapshot of snapshots) {
    const ref = snapshot.case.reference;
    if (!memory.has(ref)) memory.set(ref, remembered.get(ref) ?? null);
    const prev = memory.get(ref) ?? undefined;
    // A case never seen is news whatever it shows: its visible fields are only needed to compare.
    const decision = decideChange(snapshot, prev ? visibleFields(snapshot) : NOTHING_TO_COMPARE, prev);
    decisions.push(decision);
    if (!decision.emit) {
      if (prev && snapshotId !== undefined && prev.snapshotId !== snapshotId) memory.set(ref, { ...prev, snapshotId });
      continue;
    }
    const sequence = nextSequence(prev);
    const out = buildEvent(snapshot, decision, sequence);
    events.push(out);
    memory.set(ref, { snapshot, updatedAt: snapshot.case.updatedAt, lastEventId: out.event.id, sequence, ...(snapshotId !== undefined ? { snapshotId } : {}) });
  }
  return { events, decisions, memory };
}

/**
 * A complete listing no longer shows these open cases: the supplier finished or purged them. Each
 * gets one `closed` event (closure reason `no-longer-listed`) from the last version published,
 * stamped with the time we noticed, and is remembered as closed so the next listing leaves it be.
 * `last` gives the newest memory of each case (this batch's, else the store's); `memory` is updated.
 */
export function closeNoLongerListed(refs: string[], last: ReadonlyMap<string, CaseMemory | undefined>, snapshotId: string, memory: BatchMemory, now: string): OutgoingCaseEvent[] {
  const out: OutgoingCaseEvent[] = [];
  for (const ref of refs) {
    const m = last.get(ref);
    if (!m) continue;
    const status = m.snapshot.case.status;
    const snapshot = noLongerListed(m.snapshot, now);
    const sequence = nextSequence(m);
    const ev = buildEvent(
      snapshot,
      { kind: 'closed', fields: ['case.closedAt', 'case.closureReason', 'case.status.lifecycle'], previousStatus: status.lifecycle, previousStatusCode: status.code },
      sequence,
    );
    out.push(ev);
    // updatedAt stays the supplier's last time: a case listed again with that same time is a
    // reopening to publish, not an "older" record to skip.
    memory.set(ref, { snapshot, updatedAt: m.updatedAt, lastEventId: ev.event.id, sequence, snapshotId });
  }
  return out;
}

/** The state key counting a listing's rejected records over its batches. */
export function listingRejectsKey(snapshotId: string): string {
  return `rejects:${snapshotId}`;
}

export interface ListingRejects {
  /** Rejected records of the listing so far, this batch included. */
  soFar: number;
  writes: Array<{ op: 'put'; namespace: string; key: string; value: number } | { op: 'delete'; namespace: string; key: string }>;
}

/**
 * A record that was dead-lettered was still in the listing: its case has not disappeared. We
 * cannot always tell which case it was, so the count carries across the listing's batches and a
 * listing with rejects closes nothing. The final batch clears the count.
 */
export function countListingRejects(snapshotId: string, final: boolean, stored: number | undefined, rejectedNow: number): ListingRejects {
  const key = listingRejectsKey(snapshotId);
  const soFar = (stored ?? 0) + rejectedNow;
  if (final) return { soFar, writes: soFar > rejectedNow ? [{ op: 'delete', namespace: SNAPSHOT_NAMESPACE, key }] : [] };
  return { soFar, writes: rejectedNow ? [{ op: 'put', namespace: SNAPSHOT_NAMESPACE, key, value: soFar }] : [] };
}

/**
 * The case memory to store: every case the batch touched and knows something about, in order.
 * Given what the store held before the batch, a case whose memory is still that very object (a
 * repeat or an older version, nothing to record) is not written again: the store already has it.
 */
export function caseMemoryWrites(memory: BatchMemory, stored?: ReadonlyMap<string, CaseMemory | undefined>): Array<{ op: 'put'; namespace: string; key: string; value: CaseMemory; json?: string }> {
  const out: Array<{ op: 'put'; namespace: string; key: string; value: CaseMemory; json?: string }> = [];
  for (const [ref, m] of memory) if (m && m !== stored?.get(ref)) out.push({ op: 'put', namespace: CASE_NAMESPACE, key: ref, value: m, ...textOf(m) });
  return out;
}

/** The text is made here, from the snapshot's text the event was made of; a value that cannot be serialised goes without, for the store to refuse in its words. */
function textOf(m: CaseMemory): { json?: string } {
  try {
    return { json: caseMemoryJson(m) };
  } catch {
    return {};
  }
}
