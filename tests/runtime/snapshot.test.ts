import { describe, expect, it } from 'vitest';
import type { SourceBatch } from '../../src/core/source.js';
import { fixedClock } from '../../src/core/clock.js';
import { processBatch } from '../../src/runtime/pipeline.js';
import { openSqliteStateStore } from '../../src/runtime/sqlite-state-store.js';
import { fakeNormalize, fakeRecord, type FakeRow } from '../helpers/fake-source.js';
import { memoryPublisher } from '../helpers/memory-publisher.js';

const council = { gss: 'E09000019', name: 'Islington' };

/** Three successive full exports, each split into two batches; the last batch is `final`. */
async function runSnapshots(exportsList: FakeRow[][], onMissing: 'close' | 'ignore') {
  const store = openSqliteStateStore(':memory:');
  const state = store.forConnector('fake');
  const publisher = memoryPublisher();
  const clock = fixedClock('2025-11-04T06:00:00Z');
  const perExport: string[][] = [];
  for (const [n, rows] of exportsList.entries()) {
    const before = publisher.events.length;
    const half = Math.ceil(rows.length / 2);
    const parts = [rows.slice(0, half), rows.slice(half)];
    for (const [i, part] of parts.entries()) {
      const batch: SourceBatch = {
        records: part.map((r, j) => fakeRecord(r, j)),
        checkpoint: { export: n, part: i },
        snapshot: { id: `export-${n}`, final: i === parts.length - 1, onMissing },
        ack: async () => {},
      };
      await processBatch(batch, { connector: 'fake', council, normalize: fakeNormalize, publisher, state, clock });
    }
    clock.advance(86_400_000);
    perExport.push(publisher.events.slice(before).map((e) => `${e.event.subject}:${e.event.data.change.kind}`));
  }
  return { perExport, publisher };
}

const day1: FakeRow[] = [
  { ref: 'A', status: 'received', updatedAt: '2025-11-03T09:00:00Z' },
  { ref: 'B', status: 'received', updatedAt: '2025-11-03T09:00:00Z' },
  { ref: 'C', status: 'in_progress', updatedAt: '2025-11-03T09:00:00Z' },
];
const day2: FakeRow[] = [
  { ref: 'A', status: 'received', updatedAt: '2025-11-03T09:00:00Z' }, // unchanged
  { ref: 'B', status: 'in_progress', updatedAt: '2025-11-04T09:00:00Z' }, // status changed
  // C disappeared
  { ref: 'D', status: 'received', updatedAt: '2025-11-04T10:00:00Z' }, // new
];
const day3: FakeRow[] = [
  { ref: 'A', status: 'received', updatedAt: '2025-11-03T09:00:00Z' },
  { ref: 'B', status: 'in_progress', updatedAt: '2025-11-04T09:00:00Z' },
  { ref: 'D', status: 'received', updatedAt: '2025-11-04T10:00:00Z' },
];

describe('snapshot exports', () => {
  it('emit exactly the created / changed / closed events the differences imply', async () => {
    const { perExport, publisher } = await runSnapshots([day1, day2, day3], 'close');
    expect(perExport[0]!.sort()).toEqual(['A:created', 'B:created', 'C:created']);
    expect(perExport[1]!.sort()).toEqual(['B:status_changed', 'C:closed', 'D:created']);
    expect(perExport[2]).toEqual([]);
    const closed = publisher.events.find((e) => e.event.subject === 'C' && e.event.data.change.kind === 'closed')!.event;
    expect(closed.data.change.previousStatus).toBe('in_progress');
    expect(closed.data.provenance.updatedAtSource).toBe('observed');
    expect(closed.data.case.status.code).toBe('in_progress');
  });

  it('leave disappeared cases alone when configured to ignore them', async () => {
    const { perExport } = await runSnapshots([day1, day2], 'ignore');
    expect(perExport[1]!.sort()).toEqual(['B:status_changed', 'D:created']);
  });
});

describe('snapshot exports with rejected rows', () => {
  it('close nothing when a row was dead-lettered (it may be the "missing" case)', async () => {
    const day2WithBadRow: FakeRow[] = [
      { ref: 'A', status: 'received', updatedAt: '2025-11-03T09:00:00Z' },
      { ref: 'B', status: 'received', updatedAt: '2025-11-03T09:00:00Z' },
      { ref: 'C', status: 'in_progress', updatedAt: '2025-11-04T09:00:00Z', bad: true, code: 'ZZ' },
    ];
    const { perExport, publisher } = await runSnapshots([day1, day2WithBadRow, day1], 'close');
    expect(perExport[1]).toEqual([]);
    expect(publisher.deadLetters).toHaveLength(1);
    // The next clean snapshot behaves normally again.
    expect(perExport[2]).toEqual([]);
    const { perExport: clean } = await runSnapshots([day1, day2WithBadRow, day2], 'close');
    expect(clean[2]!.sort()).toEqual(['B:status_changed', 'C:closed', 'D:created']);
  });
});
