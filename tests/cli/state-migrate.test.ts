/**
 * Moving a running installation from its SQLite file to PostgreSQL: `state migrate` copies every
 * checkpoint and ledger entry, refuses a target that already holds state (unless --force), and the
 * gateway, switched to `state.type: postgres`, carries on where it stopped — the same file dropped
 * again is recognised as a duplicate, a new one is published.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readEventLog } from '../helpers/event-log.js';
import { runCli } from '../helpers/cli.js';

const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
const dirs: string[] = [];
const schemas: string[] = [];

afterEach(async () => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
  while (schemas.length) await admin.query(`DROP SCHEMA IF EXISTS "${schemas.pop()!}" CASCADE`);
});
afterAll(async () => {
  await admin.end();
});

const config = (state: string) => `version: 1
councils: [{ gss: E09000019, name: London Borough of Islington }]
state: ${state}
publisher: { type: local-log, dir: ./var/events }
http: { enabled: false }
connectors:
  - name: street
    type: file
    council: E09000019
    system: { supplier: Street services }
    path: ./drop
    ready: { stableFor: 0s }
    format: { type: csv }
    mapping:
      reference: CRNo
      status: { code: Stage, lookup: stages }
      updatedAt: { path: When, date: dd/MM/yyyy HH:mm }
      lookups:
        stages: { entries: { "1": { status: received }, "2": { status: in_progress } } }
`;

function csv(from: number, n: number, stage = 1): string {
  return `CRNo,Stage,When\r\n${Array.from({ length: n }, (_, i) => `${from + i},${stage},03/11/2025 14:05`).join('\r\n')}\r\n`;
}

describe('casebridge state migrate', () => {
  it('copies a SQLite installation to PostgreSQL, and the gateway carries on from it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-state-migrate-'));
    dirs.push(dir);
    const schema = `cb_migrate_${randomBytes(5).toString('hex')}`;
    schemas.push(schema);
    mkdirSync(join(dir, 'drop'));
    const first = join(dir, 'first.csv');
    writeFileSync(first, csv(1000, 120));
    const cfg = join(dir, 'casebridge.yaml');
    writeFileSync(cfg, config('{ path: ./var/state.sqlite }'));
    copyFileSync(first, join(dir, 'drop', 'export.csv'));
    const run1 = runCli(['run', cfg, '--once']);
    expect(run1.status, run1.stderr).toBe(0);
    expect(readEventLog(join(dir, 'var/events'))).toHaveLength(120);

    const statePath = join(dir, 'var/state.sqlite');
    const sqlite = new Database(statePath, { readonly: true });
    const fileRows = sqlite.prepare('SELECT connector, namespace, key, value FROM kv ORDER BY namespace, key').all() as Array<Record<string, string>>;
    const fileCheckpoint = (sqlite.prepare('SELECT checkpoint FROM checkpoints WHERE connector = ?').get('street') as { checkpoint: string }).checkpoint;
    sqlite.close();
    expect(fileRows.length).toBeGreaterThan(0);

    const m = runCli(['state', 'migrate', '--from', `sqlite:${statePath}`, '--to', `postgres:${PG_URL}`, '--schema', schema]);
    expect(m.status, m.stderr).toBe(0);
    expect(m.stdout).toContain(`copied ${statePath} to postgres://postgres@127.0.0.1:5432/test (schema ${schema}): 1 checkpoints, ${fileRows.length} remembered entries`);
    expect(m.stdout).toContain(`  street: 1 checkpoint, ${fileRows.length} entries`);
    expect(m.stdout).toContain('verified: the counts read back from PostgreSQL match the file');

    // The exact stored text, row for row.
    const pgRows = (await admin.query(`SELECT connector, namespace, key, value FROM "${schema}".casebridge_kv ORDER BY namespace COLLATE "C", key COLLATE "C"`)).rows;
    expect(pgRows).toEqual(fileRows);
    expect((await admin.query(`SELECT checkpoint FROM "${schema}".casebridge_checkpoints WHERE connector = 'street'`)).rows[0].checkpoint).toBe(fileCheckpoint);

    // A second copy would overwrite live state: refused, and nothing changes.
    const again = runCli(['state', 'migrate', '--from', `sqlite:${statePath}`, '--to', PG_URL, '--schema', schema]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain(`schema ${schema} already holds state for street (1 checkpoint, ${fileRows.length} entries); nothing was copied. Use --force to replace it`);
    await admin.query(`UPDATE "${schema}".casebridge_checkpoints SET checkpoint = '{"changed":true}'`);
    const forced = runCli(['state', 'migrate', '--from', `sqlite:${statePath}`, '--to', PG_URL, '--schema', schema, '--force', '--json']);
    expect(forced.status, forced.stderr).toBe(0);
    const report = JSON.parse(forced.stdout) as { verified: boolean; replaced: { checkpoints: number; entries: number }; total: { checkpoints: number; entries: number } };
    expect(report).toMatchObject({ verified: true, replaced: { checkpoints: 1, entries: fileRows.length }, total: { checkpoints: 1, entries: fileRows.length } });
    expect((await admin.query(`SELECT checkpoint FROM "${schema}".casebridge_checkpoints`)).rows[0].checkpoint).toBe(fileCheckpoint);

    // The gateway on PostgreSQL state: the same file again is a duplicate; a new file is read.
    rmSync(statePath);
    writeFileSync(cfg, config(`{ type: postgres, url: "\${env:CB_TEST_STATE_URL}", schema: ${schema}, poolSize: 2 }`));
    const env = { CB_TEST_STATE_URL: PG_URL };
    copyFileSync(first, join(dir, 'drop', 'export.csv'));
    const run2 = runCli(['run', cfg, '--once'], { env });
    expect(run2.status, run2.stderr).toBe(0);
    expect(readEventLog(join(dir, 'var/events'))).toHaveLength(120);

    writeFileSync(join(dir, 'drop', 'second.csv'), csv(1000, 30, 2));
    const run3 = runCli(['run', cfg, '--once'], { env });
    expect(run3.status, run3.stderr).toBe(0);
    const events = readEventLog(join(dir, 'var/events'));
    expect(events).toHaveLength(150);
    // Change detection read the migrated case memory: these are second changes of known cases.
    expect(events.slice(120).every((e) => e.data.case.status.lifecycle === 'in_progress' && e.data.change.previousStatus === 'received' && e.data.sequence === 2)).toBe(true);
    const ledger = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".casebridge_kv WHERE connector = 'street' AND namespace = 'file-ledger'`);
    expect(ledger.rows[0].n).toBeGreaterThanOrEqual(2);
  }, 180_000);

  it('says what it expects of --from and --to', () => {
    const bad = runCli(['state', 'migrate', '--from', './var/state.sqlite', '--to', PG_URL]);
    expect(bad.status).toBe(64);
    expect(bad.stderr).toContain('--from takes sqlite:PATH');
    const badTo = runCli(['state', 'migrate', '--from', 'sqlite:x', '--to', 'mysql://x']);
    expect(badTo.status).toBe(64);
    expect(badTo.stderr).toContain('--to takes postgres:URL');
  });
});
