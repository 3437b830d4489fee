/**
 * Fault scenarios run against the real gateway (the built CLI as a subprocess, or the gateway
 * in-process where a CLI run would retry for ever), each ending with an independent read of what
 * was published: expected cases, distinct event ids seen, lost, duplicates (same id), recovered.
 * `npm run faults` runs them in full (faults/run.ts); tests/faults/ runs a reduced version.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseConfigText } from '../src/config/load.js';
import { createGateway } from '../src/runtime/gateway.js';
import { silentLogger } from '../src/runtime/logger.js';
import { readTopic, topicSize, uid } from '../tests/kafka/helpers.js';
import { mountSmallDisk } from '../tests/helpers/tmpfs.js';

const REPO = resolve(import.meta.dirname, '..');
const CLI = join(REPO, 'dist/cli/main.js');

export interface FaultRow {
  scenario: string;
  trials: number;
  expected: number;
  seen: number;
  lost: number;
  duplicates: number;
  recovered: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function csvExport(rows: number, base: number): string {
  const lines = ['CRNo,Stage,When'];
  for (let i = 0; i < rows; i++) lines.push(`${base + i},1,03/11/2025 ${String(8 + (Math.floor(i / 60) % 10)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}`);
  return lines.join('\r\n') + '\r\n';
}

function config(publisher: string, batchSize: number): string {
  return `version: 1
councils: [{ gss: E09000019, name: London Borough of Islington }]
state: { path: ./var/state.sqlite }
${publisher}
http: { enabled: false }
shutdownGrace: 5s
connectors:
  - name: street
    type: file
    council: E09000019
    system: { supplier: Street services }
    path: ./drop
    ready: { stableFor: 0s }
    batchSize: ${batchSize}
    retry: { initial: 100ms, max: 1s }
    format: { type: csv }
    mapping:
      reference: CRNo
      status: { code: Stage, lookup: stages }
      updatedAt: { path: When, date: dd/MM/yyyy HH:mm }
      lookups:
        stages: { entries: { "1": { status: received } } }
`;
}

function tally(scenario: string, trials: number, expectedRefs: Set<string>, seen: { id: string; ref: string }[], recovered: boolean): FaultRow {
  const ids = new Set(seen.map((s) => s.id));
  const refs = new Set(seen.map((s) => s.ref));
  const lost = [...expectedRefs].filter((r) => !refs.has(r)).length;
  return { scenario, trials, expected: expectedRefs.size, seen: ids.size, lost, duplicates: seen.length - ids.size, recovered: recovered && lost === 0 };
}

function runCliOnce(cfg: string, env: NodeJS.ProcessEnv, killAfterMs?: number): Promise<number | null> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, 'run', cfg, '--once', '--no-progress'], { env: { ...process.env, ...env }, stdio: 'ignore' });
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.once('exit', (code) => {
      if (timer) clearTimeout(timer);
      done(code);
    });
  });
}

/**
 * A CSV export published to Kafka by `casebridge run --once`, SIGKILLed `kills` times at random
 * moments (each run gets a random lifetime), then run to the end.
 */
export async function csvGatewayKills(opts: { kills: number; rows: number; brokers: string[] }): Promise<FaultRow> {
  const work = mkdtempSync(join(tmpdir(), 'cb-faults-csv-'));
  try {
    mkdirSync(join(work, 'drop'));
    const topic = `faults-${uid()}`;
    writeFileSync(join(work, 'drop', 'export.csv'), csvExport(opts.rows, 500000));
    const cfg = join(work, 'casebridge.yaml');
    writeFileSync(
      cfg,
      config(
        `publisher: { type: kafka, brokers: ${JSON.stringify(opts.brokers)}, topic: "${topic}", deadLetterTopic: "${topic}-dl", createTopics: true, partitions: 3, replicationFactor: 1 }`,
        25,
      ),
    );
    // Kill while something is happening: after the first events landed, at a random later moment.
    for (let k = 0; k < opts.kills; k++) {
      const before = await topicSize(topic, opts.brokers).catch(() => 0);
      const started = Date.now();
      const child = spawn(process.execPath, [CLI, 'run', cfg, '--once', '--no-progress'], { stdio: 'ignore' });
      const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      const extra = 1 + Math.floor(Math.random() * 60);
      for (let i = 0; i < 600 && child.exitCode === null; i++) {
        const now = await topicSize(topic, opts.brokers).catch(() => 0);
        if (now >= before + extra || Date.now() - started > 60_000) break;
        await sleep(10 + Math.random() * 40);
      }
      child.kill('SIGKILL');
      await exited;
    }
    const final = await runCliOnce(cfg, {});
    const messages = await readTopic(topic, { at: opts.brokers, timeoutMs: 120_000 });
    const seen = messages.map((m) => ({ id: m.headers.ce_id ?? '', ref: m.headers.ce_subject ?? '' }));
    const expected = new Set(Array.from({ length: opts.rows }, (_, i) => String(500000 + i)));
    return tally('csv → kafka, gateway SIGKILL', opts.kills, expected, seen, final === 0);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The local event log on a small tmpfs that fills up part-way through a CSV export; space is then
 * freed and the connector runs again. Nothing acknowledged may be missing or torn.
 */
export async function fullDisk(opts: { rows: number }): Promise<FaultRow> {
  // Room for about a third of the events until the filler goes; all of them after.
  const disk = mountSmallDisk(4 * 1024 * 1024);
  const work = mkdtempSync(join(tmpdir(), 'cb-faults-disk-'));
  try {
    mkdirSync(join(work, 'drop'));
    writeFileSync(join(work, 'drop', 'export.csv'), csvExport(opts.rows, 700000));
    const filler = join(disk.dir, 'filler');
    writeFileSync(filler, Buffer.alloc(3 * 1024 * 1024));
    const text = config(`publisher: { type: local-log, dir: ${JSON.stringify(join(disk.dir, 'events'))} }`, 20);
    let trials = 0;
    let recovered = false;
    for (let attempt = 0; attempt < 3 && !recovered; attempt++) {
      const loaded = parseConfigText(text, join(work, 'casebridge.yaml'), work, {});
      const gw = await createGateway({ loaded, logger: silentLogger(), http: false });
      try {
        const summary = await gw.runOnce('street');
        if (summary.status === 'failed') trials++;
        else recovered = true;
      } finally {
        await gw.stop();
      }
      rmSync(filler, { force: true });
    }
    const dir = join(disk.dir, 'events');
    const events = readdirSync(dir)
      .filter((f) => /^events-\d+\.jsonl$/.test(f))
      .sort()
      .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => l !== ''))
      .map((l) => JSON.parse(l) as { id: string; subject: string });
    const expected = new Set(Array.from({ length: opts.rows }, (_, i) => String(700000 + i)));
    return tally('csv → local log, full disk (tmpfs)', trials, expected, events.map((e) => ({ id: e.id, ref: e.subject })), recovered);
  } finally {
    rmSync(work, { recursive: true, force: true });
    disk.unmount();
  }
}

export function formatRows(rows: FaultRow[]): string {
  const head = ['scenario', 'trials', 'expected', 'seen', 'lost', 'duplicates (same id)', 'recovered'];
  const cells = rows.map((r) => [r.scenario, String(r.trials), String(r.expected), String(r.seen), String(r.lost), String(r.duplicates), r.recovered ? 'yes' : 'NO']);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n');
}
