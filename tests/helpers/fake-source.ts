/** A scripted source for runtime tests: yields the batches it is given, records ack order. */
import type { Checkpoint, Source, SourceBatch, SourceRecord } from '../../src/core/source.js';
import type { CaseSnapshot } from '../../src/event/case-event.js';
import type { Normalizer } from '../../src/normalize/normalizer.js';

export interface FakeRow {
  ref: string;
  status: 'received' | 'in_progress' | 'resolved' | 'closed';
  code?: string;
  updatedAt: string;
  bad?: boolean;
}

export function fakeRecord(row: FakeRow, i: number): SourceRecord {
  return { raw: { ...row }, position: { file: 'fake.csv', line: i + 2 }, fetchedAt: '2025-11-03T14:05:00.000Z' };
}

/** Yields `rows` in batches of `size`, resuming after checkpoint.offset; `journal` records acks. */
export function fakeSource(rows: FakeRow[], size: number, journal: string[]): Source & { closed: number } {
  const src = {
    closed: 0,
    async *read({ checkpoint, signal }: { checkpoint: Checkpoint | undefined; signal: AbortSignal }): AsyncIterable<SourceBatch> {
      let offset = (checkpoint?.offset as number | undefined) ?? 0;
      while (offset < rows.length && !signal.aborted) {
        const slice = rows.slice(offset, offset + size);
        const start = offset;
        offset += slice.length;
        const end = offset;
        journal.push(`read:${start}-${end}`);
        yield {
          records: slice.map((r, i) => fakeRecord(r, start + i)),
          checkpoint: { offset: end },
          ack: async (outcome) => {
            journal.push(`${outcome.status === 'committed' ? 'ack' : outcome.status}:${end}`);
          },
        };
      }
    },
    async close() {
      src.closed++;
    },
  };
  return src;
}

/** A normalizer that maps FakeRow straight to a snapshot; `bad` rows are rejected. */
export const fakeNormalize: Normalizer = (record) => {
  const row = record.raw as unknown as FakeRow;
  if (row.bad) return { kind: 'reject', code: 'unknown_status', field: 'case.status', reason: `unknown status code "${row.code}" in lookup table "stages"` };
  const snapshot: CaseSnapshot = {
    council: { gss: 'E09000019', name: 'Islington' },
    system: { supplier: 'Fake', connector: 'fake' },
    case: {
      reference: row.ref,
      service: { name: 'Missed bin' },
      status: { lifecycle: row.status, code: row.code ?? row.status },
      updatedAt: row.updatedAt,
    },
    provenance: { connector: 'fake', position: record.position, fetchedAt: record.fetchedAt, updatedAtSource: 'supplier' },
  };
  return { kind: 'case', snapshot };
};
