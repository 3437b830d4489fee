/**
 * A FileStore whose module is imported on first use. The SFTP store pulls in ssh2, whose
 * poly1305 module sets up a 16 MB emscripten heap as it loads (about 6 MB of it resident): a
 * gateway with no SFTP connector should not pay for it, nor wait for it at start-up. No `watch`:
 * only a local folder has one, and it is never lazy.
 */
import type { SftpConfig } from './config.js';
import type { SftpStoreDeps } from './sftp-store.js';
import { sftpWhere, type FileStore } from './store.js';

export function lazyStore(where: (name?: string) => string, load: () => Promise<FileStore>): FileStore {
  let loading: Promise<FileStore> | undefined;
  const store = () => (loading ??= load());
  return {
    where,
    check: async () => (await store()).check(),
    list: async () => (await store()).list(),
    fetch: async (file, signal) => (await store()).fetch(file, signal),
    moveTo: async (name, folder, opts) => (await store()).moveTo(name, folder, opts),
    remove: async (name) => (await store()).remove(name),
    writeText: async (folder, name, text) => (await store()).writeText(folder, name, text),
    // Nothing to close if it was never used, or if it never loaded (the failed call reported why).
    close: async () => {
      const loaded = await loading?.catch(() => undefined);
      await loaded?.close();
    },
  };
}

export function lazySftpStore(cfg: SftpConfig, remoteDir: string, deps: SftpStoreDeps): FileStore {
  return lazyStore(
    (name) => sftpWhere(cfg, remoteDir, name),
    async () => (await import('./sftp-store.js')).createSftpStore(cfg, remoteDir, deps),
  );
}
