import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StateError } from '../../src/core/errors.js';
import Database from 'better-sqlite3';
import { NEW_FILE_PAGE_SIZE, openSqliteStateStore, type SqliteStateStore } from '../../src/runtime/sqlite-state-store.js';
import { openStateStore } from '../../src/runtime/state/open-state-store.js';
import { StateConfig } from '../../src/config/state.js';
import { stateStoreContract } from './state-store-contract.js';

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

stateStoreContract('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cb-sqlite-contract-'));
  dirs.push(dir);
  const path = join(dir, 'state.sqlite');
  return { store: openSqliteStateStore(path), reopen: async () => openSqliteStateStore(path) };
});

const pageSize = (path: string) => {
  const db = new Database(path, { readonly: true });
  try {
    return db.pragma('page_size', { simple: true });
  } finally {
    db.close();
  }
};

describe('SQLite state store', () => {
  it('makes a new file with 16 KiB pages and keeps the page size of a file made before', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-sqlite-pages-'));
    dirs.push(dir);
    const fresh = join(dir, 'new.sqlite');
    const store = openSqliteStateStore(fresh);
    await store.forConnector('street').commit({ checkpoint: { v: 1 }, writes: [{ op: 'put', namespace: 'case', key: 'HW-1', value: { n: 1 } }] });
    await store.close();
    expect(pageSize(fresh)).toBe(NEW_FILE_PAGE_SIZE);

    // A file from an earlier casebridge (SQLite's default 4 KiB pages) opens, reads and writes as before.
    const older = join(dir, 'older.sqlite');
    const made = new Database(older);
    made.pragma('journal_mode = WAL');
    made.exec(`CREATE TABLE checkpoints (connector TEXT PRIMARY KEY, checkpoint TEXT NOT NULL, updated_at TEXT NOT NULL);
      CREATE TABLE kv (connector TEXT NOT NULL, namespace TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (connector, namespace, key));`);
    made.prepare('INSERT INTO kv VALUES (?, ?, ?, ?)').run('street', 'case', 'HW-0', JSON.stringify({ n: 0 }));
    made.close();
    expect(pageSize(older)).toBe(4096);
    const reopened = openSqliteStateStore(older);
    const state = reopened.forConnector('street');
    expect(await state.get('case', 'HW-0')).toEqual({ n: 0 });
    await state.commit({ checkpoint: { v: 2 }, writes: [{ op: 'put', namespace: 'case', key: 'HW-1', value: { n: 1 } }] });
    expect(await state.getMany('case', ['HW-0', 'HW-1'])).toEqual(new Map([['HW-0', { n: 0 }], ['HW-1', { n: 1 }]]));
    expect(await state.checkpoint()).toEqual({ v: 2 });
    await reopened.close();
    expect(pageSize(older)).toBe(4096);
  });

  it('sizes its page cache from state.pageCache (4 MB unless told), not better-sqlite3\'s 16 MB', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-sqlite-cache-'));
    dirs.push(dir);
    const byDefault = openSqliteStateStore(join(dir, 'a.sqlite'));
    expect(byDefault.pageCacheKib()).toBe(4096);
    await byDefault.close();
    const configured = await openStateStore(StateConfig.parse({ path: 'b.sqlite', pageCache: '32MB' }), { baseDir: dir });
    expect((configured as SqliteStateStore).pageCacheKib()).toBe(32 * 1024);
    // Still a working store with a tiny cache: every row goes through it.
    const tiny = openSqliteStateStore(join(dir, 'c.sqlite'), { pageCacheBytes: 1 });
    expect(tiny.pageCacheKib()).toBe(64);
    const state = tiny.forConnector('street');
    const writes = Array.from({ length: 300 }, (_, i) => ({ op: 'put' as const, namespace: 'case', key: `HW-${i}`, value: { n: i, text: 'x'.repeat(1000) } }));
    await state.commit({ checkpoint: { v: 1 }, writes });
    const back = await state.getMany<{ n: number }>('case', writes.map((w) => w.key));
    expect(writes.map((w) => back.get(w.key)?.n)).toEqual(writes.map((_, i) => i));
    await tiny.close();
    await configured.close();
  });

  it('refuses a fence rather than pretending to check one', async () => {
    const store = openSqliteStateStore(':memory:');
    try {
      expect(() => store.forConnector('street', { fence: () => ({ holder: 'a', token: 1 }) })).toThrow(StateError);
      expect(() => store.forConnector('street', { fence: () => ({ holder: 'a', token: 1 }) })).toThrow(/fencing needs a shared state store \(state.type: postgres\)/);
    } finally {
      await store.close();
    }
  });
});
