/**
 * Finding 5 of the fault audit: the backoff kept growing (to 48 s) although batches were published
 * between failures, and `run --once` reported only the last attempt's counts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { createGateway, type Gateway } from '../../src/runtime/gateway.js';
import { silentLogger } from '../../src/core/logger.js';
import { fakeNormalize, fakeSource, type FakeRow } from '../helpers/fake-source.js';
import { memoryPublisher } from '../helpers/memory-publisher.js';

const rows: FakeRow[] = Array.from({ length: 40 }, (_, i) => ({ ref: `SR${i}`, status: 'received', updatedAt: `2025-11-03T09:${String(i).padStart(2, '0')}:00Z` }));

let gw: Gateway | undefined;
let dir: string | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('retries with progress in between', () => {
  it('start the backoff again after a published batch, and the summary adds up every attempt', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cb-retry-'));
    const loaded = parseConfigText(
      `
version: 1
councils: [{ gss: E09000019, name: London Borough of Islington }]
http: { enabled: false }
connectors:
  - name: fake
    type: file
    council: E09000019
    system: { supplier: Fake }
    path: ./in
    format: { type: csv }
    retry: { initial: 10ms, max: 10s, multiplier: 4 }
    mapping:
      reference: ref
      status: { code: status, lookup: st }
      lookups:
        st: { entries: { received: { status: received } } }
`,
      'test.yaml',
      dir,
      {},
    );
    const publisher = memoryPublisher();
    // Every second publish fails: each attempt publishes one batch, then meets a failure.
    let calls = 0;
    const inner = publisher.publish.bind(publisher);
    publisher.publish = async (events) => {
      if (calls++ % 2 === 1) publisher.failNext(1);
      return inner(events);
    };
    gw = await createGateway({ loaded, publisher, logger: silentLogger(), http: false, compileMapping: () => fakeNormalize, sourceFactories: { file: () => fakeSource(rows, 7, []) } });
    const attempts: number[] = [];
    gw.runners.get('fake')!.on('backoff', (b: { attempt: number }) => attempts.push(b.attempt));
    const [summary] = await gw.runAllOnce();
    expect(attempts.length).toBeGreaterThanOrEqual(5);
    // Progress came between every two failures, so every wait is a first one.
    expect(attempts.every((a) => a === 1)).toBe(true);
    expect(summary).toMatchObject({ status: 'ok', read: 40, published: 40, batches: 6, attempts: attempts.length + 1 });
    expect(publisher.events).toHaveLength(40);
  });
});
