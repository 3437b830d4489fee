/**
 * What happens to a file once its events are durable (called from the ack of its last batch, so
 * it must be idempotent): move it to processed / rejected / duplicates, delete it, or keep it.
 * Rejected and duplicate files are always kept for a person to look at, even with action: delete.
 */
import type { Logger } from '../../core/logger.js';
import type { AfterRules } from './config.js';
import type { DroppedFile, FileStore } from './store.js';

export type FileOutcome = 'processed' | 'rejected' | 'duplicate';

export type AfterAction = (file: DroppedFile, outcome: FileOutcome, sha256: string, reasonText?: string) => Promise<void>;

export function createAfterAction(after: AfterRules, store: FileStore, log: Logger, markerFor: (name: string) => string | undefined): AfterAction {
  return async (file, outcome, sha256, reasonText) => {
    const marker = markerFor(file.name);
    const folder = outcome === 'processed' ? after.processed : outcome === 'rejected' ? after.rejected : after.duplicates;
    const suffix = sha256.slice(0, 8);
    if (after.action === 'keep') {
      // The input folder is left as it is; a reason for a rejected file still lands in the rejected folder.
      if (reasonText) await store.writeText(folder, `${file.name}.reason.txt`, reasonText);
      return;
    }
    if (after.action === 'delete' && outcome === 'processed') {
      await store.remove(file.name);
      if (marker) await store.remove(marker);
      return;
    }
    let moved: string;
    try {
      moved = await store.moveTo(file.name, folder, { suffix });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // already moved: ack is idempotent
      throw e;
    }
    if (reasonText) await store.writeText(folder, `${moved.split(/[\\/]/).pop()}.reason.txt`, reasonText);
    if (marker) {
      if (after.action === 'delete') await store.remove(marker);
      else await store.moveTo(marker, folder, { suffix }).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? '' : Promise.reject(e)));
    }
    log.info({ file: file.name, outcome, to: moved }, `file ${outcome}: moved to ${folder}`);
  };
}
