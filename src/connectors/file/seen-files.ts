/**
 * What a long-running file source remembers between scans, in memory only: the hash of each
 * unchanged file (so a kept file is not hashed on every scan) and when an after-action last failed
 * (so a file that cannot be moved is retried on a later scan, not in a tight loop). Entries for
 * files that left the folder are forgotten, so memory stays flat.
 */
import type { DroppedFile } from './store.js';

/** How long a failed after-action waits before it is tried again. */
export const ACTION_RETRY_MS = 60_000;

export class SeenFiles {
  /** name|size|mtime → sha256. */
  private readonly hashes = new Map<string, string>();
  /** name|mtime → when its after-action last failed (epoch ms). */
  private readonly failedActions = new Map<string, number>();

  static key(file: DroppedFile): string {
    return `${file.name}|${file.size}|${file.mtimeMs}`;
  }

  hashOf(file: DroppedFile): string | undefined {
    return this.hashes.get(SeenFiles.key(file));
  }

  rememberHash(file: DroppedFile, sha256: string): void {
    this.hashes.set(SeenFiles.key(file), sha256);
  }

  /** Keep only what concerns `files` (the inputs) and `names` (everything in the folder). */
  forgetGone(files: DroppedFile[], names: Set<string>): void {
    const present = new Set(files.map(SeenFiles.key));
    for (const k of this.hashes.keys()) if (!present.has(k)) this.hashes.delete(k);
    for (const k of this.failedActions.keys()) if (!names.has(k.slice(0, k.lastIndexOf('|')))) this.failedActions.delete(k);
  }

  /** False while a failed after-action of this file is still waiting out its retry interval. */
  actionDue(file: DroppedFile, nowMs: number): boolean {
    const last = this.failedActions.get(failKey(file));
    return last === undefined || nowMs - last >= ACTION_RETRY_MS;
  }

  actionFailed(file: DroppedFile, nowMs: number): void {
    this.failedActions.set(failKey(file), nowMs);
  }

  actionDone(file: DroppedFile): void {
    this.failedActions.delete(failKey(file));
  }
}

function failKey(file: DroppedFile): string {
  return `${file.name}|${file.mtimeMs}`;
}
