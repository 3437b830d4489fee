/**
 * Finding 4 of the fault audit: with the broker hung (SIGSTOP), /readyz stayed ready the whole
 * time and SIGTERM never ended the process. Now: not ready once a publish has been pending longer
 * than the request timeout; stop() returns within shutdownGrace, naming what was still pending; the
 * abandoned send is counted. (The CLI side, with a real SIGSTOPped broker, is in the fault suite:
 * faults/ and docs/reliability.md.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { createGateway, type Gateway } from '../../src/runtime/gateway.js';
import { createLogger } from '../../src/core/logger.js';
import { fakeNormalize, fakeSource, type FakeRow } from '../helpers/fake-source.js';
import { memoryPublisher } from '../helpers/memory-publisher.js';

const rows: FakeRow[] = Array.from({ length: 5 }, (_, i) => ({ ref: `SR${i}`, status: 'received', updatedAt: `2025-11-03T09:0${i}:00Z` }));

let gw: Gateway | undefined;
let dir: string | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('a publish that hangs', () => {
  it('turns /readyz to 503 past the request timeout, and stop() returns within shutdownGrace naming the abandoned send', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cb-hang-'));
    const loaded = parseConfigText(
      `version: 1
councils: [{ gss: E09000019, name: Islington }]
shutdownGrace: 1s
connectors:
  - name: fake
    type: file
    council: E09000019
    system: { supplier: Fake }
    path: ./in
    format: { type: csv }
    mapping:
      reference: ref
      status: { code: status, lookup: st }
      lookups:
        st: { entries: { received: { status: received } } }
`,
      join(dir, 'c.yaml'),
      dir,
      {},
    );
    const publisher = memoryPublisher();
    publisher.hold(); // never released: the broker is hung
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', destination: { write: (l: string) => void lines.push(l) } });
    gw = await createGateway({
      loaded,
      publisher,
      logger,
      http: { host: '127.0.0.1', port: 0 },
      publishTimeoutMs: 300,
      compileMapping: () => fakeNormalize,
      sourceFactories: { file: () => fakeSource(rows, 5, []) },
    });
    await gw.start();
    const url = gw.httpUrl!;
    await until('the publish to hang past the request timeout', async () => (await fetch(`${url}/readyz`)).status === 503);
    const body = (await (await fetch(`${url}/readyz`)).json()) as { publisher: { ok: boolean; detail?: string } };
    expect(body.publisher.detail).toMatch(/publish pending for .*longer than the request timeout/);

    const stopped = { done: false };
    const stopping = gw.stop().then(() => (stopped.done = true));
    await until('stop() to return after shutdownGrace', () => stopped.done, 15_000);
    await stopping;
    const text = lines.join('');
    expect(text).toMatch(/abandoned 1 publish\(es\) still pending after shutdownGrace 1s: fake \(5 events/);
    expect(await gw.metrics.registry.metrics()).toMatch(/casebridge_publish_abandoned_total\{connector="fake"\} 1/);
    gw = undefined;
  });
});
