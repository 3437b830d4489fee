/**
 * The stdout publisher (previews, piping into jq), writing to a file here so the suite can read
 * back what was written. It has no error classes to check: nothing to reach, nothing to configure.
 */
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStdoutPublisher } from '../../../src/publish/stdout.js';
import type { PublisherKind, Stored } from './types.js';

export const stdout: PublisherKind = {
  name: 'stdout',
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'cb-compliance-stdout-'));
    const file = join(dir, 'out.jsonl');
    const out = createWriteStream(file);
    const parsed = () =>
      readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    return {
      publisher: createStdoutPublisher(out),
      readEvents: async (): Promise<Stored[]> => parsed().filter((v) => !('deadLetter' in v)).map((e) => ({ id: String(e.id), subject: String(e.subject) })),
      readDeadLetters: async () => parsed().flatMap((v) => ('deadLetter' in v ? [String((v.deadLetter as { id: string }).id)] : [])),
      async teardown() {
        await new Promise((r) => out.end(r));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};
