/**
 * The council's workflow after a config mistake: a file is rejected, the config is fixed, and the
 * same file is dropped again. The ledger would set it aside as a duplicate; `forget` lets it in.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { readEventLog } from '../helpers/event-log.js';
import { runCli } from '../helpers/cli.js';

const config = (encoding: string) => `version: 1
councils: [{ gss: E09000019, name: London Borough of Islington }]
state: { path: ./var/state.sqlite }
publisher: { type: local-log, dir: ./var/events }
http: { enabled: false }
connectors:
  - name: street
    type: file
    council: E09000019
    system: { supplier: Street services }
    path: ./drop
    ready: { stableFor: 0s }
    format: { type: csv, encoding: ${encoding} }
    mapping:
      reference: CRNo
      description: Notes
      status: { code: Stage, lookup: stages }
      updatedAt: { path: When, date: dd/MM/yyyy HH:mm }
      lookups:
        stages: { entries: { "1": { status: received } } }
`;

describe('casebridge forget', () => {
  it('lets a file rejected under a wrong config be read again after the fix', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-forget-'));
    mkdirSync(join(dir, 'drop'));
    const csv = iconv.encode('CRNo,Stage,When,Notes\r\n101,1,03/11/2025 14:05,"Fee £45 — “urgent”"\r\n', 'win1252');
    const original = join(dir, 'export.csv');
    writeFileSync(original, csv);
    const cfg = join(dir, 'casebridge.yaml');

    // 1. Wrong encoding in the config: the windows-1252 file is rejected whole.
    writeFileSync(cfg, config('utf-8'));
    copyFileSync(original, join(dir, 'drop', 'export.csv'));
    // 4: completed, but a file was rejected (run --fail-on).
    expect(runCli(['run', cfg, '--once']).status).toBe(4);
    expect(readdirSync(join(dir, 'drop', 'rejected'))).toContain('export.csv');
    expect(readEventLog(join(dir, 'var/events'))).toHaveLength(0);

    // 2. Config fixed, same file dropped again: the ledger recognises it and sets it aside.
    writeFileSync(cfg, config('windows-1252'));
    copyFileSync(original, join(dir, 'drop', 'export.csv'));
    expect(runCli(['run', cfg, '--once']).status).toBe(0);
    expect(existsSync(join(dir, 'drop', 'duplicates'))).toBe(true);
    expect(readEventLog(join(dir, 'var/events'))).toHaveLength(0);

    // 3. Forget it, drop it again: read, with the £, dash and curly quotes intact.
    const f = runCli(['forget', cfg, 'street', original]);
    expect(f.status, f.stderr).toBe(0);
    expect(f.stdout).toMatch(/^forgotten {2}.*export\.csv: was rejected as export\.csv/);
    copyFileSync(original, join(dir, 'drop', 'export.csv'));
    expect(runCli(['run', cfg, '--once']).status).toBe(0);
    const events = readEventLog(join(dir, 'var/events'));
    expect(events).toHaveLength(1);
    expect(events[0]!.data.case.description).toBe('Fee £45 — “urgent”');

    // A processed file is kept unless --force, and exit 1 says nothing was forgotten.
    const kept = runCli(['forget', cfg, 'street', original]);
    expect(kept.status).toBe(1);
    expect(kept.stdout).toContain('use --force');
  }, 180_000); // five CLI processes in a row: each start costs seconds on a loaded machine
});
