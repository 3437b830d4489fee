/**
 * Finding 8 of the fault audit: `run --once` printed ok and exited 0 with dead letters or rejected
 * files, so a cron'd run could never alert; XML refused for its DTD wrote no dead letter although
 * docs/file.md promises one; symlinks and FIFOs in a drop folder were skipped without a word.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { createGateway } from '../../src/runtime/gateway.js';
import { createLogger } from '../../src/core/logger.js';
import { readEventLog } from '../helpers/event-log.js';
import { runCli } from '../helpers/cli.js';

const EXIT_COMPLETED_WITH_PROBLEMS = 4;

const config = (format: string) => `version: 1
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
    pattern: "*.*"
    ready: { stableFor: 0s }
    format: ${format}
    mapping:
      reference: CRNo
      status: { code: Stage, lookup: stages }
      lookups:
        stages: { entries: { "1": { status: received } } }
`;

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

function work(format = '{ type: csv }'): { dir: string; cfg: string; drop: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cb-outcome-'));
  dirs.push(dir);
  const drop = join(dir, 'drop');
  mkdirSync(drop);
  const cfg = join(dir, 'casebridge.yaml');
  writeFileSync(cfg, config(format));
  return { dir, cfg, drop };
}

describe('run outcomes', () => {
  it('exits 4 when a run completed with dead letters, unless --fail-on says otherwise', () => {
    const { cfg, drop } = work();
    writeFileSync(join(drop, 'a.csv'), 'CRNo,Stage\r\n1,1\r\n2,9\r\n');
    const r = runCli(['run', cfg, '--once']);
    expect(r.status, r.stderr).toBe(EXIT_COMPLETED_WITH_PROBLEMS);
    expect(r.stdout).toMatch(/1 event\(s\) published, 1 dead letter\(s\)/);
    expect(r.stdout).toMatch(/completed with 1 dead letter/);

    writeFileSync(join(drop, 'b.csv'), 'CRNo,Stage\r\n3,1\r\n4,9\r\n');
    expect(runCli(['run', cfg, '--once', '--fail-on', 'none']).status).toBe(0);
    writeFileSync(join(drop, 'c.csv'), 'CRNo,Stage\r\n5,1\r\n6,9\r\n');
    expect(runCli(['run', cfg, '--once', '--fail-on', 'rejections']).status).toBe(0);
    const bad = runCli(['run', cfg, '--once', '--fail-on', 'sometimes']);
    expect(bad.status).toBe(64);
    expect(bad.stderr).toMatch(/none, dead-letters, rejections/);
  });

  it('lists rejected files in the summary, exits 4 even with --fail-on rejections, and dead-letters XML refused for its DTD', () => {
    const { dir, cfg, drop } = work('{ type: xml, recordElement: Case }');
    writeFileSync(join(drop, 'good.xml'), '<Cases><Case><CRNo>1</CRNo><Stage>1</Stage></Case></Cases>\n');
    writeFileSync(join(drop, 'evil.xml'), '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e "boom">]>\n<Cases><Case><CRNo>2</CRNo><Stage>1</Stage></Case></Cases>\n');
    const r = runCli(['run', cfg, '--once', '--fail-on', 'rejections']);
    expect(r.status, r.stderr).toBe(EXIT_COMPLETED_WITH_PROBLEMS);
    expect(r.stdout).toMatch(/rejected file\(s\):\n {2}street: evil\.xml: .*DTD/);
    const letters = readEventLog(join(dir, 'var/events'), 'dead-letters');
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ connector: 'street', stage: 'source', position: { file: 'evil.xml' } });
    expect(letters[0]!.reason).toMatch(/DTD/);
    expect(readEventLog(join(dir, 'var/events'))).toHaveLength(1);
  });

  it('says so (log line and metric) when it skips a symlink or a FIFO in the drop folder', async () => {
    const { dir, drop } = work();
    writeFileSync(join(dir, 'outside.csv'), 'CRNo,Stage\r\n1,1\r\n');
    symlinkSync(join(dir, 'outside.csv'), join(drop, 'link.csv'));
    execFileSync('mkfifo', [join(drop, 'pipe.csv')]);
    writeFileSync(join(drop, 'real.csv'), 'CRNo,Stage\r\n2,1\r\n');
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(s) } });
    const loaded = parseConfigText(config('{ type: csv }'), join(dir, 'casebridge.yaml'), dir, {});
    const gw = await createGateway({ loaded, logger, http: false });
    try {
      const [s] = await gw.runAllOnce();
      expect(s).toMatchObject({ status: 'ok', published: 1 });
      await gw.runAllOnce();
      const logs = lines.map((l) => JSON.parse(l) as { msg: string; file?: string });
      const skipped = logs.filter((l) => /skipped/.test(l.msg) && /symlink|FIFO|special/.test(l.msg));
      expect(skipped.map((l) => l.file).sort()).toEqual(['link.csv', 'pipe.csv']);
      const metrics = await gw.metrics.registry.metrics();
      expect(metrics).toMatch(/casebridge_file_entries_skipped_total\{connector="street",kind="symlink"\} 1/);
      expect(metrics).toMatch(/casebridge_file_entries_skipped_total\{connector="street",kind="special"\} 1/);
    } finally {
      await gw.stop();
    }
  });
});
