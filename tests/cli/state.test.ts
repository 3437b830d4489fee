/**
 * Finding 7 of the fault audit: a 0-byte state file was silently taken as fresh state, so every
 * checkpoint was forgotten and everything was published again. The gateway now refuses an empty
 * or damaged state file with a clear message; `state check` and `state backup` help the operator.
 */
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readEventLog } from '../helpers/event-log.js';
import { runCli } from '../helpers/cli.js';

const config = (statePath = './var/state.sqlite') => `version: 1
councils: [{ gss: E09000019, name: London Borough of Islington }]
state: { path: ${statePath} }
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
        stages: { entries: { "1": { status: received } } }
`;

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

function setup(): { dir: string; cfg: string; state: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cb-state-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'drop'));
  const rows = Array.from({ length: 300 }, (_, i) => `${1000 + i},1,03/11/2025 14:05`).join('\r\n');
  writeFileSync(join(dir, 'drop', 'export.csv'), `CRNo,Stage,When\r\n${rows}\r\n`);
  const cfg = join(dir, 'casebridge.yaml');
  writeFileSync(cfg, config());
  const first = runCli(['run', cfg, '--once']);
  expect(first.status, first.stderr).toBe(0);
  expect(readEventLog(join(dir, 'var/events'))).toHaveLength(300);
  return { dir, cfg, state: join(dir, 'var/state.sqlite') };
}

/** Leave only the main database file, as a restore from a file-level copy would. */
function checkpointAway(state: string): void {
  const c = runCli(['state', 'check', state.replace(/var\/state\.sqlite$/, 'casebridge.yaml')]);
  expect(c.status, c.stderr).toBe(0);
  for (const side of ['-wal', '-shm']) expect(existsSync(state + side)).toBe(false);
}

describe('state file checks', () => {
  it('refuses a 0-byte state file at start instead of forgetting every checkpoint', () => {
    const { dir, cfg, state } = setup();
    truncateSync(state, 0);
    for (const side of ['-wal', '-shm']) rmSync(state + side, { force: true });
    const r = runCli(['run', cfg, '--once']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(state);
    expect(r.stderr).toMatch(/empty \(0 bytes\)/);
    expect(r.stderr).toMatch(/state backup|delete it/);
    // Nothing published again.
    expect(readEventLog(join(dir, 'var/events'))).toHaveLength(300);
  });

  it('refuses a damaged state file (not a database, or a corrupted page) and state check says so', () => {
    const { cfg, state } = setup();
    checkpointAway(state);
    // Break the b-tree page headers past the first page: the integrity check must notice.
    // The page size is in the file's header (bytes 16–17, big-endian; 1 means 65,536).
    const header = readFileSync(state).readUInt16BE(16);
    const pageSize = header === 1 ? 65_536 : header;
    expect(pageSize).toBeGreaterThanOrEqual(512);
    const fd = openSync(state, 'r+');
    for (let page = 1; page <= 3; page++) writeSync(fd, Buffer.alloc(16, 0xff), 0, 16, pageSize * page);
    closeSync(fd);
    const check = runCli(['state', 'check', cfg]);
    expect(check.status).toBe(1);
    expect(check.stdout + check.stderr).toMatch(/damaged/);
    const run = runCli(['run', cfg, '--once']);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/damaged/);

    writeFileSync(state, 'this is not a database at all, it is a text file '.repeat(100));
    const garbage = runCli(['run', cfg, '--once']);
    expect(garbage.status).toBe(1);
    expect(garbage.stderr).toContain(state);
    expect(garbage.stderr).toMatch(/not a SQLite database|damaged/);
  });

  it('state backup makes a consistent copy the gateway can carry on from', () => {
    const { dir, cfg } = setup();
    const ok = runCli(['state', 'check', cfg]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/ok/);
    expect(ok.stdout).toMatch(/street/);
    const dest = join(dir, 'backup', 'state-copy.sqlite');
    const b = runCli(['state', 'backup', cfg, dest]);
    expect(b.status, b.stderr).toBe(0);
    expect(existsSync(dest)).toBe(true);
    // Carry on from the copy: every checkpoint is in it, so nothing is published again.
    writeFileSync(cfg, config('./backup/state-copy.sqlite'));
    writeFileSync(join(dir, 'drop', 'more.csv'), 'CRNo,Stage,When\r\n9999,1,03/11/2025 15:05\r\n');
    const again = runCli(['run', cfg, '--once']);
    expect(again.status, again.stderr).toBe(0);
    expect(readEventLog(join(dir, 'var/events'))).toHaveLength(301);
    // A backup never overwrites a file already there.
    const twice = runCli(['state', 'backup', cfg, dest]);
    expect(twice.status).toBe(1);
    expect(twice.stderr).toMatch(/already exists/);
  });
});

describe('state reset', () => {
  it("forgets one connector's checkpoint only with --yes, keeps its ledger, and names a wrong connector", async () => {
    const { dir, cfg, state } = setup();
    const { openSqliteStateStore } = await import('../../src/runtime/sqlite-state-store.js');
    const checkpointOf = async () => {
      const store = openSqliteStateStore(state);
      try {
        return await store.forConnector('street').checkpoint();
      } finally {
        await store.close();
      }
    };
    const before = await checkpointOf();
    expect(before).toBeDefined();

    const dry = runCli(['state', 'reset', cfg, 'street']);
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/would forget its checkpoint .*--yes/);
    expect(await checkpointOf()).toEqual(before);

    const wrong = runCli(['state', 'reset', cfg, 'streets', '--yes']);
    expect(wrong.status).not.toBe(0);
    expect(wrong.stderr).toMatch(/no connector named "streets" \(have: street\)/);

    const reset = runCli(['state', 'reset', cfg, 'street', '--yes']);
    expect(reset.status, reset.stderr).toBe(0);
    expect(reset.stdout).toMatch(/street: checkpoint .* forgotten/);
    expect(await checkpointOf()).toBeUndefined();

    // Read again from the start: the ledger and case memory still know the export, so nothing new.
    const again = runCli(['run', cfg, '--once']);
    expect(again.status, again.stderr).toBe(0);
    expect(readEventLog(join(dir, 'var/events'))).toHaveLength(300);
  }, 180_000);
});
