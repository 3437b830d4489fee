/** Change detection over a batch (normalize/case-changes.ts): pure, state passed in as values. */
import { describe, expect, it } from 'vitest';
import type { CaseSnapshot, LifecycleStatus } from '../../src/event/case-event.js';
import type { CaseMemory } from '../../src/normalize/change.js';
import { CASE_NAMESPACE, SNAPSHOT_NAMESPACE, caseMemoryWrites, closeNoLongerListed, countListingRejects, detectChanges } from '../../src/normalize/case-changes.js';

function snap(ref: string, lifecycle: LifecycleStatus, updatedAt = '2025-11-03T09:00:00Z', description?: string): CaseSnapshot {
  return {
    council: { gss: 'E09000019', name: 'Islington' },
    system: { supplier: 'Fake', connector: 'fake' },
    case: { reference: ref, service: { name: 'Missed bin' }, status: { lifecycle, code: lifecycle }, updatedAt, ...(description ? { description } : {}) },
    provenance: { connector: 'fake', position: { file: 'x.csv', line: 2 }, fetchedAt: '2025-11-03T10:00:00Z', updatedAtSource: 'supplier' },
  };
}
const memo = (s: CaseSnapshot, sequence: number, snapshotId?: string): CaseMemory => ({ snapshot: s, updatedAt: s.case.updatedAt, lastEventId: `e${sequence}`, sequence, ...(snapshotId ? { snapshotId } : {}) });

describe('detectChanges', () => {
  it('creates unknown cases and lets later records of a case in the batch see the earlier ones', () => {
    const out = detectChanges([snap('A', 'received'), snap('A', 'in_progress', '2025-11-03T09:05:00Z'), snap('A', 'in_progress', '2025-11-03T09:06:00Z')], new Map());
    expect(out.decisions.map((d) => (d.emit ? d.kind : d.reason))).toEqual(['created', 'status_changed', 'unchanged']);
    expect(out.events.map((e) => e.event.casesequence)).toEqual([1, 2]);
    expect(out.memory.get('A')).toMatchObject({ sequence: 2, updatedAt: '2025-11-03T09:05:00Z', lastEventId: out.events[1]!.event.id });
  });

  it('continues the sequence of a remembered case and skips records older than it', () => {
    const prev = memo(snap('A', 'received', '2025-11-03T09:00:00Z'), 4);
    const out = detectChanges([snap('A', 'resolved', '2025-11-03T08:00:00Z'), snap('A', 'received', '2025-11-03T09:30:00Z', 'now with a note')], new Map([['A', prev]]));
    expect(out.decisions.map((d) => (d.emit ? d.kind : d.reason))).toEqual(['older', 'updated']);
    expect(out.events[0]!.event.casesequence).toBe(5);
  });

  it('remembers which listing an unchanged case appeared in, and nothing for a case it never saw', () => {
    const prev = memo(snap('A', 'received'), 1, 'L1');
    const out = detectChanges([snap('A', 'received')], new Map([['A', prev], ['Z', undefined]]), 'L2');
    expect(out.events).toEqual([]);
    expect(out.memory.get('A')).toEqual({ ...prev, snapshotId: 'L2' });
    expect(out.memory.has('Z')).toBe(false);
    // Outside a listing an unchanged case writes nothing new.
    expect(detectChanges([snap('A', 'received')], new Map([['A', prev]])).memory.get('A')).toBe(prev);
  });

  it('writes memory only for cases it knows something about, in the order first seen', () => {
    const memory = new Map<string, CaseMemory | null>([['B', memo(snap('B', 'received'), 1)], ['A', null], ['C', memo(snap('C', 'received'), 2)]]);
    expect(caseMemoryWrites(memory).map((w) => [w.namespace, w.key])).toEqual([[CASE_NAMESPACE, 'B'], [CASE_NAMESPACE, 'C']]);
  });

  it('does not write again what the store already holds: repeats and older versions', () => {
    const a = memo(snap('A', 'received'), 1);
    const b = memo(snap('B', 'received'), 1);
    const c = memo(snap('C', 'received'), 1, 'L1');
    const stored = new Map([['A', a], ['B', b], ['C', c]]);
    const older = { ...snap('B', 'received'), case: { ...snap('B', 'received').case, updatedAt: '2000-01-01T00:00:00Z' } };
    const out = detectChanges([snap('A', 'received'), older, snap('C', 'received'), snap('D', 'received')], stored, undefined);
    expect(out.decisions.map((d) => (d.emit ? d.kind : d.reason))).toEqual(['unchanged', 'older', 'unchanged', 'created']);
    expect(caseMemoryWrites(out.memory, stored).map((w) => w.key)).toEqual(['D']);
    // A listing that saw C again records that, so C is written.
    const listed = detectChanges([snap('C', 'received')], stored, 'L2');
    expect(caseMemoryWrites(listed.memory, stored).map((w) => w.key)).toEqual(['C']);
  });
});

describe('closeNoLongerListed', () => {
  it('closes from the last version published with the next sequence, and remembers the close', () => {
    const memory = new Map<string, CaseMemory | null>();
    const last = new Map([['B', memo(snap('B', 'in_progress'), 3, 'L1')], ['Gone', undefined]]);
    const events = closeNoLongerListed(['B', 'Gone'], last, 'L2', memory, '2025-11-04T06:00:00Z');
    expect(events).toHaveLength(1);
    expect(events[0]!.event.data.change).toMatchObject({ kind: 'closed', previousStatus: 'in_progress', previousStatusCode: 'in_progress' });
    expect(events[0]!.event.casesequence).toBe(4);
    expect(memory.get('B')).toMatchObject({ sequence: 4, snapshotId: 'L2', updatedAt: '2025-11-03T09:00:00Z', lastEventId: events[0]!.event.id });
    expect(memory.get('B')!.snapshot.case.closureReason).toEqual({ code: 'no-longer-listed' });
  });
});

describe('countListingRejects', () => {
  it('carries a listing’s rejects across its batches and clears them on the final one', () => {
    expect(countListingRejects('L1', false, undefined, 0)).toEqual({ soFar: 0, writes: [] });
    expect(countListingRejects('L1', false, 2, 1)).toEqual({ soFar: 3, writes: [{ op: 'put', namespace: SNAPSHOT_NAMESPACE, key: 'rejects:L1', value: 3 }] });
    expect(countListingRejects('L1', true, 3, 0)).toEqual({ soFar: 3, writes: [{ op: 'delete', namespace: SNAPSHOT_NAMESPACE, key: 'rejects:L1' }] });
    // Rejects only in the final batch: nothing was stored, nothing to delete.
    expect(countListingRejects('L1', true, undefined, 2)).toEqual({ soFar: 2, writes: [] });
  });
});
