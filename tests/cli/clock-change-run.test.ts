/**
 * The clock-change policy through real runs of the casebridge command: a CSV export with an
 * ambiguous (26/10/2025 01:30) and a nonexistent (30/03/2025 01:30) Europe/London time, read by
 * three connectors with different policies, through the fast numeric path (dd/MM/yyyy HH:mm) and
 * the Luxon path (d MMM yyyy HH:mm). Shown in the events' provenance, the dead letters, the
 * `run --once` summary and the Prometheus metrics.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, spawnCli } from '../helpers/cli.js';
import { readEventLog } from '../helpers/event-log.js';

const CSV = [
  'Ref,Stage,Updated,Logged',
  'C1,1,26/10/2025 01:30,26 Oct 2025 01:30',
  'C2,1,30/03/2025 01:30,30 Mar 2025 01:30',
  'C3,1,26/10/2025 03:30,26 Oct 2025 03:30',
  'C4,1,27/10/2025 09:00,27 Oct 2025 09:00',
  'C5,1,28/10/2025 09:00,28 Oct 2025 09:00',
].join('\n');

const connector = (name: string, policy: string) => `
  - name: ${name}
    type: file
    council: E09000019
    system: { supplier: Street services }
    schedule: { every: 1h }
    path: ./${name}
    format: { type: csv }
    mapping:
${policy ? `      clockChange: ${policy}\n` : ''}      reference: Ref
      status: { code: Stage, lookup: stages }
      updatedAt: { path: Updated, date: dd/MM/yyyy HH:mm }
      openedAt: { path: Logged, date: d MMM yyyy HH:mm }
`;

function workspace(connectors: [string, string][]): { dir: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cb-clock-'));
  dirs.push(dir);
  for (const [name] of connectors) {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'export.csv'), CSV);
  }
  writeFileSync(
    join(dir, 'casebridge.yaml'),
    `version: 1
councils:
  - { gss: E09000019, name: London Borough of Islington }
state: { path: ./var/state.sqlite }
publisher: { type: local-log, dir: ./var/events }
lookups:
  stages: { entries: { "1": { status: received } } }
connectors:${connectors.map(([n, p]) => connector(n, p)).join('')}`,
  );
  return { dir, config: join(dir, 'casebridge.yaml') };
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('clock changes in a real run', () => {
  it('run --once: provenance on each event, rejects dead-lettered, counted in the summary', () => {
    const { dir, config } = workspace([
      ['cc-default', ''],
      ['cc-later', '{ ambiguous: later }'],
      ['cc-reject', '{ ambiguous: reject, nonexistent: reject }'],
    ]);
    const r = runCli(['run', config, '--once']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(4); // completed, with the rejected times dead-lettered (--fail-on dead-letters)
    expect(r.stdout).toContain('cc-default: 4 local time(s) in a clock change: 2 ambiguous (hour repeated) read as the earlier, 2 nonexistent (hour skipped) shifted forward');
    expect(r.stdout).toContain('cc-later: 4 local time(s) in a clock change: 2 ambiguous (hour repeated) read as the later, 2 nonexistent (hour skipped) shifted forward');
    expect(r.stdout).toContain('cc-reject: 2 local time(s) in a clock change: 1 ambiguous (hour repeated) rejected to dead letters, 1 nonexistent (hour skipped) rejected to dead letters');
    expect(r.stdout).toMatch(/cc-reject\s+ok\s+5\s+3\s+2\s/);

    const events = readEventLog(join(dir, 'var/events'));
    const find = (connector: string, ref: string) => events.find((e) => e.data.system.connector === connector && e.subject === ref)!;
    expect(find('cc-default', 'C1').data.case).toMatchObject({ updatedAt: '2025-10-26T01:30:00+01:00', openedAt: '2025-10-26T01:30:00+01:00' });
    expect(find('cc-default', 'C1').data.provenance.clockChange).toEqual([
      { field: 'case.updatedAt', kind: 'ambiguous', resolution: 'earlier', local: '2025-10-26T01:30:00' },
      { field: 'case.openedAt', kind: 'ambiguous', resolution: 'earlier', local: '2025-10-26T01:30:00' },
    ]);
    expect(find('cc-later', 'C1').data.case).toMatchObject({ updatedAt: '2025-10-26T01:30:00+00:00', openedAt: '2025-10-26T01:30:00+00:00' });
    expect(find('cc-later', 'C1').data.provenance.clockChange.map((c: { resolution: string }) => c.resolution)).toEqual(['later', 'later']);
    for (const c of ['cc-default', 'cc-later']) {
      expect(find(c, 'C2').data.case).toMatchObject({ updatedAt: '2025-03-30T02:30:00+01:00', openedAt: '2025-03-30T02:30:00+01:00' });
      expect(find(c, 'C2').data.provenance.clockChange).toEqual([
        { field: 'case.updatedAt', kind: 'nonexistent', resolution: 'shift', local: '2025-03-30T01:30:00' },
        { field: 'case.openedAt', kind: 'nonexistent', resolution: 'shift', local: '2025-03-30T01:30:00' },
      ]);
      expect(find(c, 'C3').data.provenance).not.toHaveProperty('clockChange');
    }
    expect(events.filter((e) => e.data.system.connector === 'cc-reject').map((e) => e.subject)).toEqual(['C3', 'C4', 'C5']);

    const letters = readEventLog(join(dir, 'var/events'), 'dead-letters');
    expect(letters.map((l) => [l.connector, l.code, l.field])).toEqual([
      ['cc-reject', 'ambiguous_time', 'case.updatedAt'],
      ['cc-reject', 'nonexistent_time', 'case.updatedAt'],
    ]);
    expect(letters[0]!.reason).toMatch(
      /^case\.updatedAt: "26\/10\/2025 01:30" is 2025-10-26 01:30:00 in Europe\/London, which happens twice as the clocks go back \(2025-10-26T01:30:00\+01:00 or 2025-10-26T01:30:00\+00:00\); clockChange\.ambiguous is reject \(connectors\[2\]\.mapping\.clockChange at .*casebridge\.yaml:\d+:\d+; value from connectors\[2\]\.mapping\.updatedAt at .*casebridge\.yaml:\d+:\d+\)$/,
    );
    expect(letters[1]!.reason).toContain('"30/03/2025 01:30" is 2025-03-30 01:30:00 in Europe/London, which never happens: the clocks go forward over it; clockChange.nonexistent is reject');

    const json = runCli(['run', config, '--once', '--json']);
    expect(JSON.parse(json.stdout).connectors.map((c: { clockChanges?: unknown }) => c.clockChanges ?? null)).toEqual([null, null, null]); // nothing new to read
  });

  it('counts them per connector in the Prometheus metrics of a running gateway', async () => {
    const { config } = workspace([
      ['cc-default', ''],
      ['cc-reject', '{ ambiguous: reject, nonexistent: reject }'],
    ]);
    const child = spawnCli(['run', config, '--port', '0', '--log-level', 'info', '--no-progress']);
    try {
      let metrics = '';
      // Bounded wait for the address, then for both connectors' first run to be counted.
      for (let i = 0; i < 300; i++) {
        const url = /health and metrics on (http:\/\/127\.0\.0\.1:\d+)/.exec(child.output().stderr)?.[1];
        if (url) {
          metrics = await (await fetch(`${url}/metrics`)).text();
          if (/casebridge_clock_change_times_total\{connector="cc-reject",kind="nonexistent",resolution="reject"\} 1/.test(metrics) && /connector="cc-default",kind="nonexistent"/.test(metrics)) break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(metrics).toContain('casebridge_clock_change_times_total{connector="cc-default",kind="ambiguous",resolution="earlier"} 2');
      expect(metrics).toContain('casebridge_clock_change_times_total{connector="cc-default",kind="nonexistent",resolution="shift"} 2');
      expect(metrics).toContain('casebridge_clock_change_times_total{connector="cc-reject",kind="ambiguous",resolution="reject"} 1');
      expect(metrics).toContain('casebridge_clock_change_times_total{connector="cc-reject",kind="nonexistent",resolution="reject"} 1');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    // Stopped gracefully, it prints its totals: the same counts.
    expect(child.output().stdout).toContain('cc-reject: 2 local time(s) in a clock change: 1 ambiguous (hour repeated) rejected to dead letters, 1 nonexistent (hour skipped) rejected to dead letters');
  });
});
