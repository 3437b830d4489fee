/**
 * The README's first command, end to end as a subprocess: the demo config over the bundled
 * exports, and a run killed with SIGKILL halfway and started again.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { runCli, spawnCli } from '../helpers/cli.js';
import { readEventLog } from '../helpers/event-log.js';

const readEvents = (dir: string) => readEventLog(dir);

function eventValidator() {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  return ajv.compile(JSON.parse(readFileSync('config/schemas/case-event.v1.json', 'utf8')));
}

describe('casebridge run (the README demo)', () => {
  it('prints a summary and leaves valid CloudEvents in the local log, with no server running', () => {
    const work = mkdtempSync(join(tmpdir(), 'cb-demo-'));
    cpSync('config/demo', work, { recursive: true, filter: (src) => !src.includes('/var') });
    const r = runCli(['run', join(work, 'casebridge.yaml'), '--once'], { timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/islington-street-services\s+ok\s+\d+\s+\d+\s+0\s+/);
    const published = Number(/(\d+) event\(s\) published, 0 dead letter\(s\)/.exec(r.stdout)?.[1]);
    const events = readEvents(join(work, 'var/events'));
    expect(events.length).toBe(published);
    expect(events.length).toBeGreaterThan(100);
    const validate = eventValidator();
    for (const e of events) expect(validate(e), JSON.stringify(validate.errors)).toBe(true);
    // Ids are unique: the demo's overlapping exports repeat rows, and repeats are published once.
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    // Every case's events are in time order in the log.
    const byCase = new Map<string, string[]>();
    for (const e of events) byCase.set(e.subject, [...(byCase.get(e.subject) ?? []), e.time]);
    for (const times of byCase.values()) expect(times.map((t) => Date.parse(t))).toEqual([...times.map((t) => Date.parse(t))].sort((a, b) => a - b));

    // A second run finds nothing new: the ledger remembers the files.
    const again = runCli(['run', join(work, 'casebridge.yaml'), '--once', '--json']);
    expect(again.status).toBe(0);
    expect(JSON.parse(again.stdout).connectors[0]).toMatchObject({ read: 0, published: 0 });
    expect(readEvents(join(work, 'var/events')).length).toBe(published);
  });

  it('loses nothing when killed with SIGKILL halfway: every record at least once, repeats with identical ids', async () => {
    const work = mkdtempSync(join(tmpdir(), 'cb-kill-'));
    mkdirSync(join(work, 'exports'));
    const rows = 6000;
    const lines = ['"History Date/Time","Recorded Date","CRNo","Stage Desc.","Date Cleared","Inspection","LCA","Action Due","Event Type","Stage"'];
    for (let i = 0; i < rows; i++) {
      const minute = String(i % 60).padStart(2, '0');
      const hour = String(8 + Math.floor(i / 60) % 10).padStart(2, '0');
      lines.push(`"12/03/2019 ${hour}:${minute}","12/03/2019","${200000 + i}","Recorded","","Fly-tipping","Bunhill","19/03/2019","Created","1"`);
    }
    writeFileSync(join(work, 'exports', 'street-services-history-20190312-1800.csv'), lines.join('\r\n') + '\r\n');
    const config = readFileSync('config/demo/casebridge.yaml', 'utf8').replace(/batchSize: \d+/, 'batchSize: 20').replace(/stableFor: \S+/, 'stableFor: 0s');
    writeFileSync(join(work, 'casebridge.yaml'), config);

    const child = spawnCli(['run', join(work, 'casebridge.yaml'), '--once']);
    const eventsDir = join(work, 'var/events');
    const deadline = Date.now() + 60_000;
    while (readEvents(eventsDir).length < rows / 4 && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    expect(child.exitCode, 'the run finished before it could be killed; make the input bigger').toBeNull();
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const before = readEvents(eventsDir).length;
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(rows);

    const r = runCli(['run', join(work, 'casebridge.yaml'), '--once', '--json'], { timeoutMs: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const events = readEvents(eventsDir);
    const idsByCase = new Map<string, Set<string>>();
    for (const e of events) idsByCase.set(e.subject, (idsByCase.get(e.subject) ?? new Set()).add(e.id));
    expect(idsByCase.size).toBe(rows);
    for (const [ref, ids] of idsByCase) expect(ids.size, `case ${ref} has differing ids`).toBe(1);
    // At-least-once, not at-least-twice: only the batch in flight at the kill may repeat.
    expect(events.length - rows).toBeLessThanOrEqual(20 * 2);
  });
});

describe('casebridge run as a service', () => {
  it('serves health and metrics, and stops gracefully on SIGTERM with everything committed', async () => {
    const work = mkdtempSync(join(tmpdir(), 'cb-svc-'));
    cpSync('config/demo', work, { recursive: true, filter: (src) => !src.includes('/var') });
    const child = spawnCli(['run', join(work, 'casebridge.yaml'), '--port', '0', '--log-level', 'info']);
    let url: string | undefined;
    const deadline = Date.now() + 30_000;
    while (!url && Date.now() < deadline) {
      url = /health and metrics on (http:\/\/[\d.:]+)\//.exec(child.output().stderr)?.[1];
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(url, child.output().stderr).toBeDefined();
    let status: { connectors: { totals: { published: number } }[] } | undefined;
    while (Date.now() < deadline) {
      status = (await (await fetch(`${url}/status`)).json()) as typeof status;
      if (status!.connectors[0]!.totals.published > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/casebridge_events_published_total\{connector="islington-street-services",type="created"\} \d+/);
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code).toBe(0);
    expect(child.output().stdout).toMatch(/islington-street-services\s+ok/);
    // Whatever was published was committed: a rerun publishes only what the first run had not reached.
    const firstRun = readEvents(join(work, 'var/events')).length;
    const r = runCli(['run', join(work, 'casebridge.yaml'), '--once', '--json']);
    const again = JSON.parse(r.stdout).connectors[0] as { published: number };
    expect(readEvents(join(work, 'var/events')).length).toBe(firstRun + again.published);
  });
});
