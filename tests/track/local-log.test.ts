/**
 * The embedded default: the tracker tails the gateway's local event log into SQLite. Complete
 * lines only, resumes where the last durable write ended, follows rotation, dead-letters a line
 * that is not a case event, and `casebridge track` runs it end to end from the CLI.
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseYamlConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/core/logger.js';
import { TrackConfig } from '../../src/track/config.js';
import { createTracker, type Tracker } from '../../src/track/tracker.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { event } from './helpers.js';

const dirs: string[] = [];
const trackers: Tracker[] = [];
afterEach(async () => {
  for (const t of trackers.splice(0)) await t.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const YAML = `version: 1
councils: [{ gss: E09000019, name: Islington }]
source: { type: local-log, dir: ./events, poll: 50ms, batchSize: 3 }
store: { kind: sqlite, path: ./var/track.sqlite }
http: { host: 127.0.0.1, port: 0 }
services: [{ code: FLY, privacy: public }]
log: { level: silent }
`;

function setup(): { dir: string; events: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cb-track-log-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'events'));
  writeFileSync(join(dir, 'track.yaml'), YAML);
  return { dir, events: join(dir, 'events') };
}

async function tracker(dir: string, rebuild = false): Promise<Tracker> {
  const loaded = parseYamlConfig(TrackConfig, YAML, join(dir, 'track.yaml'), dir);
  const t = await createTracker({ loaded, logger: silentLogger(), rebuild });
  trackers.push(t);
  return t;
}

const line = (ref: string, minute: number, sequence: number, status: 'received' | 'in_progress' | 'closed' = 'received') => JSON.stringify(event({ reference: ref, minute, sequence, status })) + '\n';

describe('local event log ingest', () => {
  it('applies complete lines only, resumes after a restart, follows rotation and dead-letters a bad line', async () => {
    const { dir, events } = setup();
    const f1 = join(events, 'events-000001.jsonl');
    const partial = line('A', 10, 2, 'in_progress');
    writeFileSync(f1, line('A', 0, 1) + line('B', 1, 1) + 'this is not json\n' + partial.slice(0, 40));
    let t = await tracker(dir);
    expect(await t.catchUp()).toBe(3);
    expect(await t.store.counts()).toEqual({ cases: 2, events: 2, deadLetters: 1 });
    appendFileSync(f1, partial.slice(40));
    expect(await t.catchUp()).toBe(1);
    expect((await t.store.findCases('A'))[0]!.state.case.status.lifecycle).toBe('in_progress');

    // Restart: nothing is read twice.
    await t.stop();
    trackers.pop();
    t = await tracker(dir);
    expect(await t.catchUp()).toBe(0);
    writeFileSync(join(events, 'events-000002.jsonl'), line('A', 20, 3, 'closed') + line('C', 2, 1));
    expect(await t.catchUp()).toBe(2);
    expect(await t.store.counts()).toEqual({ cases: 3, events: 5, deadLetters: 1 });
    expect((await t.store.findCases('A'))[0]!.timeline!.map((e) => e.status)).toEqual(['received', 'in_progress', 'closed']);

    // --rebuild: empty the projection and read the whole log again; the same result.
    await t.stop();
    trackers.pop();
    t = await tracker(dir, true);
    expect(await t.store.counts()).toEqual({ cases: 0, events: 0, deadLetters: 0 });
    expect(await t.catchUp()).toBe(6);
    expect(await t.store.counts()).toEqual({ cases: 3, events: 5, deadLetters: 1 });
  });

  it('serves cases while it tails: a line appended later shows up in the API', async () => {
    const { dir, events } = setup();
    writeFileSync(join(events, 'events-000001.jsonl'), line('LIVE', 0, 1));
    const t = await tracker(dir);
    const url = await t.start();
    const status = async () => {
      const r = await fetch(`${url}/v1/councils/E09000019/cases/LIVE`);
      return r.status === 200 ? ((await r.json()) as { status: { lifecycle: string } }).status.lifecycle : String(r.status);
    };
    const until = Date.now() + 30_000;
    while ((await status()) !== 'received' && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(await status()).toBe('received');
    appendFileSync(join(events, 'events-000001.jsonl'), line('LIVE', 5, 2, 'in_progress'));
    while ((await status()) !== 'in_progress' && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(await status()).toBe('in_progress');
  });
});

describe('casebridge track (CLI)', () => {
  it('--once applies the log and prints the counts; --rebuild starts over', { timeout: 180_000 }, () => {
    const { dir, events } = setup();
    writeFileSync(join(events, 'events-000001.jsonl'), line('A', 0, 1) + line('A', 5, 2, 'closed') + '{"specversion":"1.0"}\n');
    const first = runCli(['track', join(dir, 'track.yaml'), '--once']);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toBe('3 event line(s) read; 1 case(s), 2 event(s), 1 dead letter(s) in the projection\n');
    expect(runCli(['track', join(dir, 'track.yaml'), '--once']).stdout).toMatch(/^0 event line\(s\) read; 1 case/);
    expect(runCli(['track', join(dir, 'track.yaml'), '--once', '--rebuild']).stdout).toMatch(/^3 event line\(s\) read; 1 case/);
  });

  it('names the file, line and key of a config mistake and exits 2', () => {
    const { dir } = setup();
    writeFileSync(join(dir, 'bad.yaml'), YAML.replace('store: { kind: sqlite', 'store: { kind: sqlit').replace("services: [{ code: FLY, privacy: public }]", 'services: [{ code: FLY, privacy: open, colour: red }]'));
    const r = runCli(['track', join(dir, 'bad.yaml'), '--once']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml:4:\d+ {2}store\.kind: unknown kind "sqlit" — did you mean "sqlite"\?/);
    expect(r.stderr).toMatch(/bad\.yaml:6:\d+ {2}services\[0\]\.privacy: unknown value "open"; expected one of: public, private/);
    expect(r.stderr).toMatch(/bad\.yaml:6:\d+ {2}services\[0\]\.colour: unknown key "colour"/);
  });

  it('serves until SIGTERM, then stops cleanly', async () => {
    const { dir, events } = setup();
    writeFileSync(join(events, 'events-000001.jsonl'), line('A', 0, 1));
    const child = spawnCli(['track', join(dir, 'track.yaml')]);
    const until = Date.now() + 30_000;
    while (!/serving on (http:\/\/\S+)/.test(child.output().stderr) && Date.now() < until && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    const url = /serving on (http:\/\/\S+)/.exec(child.output().stderr)![1]!;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code).toBe(0);
  });
});

describe('docs/tracker.md', () => {
  it('every complete tracker config in it loads', async () => {
    const { readFileSync } = await import('node:fs');
    const doc = readFileSync(new URL('../../docs/tracker.md', import.meta.url), 'utf8');
    const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((b) => /^version: 1$/m.test(b));
    expect(blocks.length).toBeGreaterThanOrEqual(1);
    const env = { TRACK_DATABASE_URL: 'postgres://tracker@db/track' };
    for (const b of blocks) expect(() => parseYamlConfig(TrackConfig, b, 'docs/tracker.md', '.', env)).not.toThrow();
    expect(() => parseYamlConfig(TrackConfig, readFileSync(new URL('../../config/demo/track.yaml', import.meta.url), 'utf8'), 'track.yaml', '.', {})).not.toThrow();
  });
});
