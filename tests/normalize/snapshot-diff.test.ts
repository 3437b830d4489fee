/** The shared snapshot diff (pure) and the sequence rules, including state from before sequences. */
import { describe, expect, it } from 'vitest';
import type { CaseSnapshot, LifecycleStatus } from '../../src/event/case-event.js';
import { caseFingerprint } from '../../src/event/identity.js';
import { nextSequence } from '../../src/normalize/build-event.js';
import type { CaseMemory } from '../../src/normalize/change.js';
import { judgeListing, noLongerListed } from '../../src/normalize/snapshot-diff.js';
import { fixedClock } from '../../src/core/clock.js';
import { CASE_NAMESPACE, processBatch } from '../../src/runtime/pipeline.js';
import { openSqliteStateStore } from '../../src/runtime/sqlite-state-store.js';
import { fakeNormalize, fakeRecord } from '../helpers/fake-source.js';
import { memoryPublisher } from '../helpers/memory-publisher.js';

function snap(ref: string, lifecycle: LifecycleStatus): CaseSnapshot {
  return {
    council: { gss: 'E09000019', name: 'Islington' },
    system: { supplier: 'Fake', connector: 'fake' },
    case: { reference: ref, service: { name: 'Missed bin' }, status: { lifecycle, code: lifecycle }, updatedAt: '2025-11-03T09:00:00Z' },
    provenance: { connector: 'fake', position: { file: 'x.csv', line: 2 }, fetchedAt: '2025-11-03T10:00:00Z', updatedAtSource: 'supplier' },
  };
}
const mem = (ref: string, lifecycle: LifecycleStatus, snapshotId: string): [string, CaseMemory] => [
  ref,
  { snapshot: snap(ref, lifecycle), updatedAt: '2025-11-03T09:00:00Z', lastEventId: 'e', sequence: 1, snapshotId },
];
const none = () => undefined;

describe('judgeListing', () => {
  const known = [mem('A', 'received', 'L2'), mem('B', 'in_progress', 'L1'), mem('C', 'received', 'L2'), mem('D', 'closed', 'L1')];

  it('closes the open cases the complete listing no longer shows, never the closed ones', async () => {
    expect(await judgeListing({ snapshotId: 'L2', onMissing: 'close', rejected: 0 }, known, none)).toEqual({ action: 'close', refs: ['B'], open: 3 });
  });

  it('judges a case touched in this listing by its newest version', async () => {
    const latest = (ref: string) => (ref === 'B' ? mem('B', 'in_progress', 'L2')[1] : undefined);
    expect(await judgeListing({ snapshotId: 'L2', onMissing: 'close', rejected: 0 }, known, latest)).toEqual({ action: 'none' });
  });

  it('closes nothing for an incomplete listing, a listing with rejects, or onMissing: ignore', async () => {
    expect(await judgeListing({ snapshotId: 'L2', onMissing: 'close', rejected: 0, incomplete: 'paging ended after 4 of the 10 items' }, known, none)).toMatchObject({ action: 'withheld', reason: 'incomplete' });
    expect(await judgeListing({ snapshotId: 'L2', onMissing: 'close', rejected: 2 }, known, none)).toMatchObject({ action: 'withheld', reason: 'rejects' });
    expect(await judgeListing({ snapshotId: 'L2', onMissing: 'ignore', rejected: 0 }, known, none)).toEqual({ action: 'none' });
  });

  it('closes nothing when more than maxCloseShare of the open cases would close (default half)', async () => {
    expect(await judgeListing({ snapshotId: 'L3', onMissing: 'close', rejected: 0 }, known, none)).toMatchObject({ action: 'withheld', reason: 'too-many', wouldClose: 3, open: 3 });
    // Exactly the share is allowed: 1 of 2.
    const two = [mem('A', 'received', 'L2'), mem('B', 'received', 'L1')];
    expect(await judgeListing({ snapshotId: 'L2', onMissing: 'close', rejected: 0 }, two, none)).toEqual({ action: 'close', refs: ['B'], open: 2 });
    expect(await judgeListing({ snapshotId: 'L3', onMissing: 'close', rejected: 0, maxCloseShare: 1 }, known, none)).toMatchObject({ action: 'close', refs: ['A', 'B', 'C'] });
  });

  it('builds the close with reason no-longer-listed, and a fingerprint that ignores when it was noticed', () => {
    const a = noLongerListed(snap('A', 'in_progress'), '2025-11-04T06:00:00Z');
    const b = noLongerListed(snap('A', 'in_progress'), '2025-11-05T07:30:00Z');
    expect(a.case).toMatchObject({ status: { lifecycle: 'closed', code: 'in_progress' }, closureReason: { code: 'no-longer-listed' }, closedAt: '2025-11-04T06:00:00Z' });
    expect(a.provenance.updatedAtSource).toBe('observed');
    expect(caseFingerprint(a)).toBe(caseFingerprint(b));
  });
});

describe('sequences', () => {
  it('start at 1, and count a case remembered without one (an older version) as 1', () => {
    expect(nextSequence(undefined)).toBe(1);
    expect(nextSequence({ sequence: 4 })).toBe(5);
    expect(nextSequence({})).toBe(2);
  });

  it('continue from a state store written before sequences existed', async () => {
    const store = openSqliteStateStore(':memory:');
    const state = store.forConnector('fake');
    // A case memory exactly as the previous version stored it: no `sequence`.
    const legacy = { snapshot: snap('OLD-1', 'received'), updatedAt: '2025-11-03T09:00:00Z', lastEventId: '0123456789abcdef0123456789abcdef' };
    await state.commit({ writes: [{ op: 'put', namespace: CASE_NAMESPACE, key: 'OLD-1', value: legacy }] });
    const publisher = memoryPublisher();
    const deps = { connector: 'fake', council: { gss: 'E09000019', name: 'Islington' }, normalize: fakeNormalize, publisher, state, clock: fixedClock('2025-11-04T06:00:00Z') };
    const rows = [
      { ref: 'OLD-1', status: 'in_progress' as const, updatedAt: '2025-11-04T09:00:00Z' },
      { ref: 'NEW-1', status: 'received' as const, updatedAt: '2025-11-04T09:00:00Z' },
    ];
    await processBatch({ records: rows.map((r, i) => fakeRecord(r, i)), checkpoint: { n: 1 }, ack: async () => {} }, deps);
    expect(publisher.events.map((e) => `${e.event.subject}:${e.event.casesequence}:${e.event.data.sequence}`)).toEqual(['OLD-1:2:2', 'NEW-1:1:1']);
    expect((await state.get<CaseMemory>(CASE_NAMESPACE, 'OLD-1'))?.sequence).toBe(2);
    store.close();
  });
});

describe('a case closed as no longer listed', () => {
  it('is reopened when a listing shows it again with the same supplier update time', async () => {
    const store = openSqliteStateStore(':memory:');
    const state = store.forConnector('fake');
    const publisher = memoryPublisher();
    const clock = fixedClock('2025-11-04T06:00:00Z');
    const deps = { connector: 'fake', council: { gss: 'E09000019', name: 'Islington' }, normalize: fakeNormalize, publisher, state, clock };
    const row = (ref: string) => ({ ref, status: 'in_progress' as const, updatedAt: '2025-11-03T09:00:00Z' });
    const listing = async (id: string, refs: string[]) => {
      await processBatch({ records: refs.map((r, i) => fakeRecord(row(r), i)), snapshot: { id, final: false, onMissing: 'close' }, ack: async () => {} }, deps);
      await processBatch({ records: [], snapshot: { id, final: true, onMissing: 'close' }, ack: async () => {} }, deps);
      clock.advance(3_600_000);
    };
    await listing('L1', ['A', 'B', 'C']);
    await listing('L2', ['A', 'B']); // C missing: closed, noticed at 07:00 (after its update time)
    await listing('L3', ['A', 'B', 'C']); // C back, with the same update time as before
    expect(publisher.events.filter((e) => e.event.subject === 'C').map((e) => `${e.event.data.change.kind}:${e.event.casesequence}`)).toEqual(['created:1', 'closed:2', 'status_changed:3']);
    store.close();
  });
});
