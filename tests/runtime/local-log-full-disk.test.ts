/**
 * Finding 1 of the fault audit: on a full disk the local log accepted short writes, so publish
 * resolved, checkpoints committed and files moved while events were missing or torn. The log must
 * write every byte or fail the publish, cutting the file back to its last good length first.
 */
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalLogPublisher } from '../../src/publish/local-log/index.js';
import type { OutgoingCaseEvent } from '../../src/normalize/build-event.js';
import { mountSmallDisk } from '../helpers/tmpfs.js';
import { tempDir } from '../file/harness.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const ev = (id: string, pad = 400) => ({ key: 'k', event: { id, data: { note: 'x'.repeat(pad) } } }) as unknown as OutgoingCaseEvent;
const idsIn = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { id: string }).id);

describe('local event log on a full disk', () => {
  it('a real full tmpfs: every resolved publish is whole in the file, a failed one leaves nothing, and a retry after space frees lands once', async () => {
    const disk = mountSmallDisk(64 * 1024);
    cleanups.push(() => disk.unmount());
    const filler = join(disk.dir, 'filler');
    writeFileSync(filler, Buffer.alloc(16 * 1024));
    const dir = join(disk.dir, 'events');
    const log = createLocalLogPublisher({ dir, rotateBytes: 1 << 30, fsync: true });
    await log.start();
    cleanups.push(() => log.close());

    const resolved: string[] = [];
    let failed: OutgoingCaseEvent[] | undefined;
    let failure: Error | undefined;
    for (let b = 0; b < 1000 && !failed; b++) {
      const batch = Array.from({ length: 7 }, (_, i) => ev(`b${b}-e${i}`));
      try {
        await log.publish(batch);
        resolved.push(...batch.map((e) => e.event.id));
      } catch (err) {
        failed = batch;
        failure = err as Error;
      }
    }
    expect(failed, 'the disk never filled up').toBeDefined();
    expect(failure!.message).toMatch(/ENOSPC|no space|short write/i);
    expect(log.health().ok).toBe(false);
    const file = join(dir, readdirSync(dir).find((f) => f.startsWith('events-'))!);
    // Parses line by line (no torn line) and holds exactly what was acknowledged.
    expect(idsIn(file)).toEqual(resolved);

    rmSync(filler);
    await log.publish(failed!);
    expect(idsIn(file)).toEqual([...resolved, ...failed!.map((e) => e.event.id)]);
    expect(log.health().ok).toBe(true);
  });

  it('injected short writes are completed, and an ENOSPC part-way cuts the file back before the publish fails', async () => {
    const t = tempDir('cb-log-short-');
    cleanups.push(() => t.cleanup());
    let mode: 'short' | 'enospc-after-part' = 'short';
    const openFile = async (path: string, flags: string): Promise<FileHandle> => {
      const real = await open(path, flags);
      return new Proxy(real, {
        get(target, prop, receiver) {
          if (prop === 'write') {
            return async (buf: Buffer, offset = 0, length = buf.length - offset) => {
              if (mode === 'short') return target.write(buf, offset, Math.max(1, Math.floor(length / 3)));
              // Half the bytes reach the disk, then the disk is full.
              mode = 'short';
              await target.write(buf, offset, Math.floor(length / 2));
              throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
            };
          }
          const v = Reflect.get(target, prop, receiver) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
    };
    const log = createLocalLogPublisher({ dir: t.dir, rotateBytes: 1 << 30, fsync: true, openFile });
    await log.start();
    cleanups.push(() => log.close());
    await log.publish([ev('a'), ev('b')]);
    mode = 'enospc-after-part';
    await expect(log.publish([ev('c'), ev('d')])).rejects.toThrow(/ENOSPC/);
    const file = join(t.dir, 'events-000001.jsonl');
    expect(idsIn(file)).toEqual(['a', 'b']);
    await log.publish([ev('c'), ev('d')]);
    expect(idsIn(file)).toEqual(['a', 'b', 'c', 'd']);
  });
});
