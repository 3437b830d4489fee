import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { CaseEvent } from '../../src/event/case-event.js';
import { createGateway, type Gateway } from '../../src/runtime/gateway.js';
import { silentLogger } from '../../src/core/logger.js';
import { fakeNormalize, fakeSource, type FakeRow } from '../helpers/fake-source.js';
import { memoryPublisher } from '../helpers/memory-publisher.js';

const yaml = (dir: string) => `
version: 1
councils:
  - { gss: E09000019, name: London Borough of Islington }
state: { path: ${dir}/state.sqlite }
publisher: { type: local-log, dir: ${dir}/events, rotateBytes: 2048 }
connectors:
  - name: fake
    type: file
    council: E09000019
    system: { supplier: Fake }
    path: ./in
    format: { type: csv }
    retry: { initial: 10ms, max: 50ms }
    mapping:
      reference: ref
      status: { code: status, lookup: st }
      lookups:
        st: { entries: { received: { status: received } } }
`;

const rows: FakeRow[] = Array.from({ length: 40 }, (_, i) => ({ ref: `SR${i}`, status: 'received', updatedAt: `2025-11-03T09:${String(i).padStart(2, '0')}:00Z` }));

let gw: Gateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

function loaded(dir: string) {
  // The fake source ignores the file connector's own settings; only the base fields matter here.
  return parseConfigText(yaml(dir), 'test.yaml', dir, {});
}

describe('gateway', () => {
  it('writes every event to rotated local-log files, fsynced, one structured CloudEvent per line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-gw-'));
    gw = await createGateway({ loaded: loaded(dir), logger: silentLogger(), http: false, compileMapping: () => fakeNormalize, sourceFactories: { file: () => fakeSource(rows, 7, []) } });
    const [summary] = await gw.runAllOnce();
    expect(summary).toMatchObject({ status: 'ok', read: 40, published: 40, batches: 6 });
    await gw.stop();
    const files = readdirSync(join(dir, 'events')).filter((f) => f.startsWith('events-')).sort();
    expect(files.length).toBeGreaterThan(1);
    const lines = files.flatMap((f) => readFileSync(join(dir, 'events', f), 'utf8').trim().split('\n'));
    expect(lines).toHaveLength(40);
    for (const line of lines) expect(CaseEvent.safeParse(JSON.parse(line)).success).toBe(true);
  });

  it('serves health, readiness and Prometheus metrics per connector', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-gw-'));
    const publisher = memoryPublisher();
    gw = await createGateway({
      loaded: loaded(dir),
      logger: silentLogger(),
      publisher,
      http: { host: '127.0.0.1', port: 0 },
      compileMapping: () => fakeNormalize,
      sourceFactories: { file: () => fakeSource(rows.slice(0, 5), 5, []) },
    });
    await gw.start();
    const url = gw.httpUrl!;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    // The interval schedule runs immediately; wait for it to publish.
    for (let i = 0; i < 50 && publisher.events.length < 5; i++) await new Promise((r) => setTimeout(r, 20));
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    const status = (await ready.json()) as { connectors: { name: string; totals: { published: number } }[] };
    expect(status.connectors[0]).toMatchObject({ name: 'fake', totals: { published: 5 } });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/casebridge_records_read_total\{connector="fake"\} 5/);
    expect(metrics).toMatch(/casebridge_events_published_total\{connector="fake",type="created"\} 5/);
    expect(metrics).toMatch(/casebridge_last_success_timestamp_seconds\{connector="fake"\} \d+/);
    expect(metrics).toMatch(/casebridge_lag_seconds\{connector="fake"\}/);
    // Five new cases: five lookups the store had to answer, and their memory now held.
    expect(metrics).toMatch(/casebridge_case_cache_lookups_total\{connector="fake",result="miss"\} 5/);
    expect(metrics).toMatch(/casebridge_case_cache_lookups_total\{connector="fake",result="hit"\} 0/);
    expect(metrics).toMatch(/casebridge_case_cache_admitting\{connector="fake"\} 1/);
    expect(Number(/casebridge_case_cache_bytes\{connector="fake"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(5 * 100);
  });

  it('reports not ready while a connector backs off after publish failures', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-gw-'));
    const publisher = memoryPublisher();
    publisher.failNext(1000);
    gw = await createGateway({
      loaded: loaded(dir),
      logger: silentLogger(),
      publisher,
      http: { host: '127.0.0.1', port: 0 },
      compileMapping: () => fakeNormalize,
      sourceFactories: { file: () => fakeSource(rows.slice(0, 5), 5, []) },
    });
    await gw.start();
    let res: Response | undefined;
    for (let i = 0; i < 50; i++) {
      res = await fetch(`${gw.httpUrl}/readyz`);
      if (res.status === 503) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(res!.status).toBe(503);
    const body = (await res!.json()) as { connectors: { status: string; lastError?: string }[] };
    expect(body.connectors[0]!.status).toBe('backing_off');
    expect(body.connectors[0]!.lastError).toContain('broker unavailable');
  });
});

describe('start-up checks', () => {
  it('stop only the connector whose check fails with a config error; the others run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-gw-'));
    // Two file connectors; the fake factory gives "broken" a source whose start-up check fails.
    const l = parseConfigText(yaml(dir).replace(/- name: fake\n([\s\S]*)$/, (m, rest: string) => `${m}  - name: broken\n${rest}`), 'test.yaml', dir, {});
    const { ConfigError } = await import('../../src/core/errors.js');
    const publisher = memoryPublisher();
    gw = await createGateway({
      loaded: l,
      logger: silentLogger(),
      publisher,
      http: false,
      compileMapping: () => fakeNormalize,
      sourceFactories: {
        file: (c) =>
          c.name === 'broken'
            ? { check: async () => Promise.reject(new ConfigError('column "UPDATED" does not exist in table cases')), read: async function* () {}, close: async () => {} }
            : fakeSource(rows.slice(0, 3), 3, []),
      },
    });
    const summaries = await gw.runAllOnce();
    const byName = Object.fromEntries(summaries.map((s) => [s.connector, s]));
    expect(byName.fake).toMatchObject({ status: 'ok', published: 3 });
    expect(byName.broken).toMatchObject({ status: 'failed' });
    expect(byName.broken!.error).toContain('column "UPDATED" does not exist');
    expect(gw.status().ready).toBe(false);
  });
});
