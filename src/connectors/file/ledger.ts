/**
 * The processed-file ledger (state namespace "file-ledger", keyed by SHA-256 of the content),
 * written with a file's last batch: a file in the ledger is never emitted again. These are the
 * decisions taken when a file's content is already in it.
 */
import type { StateWrite } from '../../core/source.js';
import { sha256Hex } from '../../event/identity.js';
import type { FileConnectorConfig } from './config.js';
import type { DroppedFile } from './store.js';

export const LEDGER_NAMESPACE = 'file-ledger';

export interface LedgerEntry {
  name: string;
  size: number;
  mtimeMs: number;
  sha256: string;
  outcome: 'processed' | 'rejected';
  records: number;
  rejects: number;
  reason?: string;
  finishedAt: string;
}

export function ledgerWrite(
  file: DroppedFile,
  sha256: string,
  outcome: LedgerEntry['outcome'],
  counts: { records?: number; rejects?: number },
  finishedAt: string,
  reason?: string,
): StateWrite {
  const entry: LedgerEntry = {
    name: file.name,
    size: file.size,
    mtimeMs: file.mtimeMs,
    sha256,
    outcome,
    records: counts.records ?? 0,
    rejects: counts.rejects ?? 0,
    ...(reason ? { reason } : {}),
    finishedAt,
  };
  return { op: 'put', namespace: LEDGER_NAMESPACE, key: sha256, value: entry };
}

/** The ledger key of a file's content. Every empty file has the same hash, so an empty export is identified by name and time instead. */
export function contentKey(file: DroppedFile, size: number, sha256: string): string {
  return size === 0 ? sha256Hex(`empty file ${file.name} ${file.mtimeMs}`) : sha256;
}

/** The ledger key of a file whose bytes cannot be read (no hash to key it with): by name, size and time. */
export function unreadableKey(file: DroppedFile): string {
  return sha256Hex(`unreadable ${file.name}|${file.size}|${file.mtimeMs}`);
}

/** The very file the ledger entry was written for (same name, size and time), left behind by a crash or a failed move. */
export function sameFile(file: DroppedFile, seen: LedgerEntry): boolean {
  return seen.name === file.name && seen.size === file.size && seen.mtimeMs === file.mtimeMs;
}

/**
 * A full export identical to an older one (not the last) is the supplier's current state, e.g. a
 * case back at an earlier status: it is diffed like any other. Identical to the last one, it has
 * nothing new (seenAction).
 */
export function readAgain(mode: FileConnectorConfig['mode'], file: DroppedFile, seen: LedgerEntry, lastSha256: string | undefined): boolean {
  return mode === 'snapshot' && !sameFile(file, seen) && seen.outcome === 'processed' && lastSha256 !== seen.sha256;
}

/**
 * What to do with a file whose content the ledger already holds (and that is not read again):
 *  - `leave`: kept on purpose (after: keep) and already read;
 *  - `complete`: committed before a crash or a failed move: finish what the last ack would have done;
 *  - `unchanged`: a snapshot identical to the previous one: nothing changed, nothing to emit;
 *  - `duplicate`: a re-drop of a delta file (or of a rejected snapshot): its changes are already published.
 */
export type SeenAction = 'leave' | 'complete' | 'unchanged' | 'duplicate';

export function seenAction(config: Pick<FileConnectorConfig, 'mode' | 'after'>, file: DroppedFile, seen: LedgerEntry, lastSha256: string | undefined): SeenAction {
  const same = sameFile(file, seen);
  if (config.after.action === 'keep' && same) return 'leave';
  if (same) return 'complete';
  if (config.mode === 'snapshot' && lastSha256 === seen.sha256) return 'unchanged';
  return 'duplicate';
}
