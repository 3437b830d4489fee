/**
 * The file connector inside the real gateway (createGateway): normalize → publish → commit → ack.
 * Full snapshot exports produce exactly the created / changed / closed events their differences
 * imply; UK local times on either side of a clock change get the right offsets; the demo config
 * never consumes its bundled samples.
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfigText } from '../../src/config/load.js';
import { createGateway } from '../../src/runtime/gateway.js';
import { silentLogger } from '../../src/core/logger.js';
import { openTestStateStore } from '../helpers/state-store.js';
import { memoryPublisher } from '../helpers/memory-publisher.js';
import { tempDir } from './harness.js';
import { until } from '../helpers/until.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function configYaml(connector: string): string {
  return `
version: 1
councils: [{ gss: E09000019, name: London Borough of Islington }]
http: { enabled: false }
connectors:
${connector}
`;
}

async function gatewayFor(dir: string, yaml: string) {
  const loaded = parseConfigText(yaml, join(dir, 'casebridge.yaml'), dir, {});
  const publisher = memoryPublisher();
  const stateStore = await openTestStateStore(dir);
  const gateway = await createGateway({ loaded, publisher, stateStore, http: false, logger: silentLogger() });
  await gateway.open();
  cleanups.push(() => gateway.stop());
  return { gateway, publisher };
}

/** A gateway with one watching file connector on a fresh `drop` folder; `timing` is its YAML timing lines. */
async function watchedGateway(timing: string) {
  const t = tempDir();
  cleanups.push(() => t.cleanup());
  const drop = join(t.dir, 'drop');
  mkdirSync(drop);
  const { gateway, publisher } = await gatewayFor(
    t.dir,
    configYaml(`
  - name: watched
    type: file
    council: E09000019
    system: { supplier: Repairs }
    path: drop
    watch: true
    ${timing}
    format: { type: csv }
    mapping:
      reference: Job
      status: { code: Status, lookup: repairs }
      updatedAt: { path: Changed, date: dd/MM/yyyy HH:mm }
      lookups: { repairs: { entries: { RAISED: { status: received } } } }
`),
  );
  return { t, drop, gateway, publisher };
}

const OPEN_CASES_CONNECTOR = `
  - name: open-cases
    type: file
    council: E09000019
    system: { supplier: Repairs }
    path: drop
    pattern: "open-cases-*.csv"
    order: name
    ready: { stableFor: 0s }
    format: { type: csv }
    mode: snapshot
    snapshot: { onMissing: close }
    mapping:
      reference: Job
      status: { code: Status, lookup: repairs }
      updatedAt: { path: Changed, date: dd/MM/yyyy HH:mm }
      lookups:
        repairs:
          entries:
            RAISED: { status: received }
            BOOKED: { status: scheduled }
            ONSITE: { status: in_progress }
`;

function snapshot(rows: [string, string, string][]): string {
  return ['Job,Status,Changed', ...rows.map((r) => r.join(','))].join('\r\n') + '\r\n';
}

describe('file connector in the gateway', () => {
  it('three successive full exports yield exactly the created / changed / closed events their differences imply', async () => {
    const t = tempDir();
    cleanups.push(() => t.cleanup());
    const drop = join(t.dir, 'drop');
    mkdirSync(drop);
    const { gateway, publisher } = await gatewayFor(t.dir, configYaml(OPEN_CASES_CONNECTOR));
    const exportsList = [
      snapshot([
        ['R1', 'RAISED', '02/11/2025 09:00'],
        ['R2', 'RAISED', '02/11/2025 09:30'],
        ['R3', 'BOOKED', '02/11/2025 10:00'],
      ]),
      snapshot([
        ['R1', 'RAISED', '02/11/2025 09:00'], // unchanged
        ['R2', 'ONSITE', '03/11/2025 08:15'], // status changed
        // R3 gone: finished and purged by the supplier
        ['R4', 'RAISED', '03/11/2025 07:40'], // new
      ]),
      snapshot([
        ['R1', 'RAISED', '02/11/2025 09:00'],
        ['R2', 'ONSITE', '03/11/2025 08:15'],
        ['R4', 'RAISED', '03/11/2025 07:40'],
      ]),
    ];
    const perExport: string[][] = [];
    for (const [i, text] of exportsList.entries()) {
      const before = publisher.events.length;
      writeFileSync(join(drop, `open-cases-2025110${i + 2}.csv`), text);
      const [summary] = await gateway.runAllOnce();
      expect(summary!.status).toBe('ok');
      perExport.push(publisher.events.slice(before).map((e) => `${e.event.subject}:${e.event.data.change.kind}`).sort());
    }
    expect(perExport).toEqual([['R1:created', 'R2:created', 'R3:created'], ['R2:status_changed', 'R3:closed', 'R4:created'], []]);
    const closed = publisher.events.find((e) => e.event.subject === 'R3' && e.event.data.change.kind === 'closed')!.event;
    expect(closed.data.change.previousStatus).toBe('scheduled');
    expect(readdirSync(join(drop, 'processed')).sort()).toEqual(['open-cases-20251102.csv', 'open-cases-20251103.csv', 'open-cases-20251104.csv']);
  });

  it('a snapshot rejected for too many bad rows closes nothing', async () => {
    const t = tempDir();
    cleanups.push(() => t.cleanup());
    const drop = join(t.dir, 'drop');
    mkdirSync(drop);
    const { gateway, publisher } = await gatewayFor(t.dir, configYaml(OPEN_CASES_CONNECTOR));
    writeFileSync(join(drop, 'open-cases-1.csv'), snapshot([['R1', 'RAISED', '02/11/2025 09:00'], ['R2', 'RAISED', '02/11/2025 09:30']]));
    await gateway.runAllOnce();
    // A broken export: one good row, three rows whose status the mapping does not know.
    writeFileSync(join(drop, 'open-cases-2.csv'), snapshot([['R1', 'RAISED', '02/11/2025 09:00'], ['R5', '???', '03/11/2025 09:00'], ['R6', '???', '03/11/2025 09:00'], ['R7', '???', '03/11/2025 09:00']]));
    await gateway.runAllOnce();
    expect(publisher.events.map((e) => `${e.event.subject}:${e.event.data.change.kind}`).sort()).toEqual(['R1:created', 'R2:created']);
    expect(publisher.deadLetters).toHaveLength(3);
    const reason = readFileSync(join(drop, 'rejected', 'open-cases-2.csv.reason.txt'), 'utf8');
    expect(reason).toMatch(/3 of 4 rows rejected \(75%\)/);
    expect(reason).toMatch(/dead letters written: +3/);
  });

  it('reads UK local times either side of the October clock change with the right offsets', async () => {
    const t = tempDir();
    cleanups.push(() => t.cleanup());
    const drop = join(t.dir, 'drop');
    mkdirSync(drop);
    copyFileSync(join(import.meta.dirname, '../fixtures/file/enforcement-cases-ansi.csv'), join(drop, 'enforcement-cases-ansi.csv'));
    const { gateway, publisher } = await gatewayFor(
      t.dir,
      configYaml(`
  - name: enforcement
    type: file
    council: E09000019
    system: { supplier: Enforcement }
    path: drop
    ready: { stableFor: 0s }
    format: { type: csv, encoding: auto }
    mapping:
      reference: Case Ref
      description: Notes
      status: { code: Status, lookup: enf }
      openedAt: { path: Logged, date: dd/MM/yyyy HH:mm }
      updatedAt: { path: Last Updated, date: dd/MM/yyyy HH:mm }
      location: { address: Location }
      lookups:
        enf:
          entries:
            OPEN: { status: received }
            INV: { status: in_progress }
            PAID: { status: closed }
`),
    );
    const [summary] = await gateway.runAllOnce();
    expect(summary!.status).toBe('ok');
    const byRef = publisher.events.map((e) => [e.event.subject, e.event.time, e.event.data.provenance.position.line]);
    expect(byRef).toEqual([
      ['ENF/25/0412', '2025-10-24T14:05:00+01:00', 2], // BST
      ['ENF/25/0413', '2025-10-26T00:40:00+01:00', 3], // still BST: clocks go back at 02:00
      ['ENF/25/0414', '2025-10-26T01:30:00+01:00', 6], // 01:30 happens twice; the first (BST) is taken
      ['ENF/25/0412', '2025-11-03T14:05:00+00:00', 7], // GMT
    ]);
    expect(publisher.events[0]!.event.data.case.description).toBe('Bags of trade waste; officer noted “Smith’s Café” receipts');
    expect(publisher.events[1]!.event.data.location?.address).toBe('Flat 2,\n31 Essex Road\nLondon N1 2SA');
  });

  it('in watch mode, publishes a dropped file within seconds and moves it after publishing', async () => {
    const { drop, gateway, publisher } = await watchedGateway('pollInterval: 1s\n    ready: { stableFor: 300ms }');
    await gateway.start();
    writeFileSync(join(drop, 'jobs.csv'), snapshot([['R9', 'RAISED', '03/11/2025 14:05']]));
    // Bounded by a generous deadline, not by how fast this machine is: latency is measured in bench/.
    for (let i = 0; i < 300 && !existsSync(join(drop, 'processed', 'jobs.csv')); i++) await new Promise((r) => setTimeout(r, 100));
    expect(publisher.events.map((e) => e.event.subject)).toEqual(['R9']);
    expect(existsSync(join(drop, 'processed', 'jobs.csv'))).toBe(true);
    await gateway.stop();
  });

  it('in watch mode, a folder that disappears turns the connector to backing off and /readyz red, and it reads again once the folder is back', async () => {
    const { t, drop, gateway, publisher } = await watchedGateway('pollInterval: 200ms\n    ready: { stableFor: 0s }\n    retry: { initial: 100ms, max: 500ms, multiplier: 2 }');
    await gateway.start();
    const watched = () => gateway.status().connectors.find((c) => c.name === 'watched')!;
    await until(() => watched().status === 'running' || watched().status === 'idle', 'the watched connector to start');

    renameSync(drop, join(t.dir, 'unmounted'));
    await until(() => watched().status === 'backing_off', 'the connector to back off once its folder is gone');
    expect(gateway.status().ready).toBe(false);
    expect(watched().lastError).toMatch(/drop/);

    renameSync(join(t.dir, 'unmounted'), drop);
    writeFileSync(join(drop, 'jobs.csv'), snapshot([['R10', 'RAISED', '03/11/2025 14:05']]));
    await until(() => publisher.events.length > 0, 'the file dropped after the folder came back to be published');
    expect(publisher.events.map((e) => e.event.subject)).toEqual(['R10']);
    await until(() => watched().status !== 'backing_off', 'the connector to leave backing off');
    expect(gateway.status().ready).toBe(true);
  });

  it('runs the demo config again and again without consuming its bundled samples', async () => {
    const t = tempDir();
    cleanups.push(() => t.cleanup());
    const demo = join(import.meta.dirname, '../../config/demo');
    cpSync(join(demo, 'casebridge.yaml'), join(t.dir, 'casebridge.yaml'));
    cpSync(join(demo, 'exports'), join(t.dir, 'exports'), { recursive: true });
    const before = readdirSync(join(t.dir, 'exports')).sort();
    const loaded = loadConfigFile(join(t.dir, 'casebridge.yaml'));
    const publisher = memoryPublisher();
    const gateway = await createGateway({ loaded, publisher, http: false, logger: silentLogger() });
    cleanups.push(() => gateway.stop());
    await gateway.open();
    const [first] = await gateway.runAllOnce();
    expect(first!.status).toBe('ok');
    const rows = before.reduce((n, f) => n + readFileSync(join(t.dir, 'exports', f), 'utf8').trim().split('\n').length - 1, 0);
    expect(first!.read).toBe(rows);
    expect(publisher.events.length).toBeGreaterThan(200);
    expect(publisher.deadLetters).toEqual([]);
    const [second] = await gateway.runAllOnce();
    expect(second!.read).toBe(0);
    expect(readdirSync(join(t.dir, 'exports')).sort()).toEqual(before);
    expect(existsSync(join(t.dir, 'var', 'state.sqlite'))).toBe(true);
  });
});
