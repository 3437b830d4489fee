/** A local folder (or a mounted share) as a FileStore. */
import { watch as fsWatch, type FSWatcher } from 'node:fs';
import { access, constants, copyFile, mkdir, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { ConfigError, SourceError } from '../../core/errors.js';
import { withSuffix, type DroppedFile, type FetchedFile, type FileStore } from './store.js';

function code(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

export function createLocalStore(root: string, connector: string): FileStore {
  const folder = (sub: string) => (isAbsolute(sub) ? sub : resolve(root, sub));

  async function exists(path: string): Promise<boolean> {
    try {
      await access(path);
      return true;
    } catch {
      return false;
    }
  }

  return {
    where: (name) => (name ? join(root, name) : root),

    async check() {
      try {
        const s = await stat(root);
        if (!s.isDirectory()) throw new ConfigError(`${root} is not a folder`, { context: { connector, file: root } });
        await access(root, constants.R_OK | constants.W_OK);
      } catch (e) {
        if (e instanceof ConfigError) throw e;
        throw new ConfigError(`cannot use folder ${root}: ${code(e) ?? (e as Error).message} (path is relative to the config file)`, { cause: e, context: { connector, file: root } });
      }
    },

    async list() {
      let entries;
      try {
        entries = await readdir(root, { withFileTypes: true });
      } catch (e) {
        throw new SourceError(`cannot list ${root}: ${code(e) ?? (e as Error).message}`, {
          cause: e,
          code: 'file_list',
          // A share that is briefly away comes back; a folder that never existed is a config problem.
          retriable: code(e) !== 'ENOTDIR',
          context: { connector, file: root },
        });
      }
      const out: DroppedFile[] = [];
      for (const d of entries) {
        if (d.isDirectory()) continue;
        if (!d.isFile()) {
          out.push({ name: d.name, size: 0, mtimeMs: 0, notRegular: d.isSymbolicLink() ? 'symlink' : 'special' });
          continue;
        }
        try {
          const s = await stat(join(root, d.name));
          out.push({ name: d.name, size: s.size, mtimeMs: Math.floor(s.mtimeMs) });
        } catch (e) {
          if (code(e) !== 'ENOENT') throw e; // moved away between readdir and stat
        }
      }
      return out;
    },

    async fetch(file): Promise<FetchedFile> {
      return { path: join(root, file.name), release: async () => undefined };
    },

    async moveTo(name, sub, opts = {}) {
      const dir = folder(sub);
      await mkdir(dir, { recursive: true });
      const suffix = opts.suffix ?? String(Date.now());
      let target = join(dir, name);
      for (let n = 1; await exists(target); n++) target = join(dir, withSuffix(name, n === 1 ? suffix : `${suffix}-${n}`));
      try {
        await rename(join(root, name), target);
      } catch (e) {
        if (code(e) !== 'EXDEV') throw e;
        // processed folder on another filesystem: copy, then remove the original.
        await copyFile(join(root, name), target);
        await unlink(join(root, name));
      }
      return target;
    },

    async remove(name) {
      try {
        await unlink(join(root, name));
      } catch (e) {
        if (code(e) !== 'ENOENT') throw e;
      }
    },

    async writeText(sub, name, text) {
      const dir = folder(sub);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, name), text, 'utf8');
    },

    watch(onChange) {
      let watcher: FSWatcher | undefined;
      try {
        watcher = fsWatch(root, { persistent: false }, () => onChange());
        // A watcher error (folder removed, too many watchers) leaves the poll doing the work.
        watcher.on('error', () => watcher?.close());
      } catch {
        watcher = undefined;
      }
      return () => watcher?.close();
    },

    async close() {},
  };
}
