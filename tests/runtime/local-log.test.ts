import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalLogPublisher } from '../../src/publish/local-log.js';
import type { OutgoingCaseEvent } from '../../src/normalize/build-event.js';

const ev = (id: string) => ({ key: 'k', event: { id } }) as unknown as OutgoingCaseEvent;

describe('local event log', () => {
  it('cuts off a line torn by a crash instead of gluing the next event to it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-log-'));
    writeFileSync(join(dir, 'events-000001.jsonl'), '{"id":"a"}\n{"id":"b"}\n{"id":"c","data":{"cas');
    const log = createLocalLogPublisher({ dir, rotateBytes: 1 << 20, fsync: true });
    await log.start();
    await log.publish([ev('c'), ev('d')]);
    await log.close();
    const lines = readFileSync(join(dir, 'events-000001.jsonl'), 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('continues the newest file after a restart and rotates before a write would pass the size limit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-log-'));
    // Each line is 13 bytes ({"id":"0-0"} and a newline): three fit in 40 bytes, a fourth does not.
    for (let run = 0; run < 2; run++) {
      const log = createLocalLogPublisher({ dir, rotateBytes: 40, fsync: false });
      await log.start();
      for (let i = 0; i < 3; i++) await log.publish([ev(`${run}-${i}`)]);
      await log.close();
    }
    const files = readdirSync(dir).filter((f) => f.startsWith('events-')).sort();
    expect(files).toEqual(['events-000001.jsonl', 'events-000002.jsonl']);
    const ids = (f: string) => readFileSync(join(dir, f), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id);
    expect(ids('events-000001.jsonl')).toEqual(['0-0', '0-1', '0-2']);
    expect(ids('events-000002.jsonl')).toEqual(['1-0', '1-1', '1-2']);
    for (const f of files) expect(statSync(join(dir, f)).size, f).toBeLessThanOrEqual(40);
  });
});
