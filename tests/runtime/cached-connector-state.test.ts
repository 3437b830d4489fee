import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StateError } from '../../src/core/errors.js';
import type { ConnectorState, StateStore, StateUpdate, StateWrite } from '../../src/core/state-store.js';
import { ADMISSION_WINDOW, cachedConnectorState } from '../../src/runtime/state/cached-connector-state.js';
import { openSqliteStateStore } from '../../src/runtime/sqlite-state-store.js';
import { CASE_NAMESPACE } from '../../src/normalize/case-changes.js';
import { fakeSource, type FakeRow } from '../helpers/fake-source.js';
import { fakeRunner } from '../helpers/fake-runner.js';
import { memoryPublisher } from '../helpers/memory-publisher.js';
import { stateStoreContract } from './state-store-contract.js';

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

/** Every connector's state behind the cache, small enough that the contract's tests evict. */
function cachedStore(inner: StateStore): StateStore {
  return { ...inner, forConnector: (c, o) => cachedConnectorState(inner.forConnector(c, o), { namespace: 'cases', maxEntries: 4 }), resetCheckpoint: (c) => inner.resetCheckpoint(c), close: () => inner.close() };
}

stateStoreContract('SQLite behind the case cache', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cb-cached-contract-'));
  dirs.push(dir);
  const path = join(dir, 'state.sqlite');
  return { store: cachedStore(openSqliteStateStore(path)), reopen: async () => cachedStore(openSqliteStateStore(path)) };
});

/** The store's reads of the cached namespace, key by key, and a switch to make its commits fail. */
function counted(inner: ConnectorState, onCommit?: (u: StateUpdate) => void) {
  const asked: string[][] = [];
  let failCommits = false;
  const state: ConnectorState = {
    ...inner,
    connector: inner.connector,
    checkpoint: () => inner.checkpoint(),
    get: (ns, key) => inner.get(ns, key),
    entries: (ns) => inner.entries(ns),
    getMany: (ns, keys) => {
      asked.push([...keys]);
      return inner.getMany(ns, keys);
    },
    ...(inner.getManyText
      ? {
          getManyText: (ns: string, keys: readonly string[]) => {
            asked.push([...keys]);
            return inner.getManyText!(ns, keys);
          },
        }
      : {}),
    commit: async (u) => {
      if (failCommits) throw new StateError('store down', { code: 'state_commit', retriable: true });
      onCommit?.(u);
      return inner.commit(u);
    },
  };
  return { state, asked, failWith: (on: boolean) => (failCommits = on) };
}

async function setup(maxEntries = 3, onCommit?: (u: StateUpdate) => void) {
  const store = openSqliteStateStore(':memory:');
  const c = counted(store.forConnector('street'), onCommit);
  const cached = cachedConnectorState(c.state, { namespace: 'case', maxEntries });
  const put = (key: string, value: unknown) => ({ op: 'put' as const, namespace: 'case', key, value });
  return { store, ...c, cached, put };
}

describe('case-state cache', () => {
  it('answers hits and known-absent keys from memory and asks the store once for the rest', async () => {
    const { store, cached, asked, put } = await setup(10);
    await store.forConnector('street').commit({ writes: [put('A', { v: 'a' }), put('B', { v: 'b' })] });
    const first = await cached.getMany('case', ['A', 'X', 'A']);
    expect([...first]).toEqual([['A', { v: 'a' }]]);
    expect(asked).toEqual([['A', 'X']]);
    const second = await cached.getMany('case', ['X', 'A', 'B']);
    expect([...second]).toEqual([
      ['A', { v: 'a' }],
      ['B', { v: 'b' }],
    ]);
    // A and the absent X came from memory; only B was asked for.
    expect(asked).toEqual([['A', 'X'], ['B']]);
    expect(await cached.get('case', 'X')).toBeUndefined();
    expect(asked).toHaveLength(2);
    expect(cached.cacheStats).toMatchObject({ hits: 3, misses: 3 });
  });

  it('remembers what a commit wrote, only once the store has it, deletes included', async () => {
    const { cached, asked, put } = await setup(10);
    expect(await cached.getMany('case', ['N'])).toEqual(new Map());
    await cached.commit({ checkpoint: { line: 1 }, writes: [put('N', { v: 1 }), put('M', { v: 2 }), { op: 'delete', namespace: 'case', key: 'M' }] });
    expect([...(await cached.getMany('case', ['N', 'M']))]).toEqual([['N', { v: 1 }]]);
    expect(asked).toEqual([['N']]);
  });

  it('does not cache other namespaces', async () => {
    const { cached, asked } = await setup(10);
    await cached.commit({ writes: [{ op: 'put', namespace: 'snapshot', key: 'S', value: 1 }] });
    await cached.getMany('snapshot', ['S']);
    await cached.getMany('snapshot', ['S']);
    expect(asked).toEqual([['S'], ['S']]);
  });

  it('evicts the least recently used key beyond its bound', async () => {
    const { cached, asked, put } = await setup(3);
    await cached.commit({ writes: [put('A', 1), put('B', 2), put('C', 3)] });
    await cached.getMany('case', ['A']); // A is now the most recent; B the coldest
    await cached.commit({ writes: [put('D', 4)] });
    expect(cached.cacheStats.size).toBe(3);
    expect([...(await cached.getMany('case', ['A', 'C', 'D', 'B']))]).toEqual([
      ['A', 1],
      ['C', 3],
      ['D', 4],
      ['B', 2],
    ]);
    expect(asked).toEqual([['B']]);
  });

  it('is bounded by bytes as well: long cases are evicted sooner than short ones', async () => {
    const store = openSqliteStateStore(':memory:');
    const c = counted(store.forConnector('street'));
    // Room for about three 1,000-character cases, or many more short ones.
    const cached = cachedConnectorState(c.state, { namespace: 'case', maxEntries: 100, maxBytes: 3_500 });
    const put = (key: string, value: unknown) => ({ op: 'put' as const, namespace: 'case', key, value });
    await cached.commit({ writes: ['A', 'B', 'C', 'D'].map((k) => put(k, 'x'.repeat(1_000))) });
    expect(cached.cacheStats.size).toBe(3);
    expect(cached.cacheStats.bytes).toBeLessThanOrEqual(3_500);
    await cached.commit({ writes: Array.from({ length: 20 }, (_, i) => put(`s${i}`, i)) });
    expect(cached.cacheStats.size).toBeGreaterThan(20);
    expect(cached.cacheStats.bytes).toBeLessThanOrEqual(3_500);
    // Evicted or not, every value still comes back, and the evicted ones from the store.
    c.asked.length = 0;
    expect((await cached.getMany<string>('case', ['A', 'D'])).get('A')).toHaveLength(1_000);
    expect(c.asked).toEqual([['A']]);
    await store.close();
  });

  it('works in front of a store that only gives parsed values (no getManyText)', async () => {
    const store = openSqliteStateStore(':memory:');
    const s = store.forConnector('street');
    const plain: ConnectorState = { connector: s.connector, checkpoint: () => s.checkpoint(), get: (ns, k) => s.get(ns, k), getMany: (ns, keys) => s.getMany(ns, keys), entries: (ns) => s.entries(ns), commit: (u) => s.commit(u) };
    await s.commit({ writes: [{ op: 'put', namespace: 'case', key: 'A', value: { v: [1, 'é'] } }] });
    const cached = cachedConnectorState(plain, { namespace: 'case', maxEntries: 10 });
    expect([...(await cached.getMany('case', ['A', 'B']))]).toEqual([['A', { v: [1, 'é'] }]]);
    expect([...(await cached.getMany('case', ['A', 'B']))]).toEqual([['A', { v: [1, 'é'] }]]);
    expect(cached.cacheStats).toMatchObject({ hits: 2, misses: 2, size: 2 });
    await store.close();
  });

  it('a batch wider than the bound still gets every value it asked for', async () => {
    const { store, cached, put } = await setup(2);
    await store.forConnector('street').commit({ writes: ['A', 'B', 'C', 'D'].map((k) => put(k, k)) });
    await cached.getMany('case', ['A', 'B']);
    expect([...(await cached.getMany('case', ['A', 'B', 'C', 'D']))]).toEqual(['A', 'B', 'C', 'D'].map((k) => [k, k]));
  });

  describe('admission follows the hit rate', () => {
    /**
     * One batch as the pipeline does it: look the batch's cases up, then commit a new version of
     * each. Returns what the lookups answered, for checking against what was committed.
     */
    async function batch(cached: ReturnType<typeof cachedConnectorState>, keys: string[], version: number) {
      const seen = await cached.getMany<{ v: number }>('case', keys);
      await cached.commit({ writes: keys.map((k) => ({ op: 'put' as const, namespace: 'case', key: k, value: { v: version } })) });
      return seen;
    }

    it('stops taking in new cases when cases come back only after more than it holds (a cycle), and drains', async () => {
      const { store, cached } = await setup(100);
      const cases = Array.from({ length: 1_000 }, (_, i) => `c${i}`);
      // Three passes over 1,000 cases, 50 a batch: with room for 100, an LRU never hits.
      for (let pass = 0; pass < 3; pass++) {
        for (let i = 0; i < cases.length; i += 50) {
          const keys = cases.slice(i, i + 50);
          const seen = await batch(cached, keys, pass + 1);
          // Whatever the cache does, every answer is the last committed version.
          for (const k of keys) expect(seen.get(k)?.v).toBe(pass === 0 ? undefined : pass);
        }
      }
      expect(cached.cacheStats.hits).toBe(0);
      expect(cached.cacheStats.admitting).toBe(false);
      expect(cached.cacheStats.size).toBe(0);
      expect(cached.cacheStats.bytes).toBe(0);
      await store.close();
    });

    it('takes cases in again once they come back (a ghost lookup counts as the hit admission would have had)', async () => {
      const { store, cached } = await setup(100);
      const cycle = Array.from({ length: 1_000 }, (_, i) => `c${i}`);
      for (let pass = 0; pass < 3; pass++) for (let i = 0; i < cycle.length; i += 50) await batch(cached, cycle.slice(i, i + 50), pass + 1);
      expect(cached.cacheStats.admitting).toBe(false);
      // Now the same 40 cases again and again: refused at first, each stays a ghost and its next
      // lookup would have hit, so the next window lets them in, and later lookups hit.
      const hot = Array.from({ length: 40 }, (_, i) => `h${i}`);
      const rounds = Math.ceil((2 * ADMISSION_WINDOW) / hot.length) + 2;
      for (let r = 0; r < rounds; r++) {
        const seen = await batch(cached, hot, r + 1);
        for (const k of hot) expect(seen.get(k)?.v).toBe(r === 0 ? undefined : r);
      }
      expect(cached.cacheStats.admitting).toBe(true);
      expect(cached.cacheStats.size).toBe(40);
      const before = cached.cacheStats.hits;
      await batch(cached, hot, rounds + 1);
      expect(cached.cacheStats.hits - before).toBe(40);
      await store.close();
    });

    it('keeps the cases that come back while refusing the rest, and refreshes them, so nothing it holds goes stale', async () => {
      const { store, cached, asked } = await setup(1_000);
      await batch(cached, ['K'], 1);
      // K is looked up before every batch of 128 cases seen once: 1 hit in 129 lookups, under 1/64.
      // The first window fills the cache; the second, refused, drains it.
      for (let i = 0; i < 2 * ADMISSION_WINDOW; i += 128) {
        expect((await cached.getMany<{ v: number }>('case', ['K'])).get('K')).toEqual({ v: 1 });
        await batch(cached, Array.from({ length: 128 }, (_, j) => `n${i + j}`), 1);
      }
      expect(cached.cacheStats.admitting).toBe(false);
      // The refusals drained everything but K, which was hit since it was written.
      expect(cached.cacheStats.size).toBe(1);
      await batch(cached, ['K'], 2);
      asked.length = 0;
      expect((await cached.getMany<{ v: number }>('case', ['K'])).get('K')).toEqual({ v: 2 });
      expect(asked).toEqual([]);
      await store.close();
    });
  });

  it('forgets everything when a commit fails, and does not take in that commit\'s writes', async () => {
    const { cached, asked, put, failWith } = await setup(10);
    await cached.commit({ writes: [put('A', 'old')] });
    failWith(true);
    await expect(cached.commit({ writes: [put('A', 'new'), put('B', 'new')] })).rejects.toThrow(StateError);
    expect(cached.cacheStats.size).toBe(0);
    failWith(false);
    expect([...(await cached.getMany('case', ['A', 'B']))]).toEqual([['A', 'old']]);
    expect(asked).toEqual([['A', 'B']]);
  });

  it('does not keep a value read while its own commit was under way', async () => {
    const store = openSqliteStateStore(':memory:');
    const inner = store.forConnector('street');
    let releaseCommit!: () => void;
    let releaseRead!: () => void;
    const commitGate = new Promise<void>((r) => (releaseCommit = r));
    const readGate = new Promise<void>((r) => (releaseRead = r));
    // A networked store: the commit lands later, and the read answers later still, with what it saw before.
    const slow: ConnectorState = {
      ...inner,
      connector: inner.connector,
      getMany: async (ns, keys) => {
        const seen = await inner.getMany(ns, keys);
        await readGate;
        return seen as never;
      },
      getManyText: async (ns, keys) => {
        const seen = await inner.getManyText!(ns, keys);
        await readGate;
        return seen;
      },
      commit: async (u) => {
        await commitGate;
        return inner.commit(u);
      },
    };
    const cached = cachedConnectorState(slow, { namespace: 'case', maxEntries: 10 });
    const commit = cached.commit({ writes: [{ op: 'put', namespace: 'case', key: 'B', value: 'b' }] });
    const read = cached.getMany('case', ['B']);
    releaseCommit();
    await commit;
    releaseRead();
    expect((await read).has('B')).toBe(false);
    expect(await cached.get('case', 'B')).toBe('b');
  });

  it('hands out fresh values: a caller that changes one, or the writer that changes its own, does not change later reads', async () => {
    const { cached, put } = await setup(10);
    const written = { snapshot: { case: { status: { lifecycle: 'received' } } }, sequence: 1 };
    await cached.commit({ writes: [put('A', written)] });
    const got = (await cached.get<typeof written>('case', 'A'))!;
    got.snapshot.case.status.lifecycle = 'closed';
    got.sequence = 2;
    written.snapshot.case.status = { lifecycle: 'closed' };
    expect(await cached.get('case', 'A')).toEqual({ snapshot: { case: { status: { lifecycle: 'received' } } }, sequence: 1 });
  });

  it('serialises a case once: the store is given the JSON text the cache keeps', async () => {
    const seen: StateWrite[] = [];
    const { cached, put } = await setup(10, (u) => void seen.push(...(u.writes ?? [])));
    await cached.commit({ writes: [put('A', { v: 1 }), { op: 'put', namespace: 'snapshot', key: 'S', value: 2 }] });
    expect(seen).toEqual([
      { op: 'put', namespace: 'case', key: 'A', value: { v: 1 }, json: '{"v":1}' },
      { op: 'put', namespace: 'snapshot', key: 'S', value: 2 },
    ]);
  });
});

describe('case-state cache in a connector run', () => {
  it('reads each case from the store once per run, and a new run starts cold', async () => {
    const inner = openSqliteStateStore(':memory:');
    const asked: string[][] = [];
    const store: StateStore = {
      ...inner,
      forConnector(c, o) {
        const st = inner.forConnector(c, o);
        return { ...st, connector: c, checkpoint: () => st.checkpoint(), get: (ns, k) => st.get(ns, k), entries: (ns) => st.entries(ns), commit: (u) => st.commit(u), getMany: (ns, keys) => (ns === CASE_NAMESPACE && asked.push([...keys]), st.getMany(ns, keys)), getManyText: (ns, keys) => (ns === CASE_NAMESPACE && asked.push([...keys]), st.getManyText!(ns, keys)) };
      },
      resetCheckpoint: (c) => inner.resetCheckpoint(c),
      close: () => inner.close(),
    };
    const at = (m: number) => `2025-11-03T09:0${m}:00Z`;
    const rows: FakeRow[] = [
      { ref: 'SR1', status: 'received', updatedAt: at(1) },
      { ref: 'SR2', status: 'received', updatedAt: at(1) },
      { ref: 'SR1', status: 'in_progress', updatedAt: at(2) },
      { ref: 'SR2', status: 'received', updatedAt: at(1) },
      { ref: 'SR1', status: 'resolved', updatedAt: at(3) },
      { ref: 'SR3', status: 'received', updatedAt: at(3) },
    ];
    const publisher = memoryPublisher();
    const runner = (source: ReturnType<typeof fakeSource>, caseCacheBytes?: number) => fakeRunner({ source, publisher, stateStore: store, ...(caseCacheBytes !== undefined ? { caseCacheBytes } : {}) });
    const first = await runner(fakeSource(rows, 2, [])).runOnce(new AbortController().signal);
    expect(first.status).toBe('ok');
    // Batches [SR1 SR2] [SR1 SR2] [SR1 SR3]: only the first sight of each case goes to the store.
    expect(asked).toEqual([['SR1', 'SR2'], ['SR3']]);
    expect(publisher.events.map((e) => `${e.event.subject}#${e.event.casesequence}:${e.event.data.change.kind}`)).toEqual([
      'SR1#1:created',
      'SR2#1:created',
      'SR1#2:status_changed',
      'SR1#3:status_changed',
      'SR3#1:created',
    ]);
    asked.length = 0;
    const second = await runner(fakeSource([...rows, { ref: 'SR1', status: 'closed', updatedAt: at(4) }], 2, [])).runOnce(new AbortController().signal);
    expect(second.status).toBe('ok');
    expect(asked).toEqual([['SR1']]);
    expect(publisher.events.at(-1)!.event.casesequence).toBe(4);

    // state.caseCache too small for even one case: every batch asks the store again, and the
    // events are the same as with the cache.
    asked.length = 0;
    const more: FakeRow[] = [
      { ref: 'SR9', status: 'received', updatedAt: at(5) },
      { ref: 'SR10', status: 'received', updatedAt: at(5) },
      { ref: 'SR9', status: 'in_progress', updatedAt: at(6) },
    ];
    const third = await runner(fakeSource([...rows, { ref: 'SR1', status: 'closed', updatedAt: at(4) }, ...more], 1, []), 1).runOnce(new AbortController().signal);
    expect(third.status).toBe('ok');
    expect(asked).toEqual([['SR9'], ['SR10'], ['SR9']]);
    expect(publisher.events.slice(-3).map((e) => `${e.event.subject}#${e.event.casesequence}`)).toEqual(['SR9#1', 'SR10#1', 'SR9#2']);
    await inner.close();
  });
});
