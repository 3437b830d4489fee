/**
 * Event identity v2 and the per-case sequence through a file snapshot connector, end to end with
 * the real gateway (the crash in a child process that SIGKILLs itself, the fix with `casebridge forget`): a return to an earlier status is a new event, a crash between publish and
 * commit replays identical ids, and a mapping fix plus replay gives new ids that continue the
 * sequence.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfigFile } from '../../src/config/load.js';
import { createGateway } from '../../src/runtime/gateway.js';
import { silentLogger } from '../../src/core/logger.js';
import { runCli } from '../helpers/cli.js';
import { readEventLog } from '../helpers/event-log.js';

const work = mkdtempSync(join(tmpdir(), 'cb-identity-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function config(allocatedLabel?: string): string {
  return stringify({
    version: 1,
    councils: [{ gss: 'E09000019', name: 'London Borough of Islington' }],
    state: { path: './var/state.sqlite' },
    publisher: { type: 'local-log', dir: './var/events' },
    http: { enabled: false },
    connectors: [
      {
        name: 'open-jobs',
        type: 'file',
        council: 'E09000019',
        system: { supplier: 'Works manager' },
        path: './exports',
        pattern: '*.csv',
        order: 'name',
        ready: { stableFor: '0s' },
        format: { type: 'csv' },
        mode: 'snapshot',
        mapping: {
          reference: 'Job',
          status: { code: 'Status', lookup: 'job-status' },
          location: { address: 'Address' },
          lookups: {
            'job-status': {
              entries: {
                Pending: { status: 'received' },
                Allocated: { status: 'in_progress', ...(allocatedLabel ? { label: allocatedLabel } : {}) },
              },
            },
          },
        },
      },
    ],
  });
}

const configFile = join(work, 'casebridge.yaml');
const exportsDir = join(work, 'exports');
const events = () => readEventLog(join(work, 'var/events'));
const ofCase = (ref: string) => events().filter((e) => e.subject === ref);

function snapshot(name: string, rows: [string, string][]): string {
  const text = ['Job,Status,Address', ...rows.map(([job, status]) => `${job},${status},${job} Upper Street`)].join('\r\n') + '\r\n';
  const file = join(exportsDir, name);
  writeFileSync(file, text);
  return file;
}

/** One run of the gateway in this process, with the config as it is on disk now. */
async function run(): Promise<{ published: number }> {
  const gw = await createGateway({ loaded: loadConfigFile(configFile), logger: silentLogger(), http: false });
  try {
    const s = await gw.runOnce('open-jobs');
    expect(s.status, s.error).toBe('ok');
    return s;
  } finally {
    await gw.stop();
  }
}

/** `casebridge run` that SIGKILLs itself after its first durable publish, before the commit. */
async function runKilledBeforeCommit(): Promise<NodeJS.Signals | null> {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve('tests/helpers/kill-before-commit.ts'), configFile, 'open-jobs', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => child.once('exit', (c, s) => r([c, s])));
  expect(code, stderr).toBeNull();
  return signal;
}

describe('event ids and sequences through a file snapshot', () => {
  mkdirSync(exportsDir, { recursive: true });
  writeFileSync(configFile, config());
  const day1: [string, string][] = [
    ['J-1', 'Pending'],
    ['J-2', 'Pending'],
    ['J-3', 'Pending'],
  ];

  it('publishes Pending → Allocated → Pending as three events, three ids, sequences 1, 2, 3', async () => {
    snapshot('jobs-1.csv', day1);
    expect((await run()).published).toBe(3);
    snapshot('jobs-2.csv', [['J-1', 'Allocated'], ...day1.slice(1)]);
    expect((await run()).published).toBe(1);
    // Byte-identical to jobs-1.csv, an older snapshot (not the last): the supplier's state now.
    snapshot('jobs-3.csv', day1);
    expect((await run()).published).toBe(1);

    const j1 = ofCase('J-1');
    expect(j1.map((e) => [e.data.case.status.code, e.data.change.kind, e.casesequence, e.data.sequence])).toEqual([
      ['Pending', 'created', 1, 1],
      ['Allocated', 'status_changed', 2, 2],
      ['Pending', 'status_changed', 3, 3],
    ]);
    expect(new Set(j1.map((e) => e.id)).size).toBe(3);
    expect(ofCase('J-2').map((e) => e.casesequence)).toEqual([1]);

    // A re-delivery identical to the LAST snapshot is still a no-op.
    snapshot('jobs-3-again.csv', day1);
    expect((await run()).published).toBe(0);
    expect(readdirSync(join(exportsDir, 'processed')).some((f) => f.startsWith('jobs-3-again'))).toBe(true);
  }, 180_000);

  it('replays identical ids after a SIGKILL between publish and commit', async () => {
    snapshot('jobs-4.csv', [
      ['J-1', 'Allocated'],
      ['J-2', 'Allocated'],
      ['J-3', 'Pending'],
    ]);
    const before = events().length;
    expect(await runKilledBeforeCommit()).toBe('SIGKILL');
    const crashed = events().slice(before);
    expect(crashed.map((e) => `${e.subject}:${e.casesequence}`)).toEqual(['J-1:4', 'J-2:2']);

    expect((await run()).published).toBe(2); // nothing was committed: the file is read again
    const replayed = events().slice(before + crashed.length);
    expect(replayed.map((e) => e.id)).toEqual(crashed.map((e) => e.id));
    expect(replayed.map((e) => e.casesequence)).toEqual([4, 2]);
    // Only what casebridge stamped from its clock differs.
    // Only what casebridge stamped from its clock differs (this export has no update times).
    const strip = (e: Record<string, any>) => ({ ...e, time: '', data: { ...e.data, provenance: { ...e.data.provenance, fetchedAt: '' }, case: { ...e.data.case, updatedAt: '' } } });
    expect(replayed.map(strip)).toEqual(crashed.map(strip));
  }, 180_000);

  it('gives new ids that continue the sequence after a mapping fix and a replay', async () => {
    const published = events();
    const oldIds = new Set(published.map((e) => e.id));
    writeFileSync(configFile, config('An operative is booked'));
    const processed = join(exportsDir, 'processed');
    const copy = join(work, 'jobs-4.csv');
    copyFileSync(join(processed, readdirSync(processed).find((f) => f.startsWith('jobs-4'))!), copy);
    const forget = runCli(['forget', configFile, 'open-jobs', copy, '--force']);
    expect(forget.status, forget.stdout + forget.stderr).toBe(0);
    copyFileSync(copy, join(exportsDir, 'jobs-4-fixed.csv'));

    expect((await run()).published).toBe(2);
    const fixed = events().slice(published.length);
    expect(fixed.map((e) => [e.subject, e.data.change.kind, e.data.case.status.publicLabel, e.casesequence])).toEqual([
      ['J-1', 'updated', 'An operative is booked', 5],
      ['J-2', 'updated', 'An operative is booked', 3],
    ]);
    for (const e of fixed) expect(oldIds.has(e.id)).toBe(false);
  }, 180_000);
});
