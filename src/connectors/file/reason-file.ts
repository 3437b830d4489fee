/** The <name>.reason.txt written beside a rejected file: what a person needs to fix and re-drop it. */
import type { FileStats } from './progress.js';
import type { DroppedFile } from './store.js';

export interface ReasonFacts {
  file: DroppedFile;
  /** Where the file was, as the store names it. */
  where: string;
  sha256: string;
  connector: string;
  /** When it was rejected, ISO. */
  at: string;
  reason: string;
  stats: Partial<FileStats>;
  /** The first rejected rows' reasons. */
  samples: string[];
}

export function reasonFileText(f: ReasonFacts): string {
  const { file, stats } = f;
  const lines = [
    `casebridge rejected this file.`,
    ``,
    `file:       ${f.where}`,
    `size:       ${file.size} bytes, modified ${new Date(file.mtimeMs).toISOString()}`,
    `sha256:     ${f.sha256}`,
    `connector:  ${f.connector}`,
    `rejected:   ${f.at}`,
    ``,
    `reason:     ${f.reason}`,
    ``,
  ];
  if (stats.items !== undefined) {
    lines.push(
      `rows read:                 ${stats.items}${stats.stoppedAtLine ? ` (reading stopped after line ${stats.stoppedAtLine}; later rows were not read)` : ''}`,
      `rows unreadable (parser):  ${stats.rejects ?? 0}`,
      `records passed on:         ${stats.records ?? 0}`,
      `events already published:  ${stats.published ?? 0} (these stay published; their ids are stable if the file is corrected and dropped again)`,
      `dead letters written:      ${stats.deadLettered ?? 0} (rejected rows and records the mapping refused; see the dead-letter log)`,
      ``,
    );
  }
  if (f.samples.length) lines.push(`first rejected rows:`, ...f.samples.map((s) => `  ${s}`), ``);
  lines.push(`To process it again, fix the cause and drop a corrected file; an identical file is recognised and set aside.`);
  return lines.join('\n') + '\n';
}
