/**
 * `preview` runs the same path as `run --once` up to the publisher, so for the same records it
 * counts the same: read, published, dead letters, skipped. Each source below repeats cases across
 * batches (overlapping exports, a supplier listing a case in two windows, a history table), the
 * repeats the old preview counted twice.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { startRepairsSimulator } from '../simulators/rest/housing-repairs.js';
import { ConfirmSimulator } from '../simulators/soap/confirm.js';
import { UniformSimulator } from '../simulators/soap/uniform.js';
import { BartecSimulator } from '../simulators/soap/bartec.js';

const REPO = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'cb-preview-counts-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Counts {
  read: number;
  published: number;
  deadLettered: number;
  skipped: number;
}

/** Asynchronous, so simulators served by this very process can answer the CLI. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', fail);
    child.on('close', (status) => {
      clearTimeout(timer);
      done({ status, stdout, stderr });
    });
  });
}

async function previewCounts(config: string, connector: string, env: NodeJS.ProcessEnv = {}, extra: string[] = []): Promise<Counts & { events: number }> {
  const r = await cli(['preview', config, connector, '--limit', '100000', '--json', ...extra], env);
  expect(r.status, r.stderr).toBe(0);
  const m = /preview \S+: (\d+) record\(s\) read, (\d+) event\(s\), (\d+) dead letter\(s\), (\d+) skipped/.exec(r.stderr);
  expect(m, r.stderr).not.toBeNull();
  const lines = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { read: Number(m![1]), published: Number(m![2]), deadLettered: Number(m![3]), skipped: Number(m![4]), events: lines.filter((l) => !('deadLetter' in l)).length };
}

async function runCounts(config: string, connector: string, env: NodeJS.ProcessEnv = {}): Promise<Counts> {
  const r = await cli(['run', config, '--once', '--json', '-c', connector], env);
  // 4: completed with dead letters (run --fail-on); some of these configs dead-letter rows on purpose.
  expect([0, 4], r.stderr).toContain(r.status);
  const s0 = (JSON.parse(r.stdout) as { connectors: { deadLettered: number; rejectedFiles?: unknown[] }[] }).connectors;
  expect(r.status).toBe(s0.some((c) => c.deadLettered > 0 || (c.rejectedFiles?.length ?? 0) > 0) ? 4 : 0);
  const s = (JSON.parse(r.stdout) as { connectors: (Counts & { connector: string })[] }).connectors.find((c) => c.connector === connector)!;
  return { read: s.read, published: s.published, deadLettered: s.deadLettered, skipped: s.skipped };
}

async function expectSameCounts(config: string, connector: string, env: NodeJS.ProcessEnv = {}): Promise<Counts> {
  const preview = await previewCounts(config, connector, env);
  const run = await runCounts(config, connector, env);
  expect(preview.events, 'events printed = events counted').toBe(preview.published);
  expect({ read: preview.read, published: preview.published, deadLettered: preview.deadLettered, skipped: preview.skipped }, connector).toEqual(run);
  return run;
}

describe('preview counts what run publishes', () => {
  it('file: the demo\'s three overlapping exports', { timeout: 120_000 }, async () => {
    const dir = join(work, 'file');
    cpSync(join(REPO, 'config/demo'), dir, { recursive: true, filter: (src) => !src.includes('/var') });
    const run = await expectSameCounts(join(dir, 'casebridge.yaml'), 'islington-street-services');
    // The overlap repeats are skipped, not counted as events.
    expect(run.skipped).toBeGreaterThan(0);
    expect(run.published).toBeLessThan(run.read);
    // After the run the files are in the ledger: preview shows nothing, says why and how to see them.
    const after = await cli(['preview', join(dir, 'casebridge.yaml'), 'islington-street-services']);
    expect(after.status, after.stderr).toBe(0);
    expect(after.stdout).toBe('');
    expect(after.stderr).toMatch(/nothing to show: no unread file matching .*\n\s+3 file\(s\) were already processed .*--from-start/);
    const again = await previewCounts(join(dir, 'casebridge.yaml'), 'islington-street-services', {}, ['--from-start']);
    expect({ read: again.read, published: again.published, skipped: again.skipped }).toEqual({ read: run.read, published: run.published, skipped: run.skipped });
  });

  it('SOAP and REST: the supplier demo\'s four simulated systems', { timeout: 240_000 }, async () => {
    const configDir = join(work, 'suppliers/config/demo');
    const wsdlDir = join(work, 'suppliers/tests/simulators/soap/wsdl');
    mkdirSync(configDir, { recursive: true });
    mkdirSync(wsdlDir, { recursive: true });
    copyFileSync(join(REPO, 'config/demo/suppliers.yaml'), join(configDir, 'suppliers.yaml'));
    for (const f of readdirSync(join(REPO, 'tests/simulators/soap/wsdl'))) copyFileSync(join(REPO, 'tests/simulators/soap/wsdl', f), join(wsdlDir, f));
    const config = join(configDir, 'suppliers.yaml');

    const now = Date.now();
    const hoursAgo = (h: number) => new Date(now - h * 3_600_000);
    const waste = new BartecSimulator({ pageSize: 4 });
    for (let i = 0; i < 10; i++) {
      const r = waste.addRequest({ at: hoursAgo(40 - i * 3), serviceType: 'MISSED BIN', serviceClass: 'WASTE', uprn: String(5_300_012_000 + i), easting: 530_000 + i * 150, northing: 185_000 + i * 90 });
      if (i % 3 === 0) waste.setStatus(r.ServiceRequestID, 'IN PROGRESS', hoursAgo(30 - i * 2));
      if (i % 2 === 0) waste.touch(r.ServiceRequestID, hoursAgo(5)); // a history row that changes nothing
    }
    const highways = new ConfirmSimulator();
    for (let i = 0; i < 6; i++) {
      const e = highways.addEnquiry({ at: hoursAgo(70 - i * 8), subject: 'PHOL', x: 530_400 + i * 120, y: 186_000 - i * 80 });
      // The same status logged again a day later: the enquiry is listed in two daily windows.
      highways.logStatus(e.EnquiryNumber, 'INP', hoursAgo(60 - i * 8), 'Inspection booked');
      highways.logStatus(e.EnquiryNumber, 'INP', hoursAgo(30 - i * 4), 'Internal: rota change');
    }
    const planning = new UniformSimulator();
    for (let i = 0; i < 4; i++) planning.addApplication({ at: hoursAgo(70 - i * 10), type: 'FUL', proposal: `Proposal ${i + 1}` });
    const servers = [await waste.start({ port: 0 }), await highways.start({ port: 0 }), await planning.start({ port: 0 })];
    const repairs = await startRepairsSimulator({ port: 0, token: 'preview-token', cases: 12, baseTime: hoursAgo(24).toISOString() });
    const env = {
      WASTE_URL: servers[0]!.url,
      HIGHWAYS_URL: servers[1]!.url,
      PLANNING_URL: servers[2]!.url,
      REPAIRS_URL: repairs.url,
      WASTE_PASSWORD: 'waste-secret',
      HIGHWAYS_PASSWORD: 'highways-secret',
      PLANNING_PASSWORD: 'planning-secret',
      REPAIRS_TOKEN: 'preview-token',
    };
    try {
      const highwaysRun = await expectSameCounts(config, 'islington-highways', env);
      expect(highwaysRun.skipped, 'the enquiries listed twice are skipped the second time').toBeGreaterThan(0);
      const wasteRun = await expectSameCounts(config, 'islington-waste', env);
      expect(wasteRun.published).toBeGreaterThan(0);
      await expectSameCounts(config, 'islington-planning', env);
      const repairsRun = await expectSameCounts(config, 'islington-repairs', env);
      expect(repairsRun.published).toBeGreaterThan(0);
      // Once run has committed, preview reads only what is new — nothing — and says why.
      const again = await cli(['preview', config, 'islington-repairs'], env);
      expect(again.status, again.stderr).toBe(0);
      expect(again.stderr).toMatch(/nothing to show/);
      expect(again.stderr).toMatch(/--from-start/);
    } finally {
      await Promise.all([waste.stop(), highways.stop(), planning.stop(), repairs.close()]);
    }
  });

  it('SQL: a PostgreSQL history table, read two rows per batch', { timeout: 120_000 }, async () => {
    const table = `cb_preview_${randomBytes(4).toString('hex')}`;
    const db = new pg.Client({ host: '127.0.0.1', port: 5432, user: process.env.CB_PG_USER ?? 'postgres', database: 'test' });
    await db.connect();
    try {
      await db.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY, ref text NOT NULL, status text NOT NULL, changed_at timestamptz NOT NULL)`);
      // Case A repeats its status in later rows (a history row that changes nothing), case C has an unknown status.
      await db.query(
        `INSERT INTO ${table} VALUES
          (1, 'A1', 'NEW', '2025-06-01T09:00:00Z'), (2, 'B1', 'NEW', '2025-06-01T09:05:00Z'),
          (3, 'A1', 'NEW', '2025-06-01T09:10:00Z'), (4, 'A1', 'WIP', '2025-06-01T09:20:00Z'),
          (5, 'C1', 'ZZZ', '2025-06-01T09:30:00Z'), (6, 'B1', 'NEW', '2025-06-01T09:40:00Z'),
          (7, 'A1', 'WIP', '2025-06-01T09:50:00Z')`,
      );
      const dir = join(work, 'sql');
      mkdirSync(dir, { recursive: true });
      const config = join(dir, 'casebridge.yaml');
      writeFileSync(
        config,
        `version: 1
councils: [{ gss: E09000019, name: Islington }]
state: { path: ./var/state.sqlite }
publisher: { type: local-log, dir: ./var/events }
http: { enabled: false }
connectors:
  - name: repairs-history
    type: sql
    council: E09000019
    system: { supplier: Repairs }
    batchSize: 2
    connection: { dialect: postgres, host: 127.0.0.1, port: 5432, database: test, user: ${process.env.CB_PG_USER ?? 'postgres'}, tls: { mode: disable } }
    read: { mode: incremental, table: ${table}, updatedAt: changed_at, key: id, lag: 0s }
    mapping:
      reference: ref
      status: { code: status, lookup: st }
      updatedAt: changed_at
      lookups:
        st: { kind: status, entries: { NEW: { status: received }, WIP: { status: in_progress } } }
`,
      );
      const run = await expectSameCounts(config, 'repairs-history');
      expect(run).toEqual({ read: 7, published: 3, deadLettered: 1, skipped: 3 });
    } finally {
      await db.query(`DROP TABLE IF EXISTS ${table}`);
      await db.end();
    }
  });
});
