/** When a preview shows nothing, say why and how to see the records anyway. */
import { join } from 'node:path';
import type { ConnectorConfig } from '../config/schema.js';
import type { RunSummary } from '../runtime/connector-runner.js';

export interface PreviewContext {
  connector: ConnectorConfig;
  fromStart: boolean;
  /** The state store held a committed checkpoint for this connector. */
  hadCheckpoint: boolean;
  /** Files in this connector's processed-file ledger. */
  ledgerSize: number;
  file: string;
  baseDir: string;
}

export function whyNothingShown(s: RunSummary, ctx: PreviewContext): string | undefined {
  if (s.published > 0 || s.deadLettered > 0) return undefined;
  const again = `casebridge preview ${ctx.file} ${ctx.connector.name} --from-start`;
  if (s.read > 0) {
    const reasons: string[] = [];
    const n = (r: string) => s.skippedBy[r] ?? 0;
    if (n('unchanged') || n('older')) {
      reasons.push(
        `${n('unchanged') + n('older')} record(s) are versions already published (or older ones)` +
          (ctx.fromStart ? '' : `; to see them as a first run would: ${again}`),
      );
    }
    if (n('filtered')) reasons.push(`${n('filtered')} record(s) are excluded by the mapping's filter; they never become events`);
    return `nothing to show: ${reasons.join('; ') || 'every record was skipped'}`;
  }
  const c = ctx.connector;
  if (c.type === 'file') {
    const folder = c.sftp ? `${c.path} on ${c.sftp.host}` : join(ctx.baseDir, c.path);
    const patterns = ([] as string[]).concat(c.pattern).join(', ');
    const lines = [`nothing to show: no unread file matching ${patterns} in ${folder}.`];
    if (ctx.ledgerSize > 0 && !ctx.fromStart) {
      lines.push(`  ${ctx.ledgerSize} file(s) were already processed (the ledger in the state file remembers them); \`${again}\` reads such a file again if it is still there.`);
    }
    if (c.after.action === 'move') {
      lines.push(`  Processed files are moved to ${join(folder, c.after.processed)}: copy one back into ${folder} to preview it (preview never moves or deletes a file).`);
    } else if (c.after.action === 'delete') {
      lines.push('  Processed files are deleted (after.action: delete): drop a copy of the export into the folder to preview it.');
    }
    return lines.join('\n');
  }
  if (ctx.hadCheckpoint && !ctx.fromStart) {
    return `nothing to show: the supplier has no change since the committed checkpoint (changes already read by \`run\` are not read again); to read from the beginning: ${again}`;
  }
  return `nothing to show: the supplier returned no records for the connector's first window (${windowHint(c)}).`;
}

function windowHint(c: ConnectorConfig): string {
  switch (c.type) {
    case 'rest':
      return c.since ? `since.initial is ${c.since.initial}: a first run reads changes from then on` : 'the listing was empty';
    case 'soap':
      return `window.start is ${c.window.start}: a first run reads changes from then until now minus window.lag (${c.window.lag})`;
    case 'sql':
      return 'check the table or query and its timestamp column';
    default:
      return 'check the connector settings';
  }
}
