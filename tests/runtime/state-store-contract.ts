/**
 * What every state store must do, run by each implementation's test file (SQLite, PostgreSQL), so
 * the stores cannot drift apart. Each test opens its own fresh store.
 */
import { describe, expect, it } from 'vitest';
import { StateError } from '../../src/core/errors.js';
import type { StateStore } from '../../src/core/state-store.js';

export interface StoreUnderTest {
  store: StateStore;
  /** The same storage opened again (as after a restart). */
  reopen(): Promise<StateStore>;
}

async function collect<T>(it: AsyncIterable<[string, T]>): Promise<Array<[string, T]>> {
  const out: Array<[string, T]> = [];
  for await (const e of it) out.push(e);
  return out;
}

/** Code-point order, as both stores sort keys (JS's default sort agrees for these BMP keys). */
const codePointSort = (keys: string[]) => [...keys].sort();

export function stateStoreContract(name: string, open: () => Promise<StoreUnderTest>): void {
  describe(`${name}: state store contract`, () => {
    it('round-trips a checkpoint and values exactly, and keeps them across a reopen', async () => {
      const { store, reopen } = await open();
      const s = store.forConnector('street');
      expect(await s.checkpoint()).toBeUndefined();
      expect(await s.get('cases', 'A1')).toBeUndefined();
      const checkpoint = { file: 'export 2025-11-03.csv', line: 301, nested: { watermark: '2025-11-03T14:05:00+00:00', ids: [1, 2, 3] } };
      // Key order, unicode and escapes come back as written (a jsonb column would reorder keys).
      const value = { z: 1, a: 'Café – £5 \u0000 "quoted" \\ back', n: null, big: 12345678901234, f: 0.1, list: [{ b: 2, a: 1 }] };
      await s.commit({ checkpoint, writes: [{ op: 'put', namespace: 'cases', key: 'A1', value }] });
      expect(await s.checkpoint()).toEqual(checkpoint);
      const back = await s.get<typeof value>('cases', 'A1');
      expect(back).toEqual(value);
      expect(JSON.stringify(back)).toBe(JSON.stringify(value));
      await s.commit({ checkpoint: { line: 999 } });
      expect(await s.checkpoint()).toEqual({ line: 999 });
      expect(await s.get('cases', 'A1')).toEqual(value);
      await store.close();

      const again = await reopen();
      try {
        expect(await again.forConnector('street').checkpoint()).toEqual({ line: 999 });
        expect(await again.forConnector('street').get('cases', 'A1')).toEqual(value);
        expect(await again.forConnector('other').checkpoint()).toBeUndefined();
      } finally {
        await again.close();
      }
    });

    it('commits atomically: a write that cannot be stored leaves the checkpoint and the other writes as they were', async () => {
      const { store } = await open();
      try {
        const s = store.forConnector('street');
        await s.commit({ checkpoint: { line: 1 }, writes: [{ op: 'put', namespace: 'cases', key: 'A1', value: 'v1' }] });
        const bad = s.commit({
          checkpoint: { line: 2 },
          writes: [
            { op: 'put', namespace: 'cases', key: 'A1', value: 'v2' },
            { op: 'put', namespace: 'cases', key: 'A2', value: 'new' },
            { op: 'put', namespace: 'cases', key: 'A3', value: { n: 1n } },
          ],
        });
        await expect(bad).rejects.toBeInstanceOf(StateError);
        expect(await s.checkpoint()).toEqual({ line: 1 });
        expect(await s.get('cases', 'A1')).toBe('v1');
        expect(await s.get('cases', 'A2')).toBeUndefined();
      } finally {
        await store.close();
      }
    });

    it('stores the JSON text a put carries as it is (the case cache serialises once for both)', async () => {
      const { store } = await open();
      const s = store.forConnector('street');
      await s.commit({ writes: [{ op: 'put', namespace: 'cases', key: 'A', value: { v: 1 }, json: '{"v":1,"fromText":true}' }] });
      expect(await s.get('cases', 'A')).toEqual({ v: 1, fromText: true });
      await store.close();
    });

    it('getMany returns the keys that exist, in one call, and nothing for an empty list', async () => {
      const { store } = await open();
      try {
        const s = store.forConnector('street');
        await s.commit({ writes: Array.from({ length: 50 }, (_, i) => ({ op: 'put' as const, namespace: 'cases', key: `C${i}`, value: { i } })) });
        await store.forConnector('other').commit({ writes: [{ op: 'put', namespace: 'cases', key: 'C999', value: 'theirs' }] });
        const got = await s.getMany<{ i: number }>('cases', ['C3', 'C49', 'missing', 'C3', 'C999']);
        expect([...got.entries()].sort()).toEqual([
          ['C3', { i: 3 }],
          ['C49', { i: 49 }],
        ]);
        expect((await s.getMany('cases', [])).size).toBe(0);
        expect((await s.getMany('elsewhere', ['C3'])).size).toBe(0);
        expect([...(await s.getMany('cases', ['C7']))]).toEqual([['C7', { i: 7 }]]);
        // Keys that quoting could confuse: a batch is looked up as data, never as SQL or JSON text.
        const odd = ['it\'s', 'a"b', 'back\\slash', '£ & 🏠', 'x,y', '[1]'];
        await s.commit({ writes: odd.map((key, i) => ({ op: 'put' as const, namespace: 'cases', key, value: i })) });
        expect([...(await s.getMany<number>('cases', [...odd, 'C1']))].sort()).toEqual([...odd.map((k, i) => [k, i] as [string, number]), ['C1', { i: 1 }]].sort());
        if (s.getManyText) {
          const texts = await s.getManyText('cases', ['C3', 'missing', 'C49']);
          expect([...texts].sort()).toEqual([
            ['C3', '{"i":3}'],
            ['C49', '{"i":49}'],
          ]);
        }
      } finally {
        await store.close();
      }
    });

    it('entries streams one connector\'s namespace in code-point key order', async () => {
      const { store } = await open();
      try {
        const s = store.forConnector('street');
        const keys = [...Array.from({ length: 1234 }, (_, i) => `K${String(i).padStart(5, '0')}`), 'a', 'B', 'b', 'Z', 'é', 'z', '_', '0', 'K', 'K00001x'];
        // Shuffled writes over several commits: the order must come from the store.
        const shuffled = [...keys].sort((x, y) => ((x.length * 7919 + x.charCodeAt(x.length - 1)) % 13) - ((y.length * 7919 + y.charCodeAt(y.length - 1)) % 13));
        for (let i = 0; i < shuffled.length; i += 400) {
          await s.commit({ writes: shuffled.slice(i, i + 400).map((key) => ({ op: 'put' as const, namespace: 'seen', key, value: { key } })) });
        }
        await s.commit({ writes: [{ op: 'put', namespace: 'other-ns', key: 'A', value: 1 }] });
        await store.forConnector('other').commit({ writes: [{ op: 'put', namespace: 'seen', key: 'A', value: 1 }] });
        const all = await collect(s.entries<{ key: string }>('seen'));
        expect(all.map(([k]) => k)).toEqual(codePointSort(keys));
        for (const [k, v] of all) expect(v.key).toBe(k);
        // A consumer may stop early.
        const first: string[] = [];
        for await (const [k] of s.entries('seen')) {
          first.push(k);
          if (first.length === 3) break;
        }
        expect(first).toEqual(codePointSort(keys).slice(0, 3));
        expect(await collect(s.entries('never-written'))).toEqual([]);
      } finally {
        await store.close();
      }
    });

    it('deletes, applying the writes of one commit in order', async () => {
      const { store } = await open();
      try {
        const s = store.forConnector('street');
        await s.commit({ writes: ['A', 'B', 'C'].map((key) => ({ op: 'put' as const, namespace: 'ns', key, value: key })) });
        await s.commit({
          writes: [
            { op: 'delete', namespace: 'ns', key: 'A' },
            { op: 'delete', namespace: 'ns', key: 'never-there' },
            { op: 'put', namespace: 'ns', key: 'D', value: 'D' },
            { op: 'delete', namespace: 'ns', key: 'D' },
            { op: 'delete', namespace: 'ns', key: 'B' },
            { op: 'put', namespace: 'ns', key: 'B', value: 'B again' },
            { op: 'put', namespace: 'ns', key: 'C', value: 'C1' },
            { op: 'put', namespace: 'ns', key: 'C', value: 'C2' },
          ],
        });
        expect(await s.get('ns', 'A')).toBeUndefined();
        expect(await s.get('ns', 'D')).toBeUndefined();
        expect(await collect(s.entries('ns'))).toEqual([
          ['B', 'B again'],
          ['C', 'C2'],
        ]);
        expect([...(await s.getMany('ns', ['A', 'B', 'D'])).keys()]).toEqual(['B']);
      } finally {
        await store.close();
      }
    });

    it('resets one connector\'s checkpoint and nothing else', async () => {
      const { store } = await open();
      try {
        const s = store.forConnector('street');
        await s.commit({ checkpoint: { line: 7 }, writes: [{ op: 'put', namespace: 'file-ledger', key: 'abc', value: { outcome: 'processed' } }] });
        await store.forConnector('other').commit({ checkpoint: { line: 9 } });
        expect(await store.resetCheckpoint('street')).toBe(true);
        expect(await s.checkpoint()).toBeUndefined();
        expect(await s.get('file-ledger', 'abc')).toEqual({ outcome: 'processed' });
        expect(await store.forConnector('other').checkpoint()).toEqual({ line: 9 });
        expect(await store.resetCheckpoint('street')).toBe(false);
      } finally {
        await store.close();
      }
    });

    it('closes twice without complaint', async () => {
      const { store } = await open();
      await store.close();
      await expect(store.close()).resolves.toBeUndefined();
    });

    it('keeps two connectors committing at the same time apart', async () => {
      const { store } = await open();
      try {
        const run = async (connector: string) => {
          const s = store.forConnector(connector);
          for (let i = 1; i <= 40; i++) {
            await s.commit({ checkpoint: { connector, i }, writes: [{ op: 'put', namespace: 'cases', key: `case-${i}`, value: { connector, i } }] });
          }
        };
        await Promise.all([run('north'), run('south')]);
        for (const c of ['north', 'south']) {
          const s = store.forConnector(c);
          expect(await s.checkpoint()).toEqual({ connector: c, i: 40 });
          const all = await collect(s.entries<{ connector: string }>('cases'));
          expect(all).toHaveLength(40);
          expect(all.every(([, v]) => v.connector === c)).toBe(true);
        }
      } finally {
        await store.close();
      }
    });
  });
}
