/** Typed checkpoints: the runtime parses the stored position with the source's schema before read(). */
import { describe, expect, it } from 'vitest';
import { FileCheckpoint } from '../../src/connectors/file/index.js';
import { Open311Checkpoint } from '../../src/connectors/open311/index.js';
import { RestCheckpoint } from '../../src/connectors/rest/index.js';
import { SoapCheckpoint } from '../../src/connectors/soap/index.js';
import { SqlCheckpoint } from '../../src/connectors/sql/index.js';
import { parseStoredCheckpoint } from '../../src/core/checkpoint.js';
import { isRetriable, StateError } from '../../src/core/errors.js';
import type { Checkpoint } from '../../src/core/state-store.js';
import { openSqliteStateStore } from '../../src/runtime/sqlite-state-store.js';
import { FakeCheckpoint, fakeSource, type FakeRow } from '../helpers/fake-source.js';
import { fakeRunner } from '../helpers/fake-runner.js';
import { memoryPublisher } from '../helpers/memory-publisher.js';

const rows: FakeRow[] = [1, 2, 3, 4, 5].map((n) => ({ ref: `SR${n}`, status: 'received', updatedAt: `2025-11-03T09:0${n}:00Z` }));

async function runnerWithStored(stored: Checkpoint | undefined) {
  const journal: string[] = [];
  const store = openSqliteStateStore(':memory:');
  if (stored !== undefined) await store.forConnector('fake').commit({ checkpoint: stored });
  const r = fakeRunner({ source: fakeSource(rows, 2, journal), publisher: memoryPublisher(journal), stateStore: store });
  return { r, store, journal };
}

describe('stored checkpoints', () => {
  it('a stored checkpoint that does not parse stops the connector before read(), naming it, what was expected and how to reset', async () => {
    const { r, store, journal } = await runnerWithStored({ offset: 'two' });
    const summary = await r.runOnce(new AbortController().signal);
    expect(summary.status).toBe('failed');
    expect(r.status).toBe('failed'); // not retriable: no backoff loop on a position that will never parse
    expect(r.lastFailure).toBeInstanceOf(StateError);
    expect(isRetriable(r.lastFailure)).toBe(false);
    expect(summary.error).toContain('connector fake');
    expect(summary.error).toContain('"offset":"two"');
    expect(summary.error).toMatch(/offset[\s\S]*expected number/);
    expect(summary.error).toContain('casebridge state reset <config> fake');
    expect(journal.filter((j) => j.startsWith('read:'))).toEqual([]);
    expect(await store.forConnector('fake').checkpoint()).toEqual({ offset: 'two' }); // left for the operator
  });

  it('a valid stored checkpoint reaches the source parsed, and what the source commits parses again', async () => {
    const { r, store, journal } = await runnerWithStored({ offset: 2 });
    const summary = await r.runOnce(new AbortController().signal);
    expect(summary.status).toBe('ok');
    expect(journal.filter((j) => j.startsWith('read:'))).toEqual(['read:2-4', 'read:4-5']);
    const committed = await store.forConnector('fake').checkpoint();
    expect(FakeCheckpoint.parse(committed)).toEqual({ offset: 5 });
    const again = await r.runOnce(new AbortController().signal);
    expect(again.status).toBe('ok');
    expect(again.batches).toBe(0);
  });
});

const sha = 'a'.repeat(64);
const kinds: Array<{ kind: string; schema: { safeParse(v: unknown): { success: boolean; data?: unknown } }; valid: Checkpoint[]; corrupt: Checkpoint[] }> = [
  {
    kind: 'file',
    schema: FileCheckpoint,
    valid: [
      {},
      { current: { name: 'a.csv', sha256: sha, next: 200, records: 198, rejects: 2, deadLettered: 3, published: 190, snapshotId: 'file:x' } },
      { last: { name: 'a.csv', sha256: sha, outcome: 'processed', at: '2025-11-03T09:00:00.000Z' } },
    ],
    corrupt: [{ current: { name: 'a.csv', sha256: 'nothex', next: 1, records: 1, rejects: 0, deadLettered: 0, published: 1 } }, { last: { name: 'a.csv', sha256: sha, outcome: 'moved', at: 'x' } }],
  },
  {
    kind: 'rest',
    schema: RestCheckpoint,
    valid: [{ since: '2025-11-03T09:00:00.000Z' }, { since: '2025-11-03T09:00:00.000Z', run: { since: '2025-11-03T08:55:00.000Z', until: '2025-11-03T10:00:00.000Z', pages: 3, cursor: 'abc', high: '2025-11-03T09:59:00.000Z' } }],
    corrupt: [{ since: 'yesterday' }, { offset: 5 }],
  },
  {
    kind: 'soap',
    schema: SoapCheckpoint,
    valid: [{ v: 1, windowStart: '2025-11-03T09:00:00+00:00', windowEnd: '2025-11-03T10:00:00+00:00', page: null, seen: 0, complete: false }],
    corrupt: [{ lastId: 5 }, { v: 2, windowStart: '2025-11-03T09:00:00+00:00', windowEnd: '2025-11-03T10:00:00+00:00', page: 1, seen: 0, complete: true }],
  },
  {
    kind: 'open311',
    schema: Open311Checkpoint,
    valid: [{ since: '2025-11-03T09:00:00Z' }],
    corrupt: [{ since: 'last tuesday' }, {}],
  },
  {
    kind: 'sql',
    schema: SqlCheckpoint,
    valid: [
      { mode: 'incremental', column: 'updated_at', ts: '2025-11-03 09:00:00.123456', key: 42, at: '2025-11-03T09:00:00.123+00:00' },
      { mode: 'snapshot', snapshot: 'snap-1', done: false, afterKey: 'K-9', at: '2025-11-03T09:00:00Z' },
    ],
    corrupt: [{ mode: 'incremental', column: 'updated_at', ts: 5, key: 1 }, { column: 'updated_at', ts: 'x', key: 1 }],
  },
];

describe.each(kinds)('$kind checkpoint schema', ({ kind, schema, valid, corrupt }) => {
  it('round-trips what the source writes through the state store', async () => {
    const store = openSqliteStateStore(':memory:');
    for (const cp of valid) {
      await store.forConnector(kind).commit({ checkpoint: cp });
      const stored = await store.forConnector(kind).checkpoint();
      expect(parseStoredCheckpoint(schema as never, stored, kind)).toEqual(cp);
    }
    await store.close();
  });
  it('refuses a position it cannot resume from', () => {
    for (const cp of corrupt) expect(() => parseStoredCheckpoint(schema as never, cp, kind)).toThrow(/the stored checkpoint is not a position this connector can resume from/);
  });
});
