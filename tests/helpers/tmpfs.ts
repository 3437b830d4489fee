/**
 * A small tmpfs mounted for one test, to fill a disk for real. These machines and CI run as root;
 * a test that cannot mount fails with the reason instead of skipping, so a full-disk check is never
 * silently missing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SmallDisk {
  dir: string;
  unmount(): void;
}

export function mountSmallDisk(sizeBytes: number, prefix = 'cb-fulldisk-'): SmallDisk {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(
      `cannot mount a ${sizeBytes}-byte tmpfs at ${dir} for the full-disk test (needs root, as on CI): ${stderr || (e as Error).message}`,
    );
  }
  let mounted = true;
  return {
    dir,
    unmount() {
      if (!mounted) return;
      mounted = false;
      execFileSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
