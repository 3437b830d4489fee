/**
 * The SFTP store is imported only when an SFTP folder is first used: ssh2 sets up a 16 MB
 * emscripten heap as it loads, which a gateway reading local folders should not carry.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lazyStore } from '../../src/connectors/file/lazy-store.js';
import type { FileStore } from '../../src/connectors/file/store.js';
import { fileConfig } from './harness.js';

const DIST = resolve(import.meta.dirname, '../../dist/connectors/file');

function ssh2LoadedAfter(script: string): boolean {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `${script}\nconst { createRequire } = await import('node:module');\nprocess.stdout.write(String(Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('/node_modules/ssh2/'))));`], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout === 'true';
}

describe('loading ssh2', () => {
  it('does not happen for a file connector on a local folder, and happens once an SFTP folder is used', () => {
    const create = JSON.stringify(`${DIST}/create.js`);
    const cfg = (sftp: boolean) =>
      JSON.stringify(
        fileConfig({
          path: 'in',
          ...(sftp ? { sftp: { host: '127.0.0.1', port: 1, username: 'u', password: 'p', hostKey: 'SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8', reconnect: { attempts: 1, initial: '1ms', max: '1ms' } } } : {}),
        }),
      );
    const make = (sftp: boolean) => `
      const { createFileSource } = await import(${create});
      const { silentLogger } = await import(${JSON.stringify(resolve(import.meta.dirname, '../../dist/core/logger.js'))});
      const source = createFileSource(${cfg(sftp)}, { connector: 'x', clock: { now: () => new Date() }, logger: silentLogger(), state: {}, baseDir: '/tmp' });
      ${sftp ? 'await source.check?.().catch(() => undefined);' : ''}`;
    expect(ssh2LoadedAfter(make(false))).toBe(false);
    expect(ssh2LoadedAfter(make(true))).toBe(true);
  });
});

describe('lazyStore', () => {
  it('loads the store on first use, once, and hands every call to it', async () => {
    const calls: string[] = [];
    let loads = 0;
    const inner: FileStore = {
      where: () => 'inner',
      check: async () => void calls.push('check'),
      list: async () => (calls.push('list'), [{ name: 'a.csv', size: 1, mtimeMs: 0 }]),
      fetch: async (f) => (calls.push(`fetch ${f.name}`), { path: '/x', release: async () => undefined }),
      moveTo: async (name, folder) => (calls.push(`move ${name} ${folder}`), `${folder}/${name}`),
      remove: async (name) => void calls.push(`remove ${name}`),
      writeText: async (folder, name) => void calls.push(`write ${folder}/${name}`),
      close: async () => void calls.push('close'),
    };
    const store = lazyStore(
      (name) => `sftp://h/${name ?? ''}`,
      async () => (loads++, inner),
    );
    expect(store.where('a.csv')).toBe('sftp://h/a.csv');
    expect(loads).toBe(0);
    await Promise.all([store.check(), store.list()]);
    expect(await store.moveTo('a.csv', 'processed')).toBe('processed/a.csv');
    await store.fetch({ name: 'a.csv', size: 1, mtimeMs: 0 });
    await store.remove('b.csv');
    await store.writeText('rejected', 'b.reason.txt', 'why');
    await store.close();
    expect(loads).toBe(1);
    expect(calls).toEqual(['check', 'list', 'move a.csv processed', 'fetch a.csv', 'remove b.csv', 'write rejected/b.reason.txt', 'close']);
  });

  it('closes without loading a store that was never used', async () => {
    let loads = 0;
    const store = lazyStore(
      () => 'x',
      async () => {
        loads++;
        throw new Error('not wanted');
      },
    );
    await store.close();
    expect(loads).toBe(0);
  });

  it('reports a store that cannot load on the call that needed it, and closes quietly afterwards', async () => {
    const store = lazyStore(
      () => 'x',
      async () => {
        throw new Error('cannot load ssh2');
      },
    );
    await expect(store.list()).rejects.toThrow('cannot load ssh2');
    await expect(store.close()).resolves.toBeUndefined();
  });
});
