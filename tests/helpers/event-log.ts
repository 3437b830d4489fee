/** Reads the local event log the way a tailing consumer would: complete lines only. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export function readEventLog(dir: string, prefix = 'events'): Record<string, any>[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => new RegExp(`^${prefix}-\\d+\\.jsonl$`).test(f))
    .sort()
    .flatMap((f) => {
      const lines = readFileSync(join(dir, f), 'utf8').split('\n');
      // The last element is '' after a complete line, or a line still being written: skip it.
      lines.pop();
      return lines.filter((l) => l.trim());
    })
    .map((l) => JSON.parse(l) as Record<string, any>);
}
