/**
 * A file whose content the ledger already holds is never emitted again; this finishes it instead
 * (ledger.ts seenAction): completes the after-action a crash or failed move left undone, moves an
 * unchanged snapshot to processed, or sets a re-dropped file aside as a duplicate. A move that
 * fails is logged and retried on a later scan, not in a tight loop.
 */
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import { describeError } from '../../core/errors.js';
import type { FileConnectorConfig } from './config.js';
import type { AfterAction } from './after-action.js';
import { seenAction, type LedgerEntry } from './ledger.js';
import type { SeenFiles } from './seen-files.js';
import type { DroppedFile } from './store.js';

export interface SeenContentDeps {
  config: Pick<FileConnectorConfig, 'mode' | 'after'>;
  seenFiles: SeenFiles;
  afterAction: AfterAction;
  /** The reason file text for a file rejected earlier. */
  reasonFile(file: DroppedFile, sha256: string, reason: string): string;
  clock: Clock;
  log: Logger;
}

export type SeenContentHandler = (file: DroppedFile, seen: LedgerEntry, lastSha256: string | undefined) => Promise<void>;

export function createSeenContentHandler(deps: SeenContentDeps): SeenContentHandler {
  const { seenFiles, afterAction, clock, log } = deps;
  return async (file, seen, lastSha256) => {
    const action = seenAction(deps.config, file, seen, lastSha256);
    if (action === 'leave') return;
    if (!seenFiles.actionDue(file, clock.now().getTime())) return;
    try {
      if (action === 'complete') {
        log.info({ file: file.name, outcome: seen.outcome }, 'file already read (committed); completing its after-action');
        await afterAction(file, seen.outcome, seen.sha256, seen.outcome === 'rejected' ? deps.reasonFile(file, seen.sha256, seen.reason ?? 'rejected earlier') : undefined);
      } else if (action === 'unchanged') {
        log.info({ file: file.name, sameAs: seen.name }, 'snapshot identical to the previous one: no changes');
        await afterAction(file, 'processed', seen.sha256);
      } else {
        log.warn({ file: file.name, sha256: seen.sha256, original: seen.name, firstReadAt: seen.finishedAt }, `identical content was already read as ${seen.name}; not emitting it again`);
        await afterAction(file, 'duplicate', seen.sha256);
      }
      seenFiles.actionDone(file);
    } catch (e) {
      seenFiles.actionFailed(file, clock.now().getTime());
      log.error({ file: file.name, err: describeError(e) }, 'cannot move a file that was already read; will retry');
    }
  };
}
