import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StateError } from '../../src/core/errors.js';
import { openSqliteStateStore } from '../../src/runtime/sqlite-state-store.js';
import { openThreadedSqliteStateStore, stopThread } from '../../src/runtime/state/threaded-sqlite-state-store.js';
import { stateStoreContract } from './state-store-contract.js';

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'cb-sqlite-thread-'));
  dirs.push(dir);
  return dir;
};

stateStoreContract('SQLite on its own thread', async () => {
  const path = join(tempDir(), 'state.sqlite');
  return { store: await openThreadedSqliteStateStore(path), reopen: () => openThreadedSqliteStateStore(path) };
});

describe('SQLite state store on its own thread', () => {
  it('writes the same file the in-process store reads, and reads what it wrote', async () => {
    const path = join(tempDir(), 'state.sqlite');
    const threaded = await openThreadedSqliteStateStore(path);
    const s = threaded.forConnector('street');
    await s.commit({ checkpoint: { line: 1_300 }, writes: Array.from({ length: 1_300 }, (_, i) => ({ op: 'put' as const, namespace: 'case', key: `K${String(i).padStart(5, '0')}`, value: { i } })) });
    await threaded.close();
    const plain = openSqliteStateStore(path);
    try {
      const p = plain.forConnector('street');
      expect(await p.checkpoint()).toEqual({ line: 1_300 });
      expect(await p.get('case', 'K01299')).toEqual({ i: 1_299 });
      await p.commit({ writes: [{ op: 'delete', namespace: 'case', key: 'K00000' }, { op: 'put', namespace: 'case', key: 'K00001', value: 'changed' }] });
    } finally {
      await plain.close();
    }
    const again = await openThreadedSqliteStateStore(path);
    try {
      const a = again.forConnector('street');
      const seen: string[] = [];
      for await (const [key] of a.entries('case')) seen.push(key);
      expect(seen).toHaveLength(1_299);
      expect(seen[0]).toBe('K00001');
      expect(await a.get('case', 'K00001')).toBe('changed');
    } finally {
      await again.close();
    }
  });

  it('fails the open as the in-process store does for a damaged file, and refuses a fence', async () => {
    const path = join(tempDir(), 'state.sqlite');
    writeFileSync(path, 'SQLite format 3\u0000'.padEnd(4096, 'x'));
    let inProcess: unknown;
    try {
      openSqliteStateStore(path);
    } catch (e) {
      inProcess = e;
    }
    const threaded = await openThreadedSqliteStateStore(path).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(inProcess).toBeInstanceOf(StateError);
    expect(threaded).toBeInstanceOf(StateError);
    expect((threaded as StateError).code).toBe((inProcess as StateError).code);
    expect((threaded as StateError).message).toBe((inProcess as StateError).message);

    const store = await openThreadedSqliteStateStore(join(tempDir(), 'state.sqlite'));
    try {
      expect(() => store.forConnector('street', { fence: () => ({ holder: 'a', token: 1 }) })).toThrow(/fencing needs a shared state store/);
    } finally {
      await store.close();
    }
  });

  it('when the thread stops, what waited fails retriably and the next request starts a new thread on the same file', async () => {
    const store = await openThreadedSqliteStateStore(join(tempDir(), 'state.sqlite'));
    try {
      const s = store.forConnector('street');
      await s.commit({ checkpoint: { line: 1 }, writes: [{ op: 'put', namespace: 'case', key: 'A', value: 1 }] });
      const big = Array.from({ length: 20_000 }, (_, i) => ({ op: 'put' as const, namespace: 'case', key: `B${i}`, value: { i, pad: 'x'.repeat(200) } }));
      const inFlight = s.commit({ checkpoint: { line: 2 }, writes: big });
      await store[stopThread]();
      const outcome = await inFlight.then(
        () => 'committed',
        (e: unknown) => e,
      );
      if (outcome !== 'committed') {
        expect(outcome).toBeInstanceOf(StateError);
        expect((outcome as StateError).retriable).toBe(true);
        expect((outcome as StateError).code).toBe('state_thread');
      }
      // A commit is whole or absent: the checkpoint and the writes agree.
      const line = ((await s.checkpoint()) as { line: number }).line;
      expect(await s.get('case', 'B19999')).toEqual(line === 2 ? { i: 19_999, pad: 'x'.repeat(200) } : undefined);
      expect(line === 2).toBe(outcome === 'committed');
      await s.commit({ checkpoint: { line: 3 } });
      expect(await s.checkpoint()).toEqual({ line: 3 });
    } finally {
      await store.close();
    }
  });

  it('keeps a process alive exactly while it waits on the thread: a script that never closes it exits, one that awaits close finishes it', () => {
    const dir = tempDir();
    const run = (name: string, tail: string) => {
      const script = join(dir, `${name}.mts`);
      writeFileSync(
        script,
        `import { openThreadedSqliteStateStore } from ${JSON.stringify(new URL('../../src/runtime/state/threaded-sqlite-state-store.ts', import.meta.url).pathname)};
const store = await openThreadedSqliteStateStore(${JSON.stringify(join(dir, 'state.sqlite'))});
await store.forConnector('c').commit({ checkpoint: { done: true } });
${tail}\n`,
      );
      // Top-level await left waiting on an empty event loop exits 13, which execFileSync throws on.
      return execFileSync(process.execPath, ['--import', 'tsx', script], { cwd: process.cwd(), timeout: 60_000, encoding: 'utf8' }).trim();
    };
    expect(run('idle', "console.log('committed');")).toBe('committed');
    expect(run('closing', "await store.close(); console.log('closed');")).toBe('closed');
    const check = openSqliteStateStore(join(dir, 'state.sqlite'));
    return check
      .forConnector('c')
      .checkpoint()
      .then((cp) => expect(cp).toEqual({ done: true }))
      .finally(() => check.close());
  });
});
