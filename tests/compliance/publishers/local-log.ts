/** The local-log publisher: JSON Lines files, read back from disk. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publisherFrom } from './make.js';
import type { PublisherKind, Stored } from './types.js';

function lines(dir: string, prefix: string): Record<string, unknown>[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith(`${prefix}-`) && f.endsWith('.jsonl'))
    .sort()
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export const localLog: PublisherKind = {
  name: 'local-log',
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'cb-compliance-log-'));
    // Small files, so the suite's events cross a rotation too.
    const publisher = await publisherFrom({ type: 'local-log', dir: './events', rotateBytes: 4096 }, dir);
    const events = join(dir, 'events');
    return {
      publisher,
      readEvents: async (): Promise<Stored[]> => lines(events, 'events').map((e) => ({ id: String(e.id), subject: String(e.subject) })),
      readDeadLetters: async () => lines(events, 'dead-letters').map((d) => String(d.id)),
      teardown: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
  errors: {
    async unreachable() {
      const dir = mkdtempSync(join(tmpdir(), 'cb-compliance-log-'));
      const publisher = await publisherFrom({ type: 'local-log', dir: './events' }, dir);
      return {
        publisher,
        // The folder vanishes after start-up (an unmounted volume): writes fail until it is back.
        whenStarted: async () => rmSync(join(dir, 'events'), { recursive: true, force: true }),
        teardown: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
    async misconfigured() {
      const dir = mkdtempSync(join(tmpdir(), 'cb-compliance-log-'));
      writeFileSync(join(dir, 'events'), 'a file where the log folder should be');
      return { publisher: await publisherFrom({ type: 'local-log', dir: './events' }, dir), teardown: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
};
