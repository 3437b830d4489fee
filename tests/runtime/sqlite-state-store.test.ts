import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StateError } from '../../src/core/errors.js';
import { openSqliteStateStore } from '../../src/runtime/sqlite-state-store.js';
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

describe('SQLite state store', () => {
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
