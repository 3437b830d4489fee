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
import { silentLogger } from '../src/core/logger.js';
import { stringify } from 'yaml';
import { privateBroker, readTopic, topicSize, uid } from '../tests/kafka/helpers.js';
import { mountSmallDisk } from '../tests/helpers/tmpfs.js';
import { openHarness as openSql, PG_CONNECTION, uniqueName } from '../tests/sql/harness.js';
import { restConnector } from '../tests/rest/helpers.js';
import { startRepairsSimulator, type RepairsSimulator } from '../tests/simulators/rest/housing-repairs.js';

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
  /** Whether the fault struck while the run still had records to publish (not printed). */
  faultMidRun?: boolean;
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
 * `casebridge run CFG --once` SIGKILLed `kills` times, each at a random moment after 1–60 further
 * events landed in `topic`, then run to the end. Returns whether the final run exited 0.
 */
async function killRepeatedly(cfg: string, topic: string, kills: number, brokers: string[]): Promise<boolean> {
  for (let k = 0; k < kills; k++) {
    const before = await topicSize(topic, brokers).catch(() => 0);
    const started = Date.now();
    const child = spawn(process.execPath, [CLI, 'run', cfg, '--once', '--no-progress'], { stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    const extra = 1 + Math.floor(Math.random() * 60);
    for (let i = 0; i < 600 && child.exitCode === null; i++) {
      const now = await topicSize(topic, brokers).catch(() => 0);
      if (now >= before + extra || Date.now() - started > 60_000) break;
      await sleep(10 + Math.random() * 40);
    }
    child.kill('SIGKILL');
    await exited;
  }
  return (await runCliOnce(cfg, {})) === 0;
}

/** Run `--once` again until it exits 0 (at most `max` runs): what an operator's next cron run does. */
async function runToEnd(cfg: string, firstExit: number | null, max = 5): Promise<{ runs: number; ok: boolean }> {
  let code = firstExit;
  let runs = 0;
  while (code !== 0 && runs < max) {
    code = await runCliOnce(cfg, {});
    runs++;
  }
  return { runs, ok: code === 0 };
}

async function seenOn(topic: string, brokers: string[]): Promise<{ id: string; ref: string }[]> {
  const messages = await readTopic(topic, { at: brokers, timeoutMs: 120_000 });
  return messages.map((m) => ({ id: m.headers.ce_id ?? '', ref: m.headers.ce_subject ?? '' }));
}

const kafkaPublisher = (brokers: string[], topic: string, timeouts = '') =>
  `publisher: { type: kafka, brokers: ${JSON.stringify(brokers)}, topic: "${topic}", deadLetterTopic: "${topic}-dl", createTopics: true, partitions: 3, replicationFactor: 1${timeouts} }`;

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
    writeFileSync(cfg, config(kafkaPublisher(opts.brokers, topic), 25));
    const ok = await killRepeatedly(cfg, topic, opts.kills, opts.brokers);
    const expected = new Set(Array.from({ length: opts.rows }, (_, i) => String(500000 + i)));
    return tally('csv → kafka, gateway SIGKILL', opts.kills, expected, await seenOn(topic, opts.brokers), ok);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * A PostgreSQL table (real server on 127.0.0.1:5432, a table of its own) read incrementally by the
 * sql connector and published to Kafka by `casebridge run --once`, SIGKILLed `kills` times at
 * random moments, then run to the end.
 */
export async function pgGatewayKills(opts: { kills: number; rows: number; brokers: string[] }): Promise<FaultRow> {
  const db = await openSql('postgres');
  const table = uniqueName('cb_faults');
  const work = mkdtempSync(join(tmpdir(), 'cb-faults-pg-'));
  try {
    await db.exec(`CREATE TABLE "${table}" (id bigint PRIMARY KEY, ref text NOT NULL, status text NOT NULL, updated_at timestamp(6) NOT NULL)`);
    await db.exec(
      `INSERT INTO "${table}" (id, ref, status, updated_at) SELECT g, 'PG-' || g, 'OPEN', timestamp '2025-03-01 08:00:00' + g * interval '1 second' FROM generate_series(1, ${opts.rows}) g`,
    );
    const topic = `faults-pg-${uid()}`;
    const cfg = join(work, 'casebridge.yaml');
    writeFileSync(
      cfg,
      stringify({
        version: 1,
        councils: [{ gss: 'E09000019', name: 'London Borough of Islington' }],
        state: { path: './var/state.sqlite' },
        publisher: { type: 'kafka', brokers: opts.brokers, topic, deadLetterTopic: `${topic}-dl`, createTopics: true, partitions: 3, replicationFactor: 1 },
        http: { enabled: false },
        shutdownGrace: '5s',
        connectors: [
          {
            name: 'repairs-db',
            type: 'sql',
            council: 'E09000019',
            system: { supplier: 'Test Repairs' },
            batchSize: 25,
            retry: { initial: '100ms', max: '1s' },
            connection: PG_CONNECTION,
            read: { mode: 'incremental', table, updatedAt: 'updated_at', key: 'id' },
            mapping: {
              reference: 'ref',
              updatedAt: { path: 'updated_at', date: 'iso' },
              status: { code: 'status', lookup: 'st' },
              lookups: { st: { entries: { OPEN: { status: 'received' } } } },
            },
          },
        ],
      }),
    );
    const ok = await killRepeatedly(cfg, topic, opts.kills, opts.brokers);
    const expected = new Set(Array.from({ length: opts.rows }, (_, i) => `PG-${i + 1}`));
    return tally('postgresql → kafka, gateway SIGKILL', opts.kills, expected, await seenOn(topic, opts.brokers), ok);
  } finally {
    await db.exec(`DROP TABLE IF EXISTS "${table}"`).catch(() => undefined);
    await db.close();
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * A CSV export published by `casebridge run --once` to a private broker (free ports, its own data;
 * the shared broker is never touched) which, once a fifth of the rows landed, is either SIGKILLed
 * and started again after `outageMs`, or SIGSTOPped for `outageMs` (longer than the publish and
 * request timeouts) and then SIGCONTed. The run must finish (or the next run must) with nothing lost.
 */
export async function brokerFault(opts: { mode: 'kill' | 'stop'; rows: number; outageMs: number }): Promise<FaultRow> {
  const broker = await privateBroker();
  const work = mkdtempSync(join(tmpdir(), 'cb-faults-broker-'));
  let stoppedPid: number | undefined;
  try {
    await broker.start();
    const at = [broker.address];
    mkdirSync(join(work, 'drop'));
    const topic = `faults-broker-${uid()}`;
    writeFileSync(join(work, 'drop', 'export.csv'), csvExport(opts.rows, 800000));
    const cfg = join(work, 'casebridge.yaml');
    writeFileSync(cfg, config(kafkaPublisher(at, topic, ', connectionTimeout: 1s, requestTimeout: 3s, publishTimeout: 5s'), 20));
    const child = spawn(process.execPath, [CLI, 'run', cfg, '--once', '--no-progress'], { stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    const started = Date.now();
    while (child.exitCode === null && Date.now() - started < 120_000) {
      if ((await topicSize(topic, at).catch(() => 0)) >= opts.rows / 5) break;
      await sleep(25);
    }
    const pid = await broker.pid();
    // The outage length is the fault itself (not a wait for a condition).
    if (opts.mode === 'kill') {
      await broker.kill(pid);
      await sleep(opts.outageMs);
      await broker.start();
    } else {
      process.kill(pid, 'SIGSTOP');
      stoppedPid = pid;
      await sleep(opts.outageMs);
      process.kill(pid, 'SIGCONT');
      stoppedPid = undefined;
    }
    const resumed = Date.now();
    const bound = setTimeout(() => child.kill('SIGKILL'), 180_000);
    const first = await exited;
    clearTimeout(bound);
    const end = await runToEnd(cfg, first);
    process.stderr.write(`[broker ${opts.mode}] first run exited ${first} ${Math.round((Date.now() - resumed) / 1000)} s after the broker was back; ${end.runs} further run(s)\n`);
    const expected = new Set(Array.from({ length: opts.rows }, (_, i) => String(800000 + i)));
    const name = opts.mode === 'kill' ? 'csv → kafka, broker SIGKILL + restart' : `csv → kafka, broker SIGSTOP ${opts.outageMs / 1000}s + SIGCONT`;
    return tally(name, 1, expected, await seenOn(topic, at), end.ok);
  } finally {
    if (stoppedPid !== undefined) {
      try {
        process.kill(stoppedPid, 'SIGCONT');
      } catch {
        /* already gone */
      }
    }
    await broker.stop().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * A REST supplier outage: the housing-repairs simulator (real HTTP on 127.0.0.1) is closed once
 * some of its cases were published by `casebridge run --once`, and started again on the same port
 * with the same data after `outageMs`. The run (or the next one) must finish with nothing lost.
 */
export async function supplierOutage(opts: { cases: number; outageMs: number; brokers: string[] }): Promise<FaultRow> {
  const baseTime = '2025-11-03T09:00:00Z';
  // The supplier stalls after a fifth of the listing's pages (10 cases a page), so the outage
  // always lands mid-run: watching the topic instead lost the race to a fast gateway (soak run 8).
  const pages = Math.ceil(opts.cases / 10);
  let sim: RepairsSimulator = await startRepairsSimulator({ cases: opts.cases, baseTime, stallAfterRequests: Math.max(1, Math.floor(pages / 5)) });
  const port = sim.port;
  const expected = new Set(sim.cases.map((c) => c.repairReference));
  const work = mkdtempSync(join(tmpdir(), 'cb-faults-rest-'));
  try {
    const topic = `faults-rest-${uid()}`;
    const cfg = join(work, 'casebridge.yaml');
    // The restarted simulator has forgotten its cursors and answers 400 invalid_cursor, as a real
    // supplier may: the connector is told that 400 means "expired", so it restarts the listing from
    // the committed position (without it the run stops on the stale cursor until someone acts).
    const connector = restConnector(sim.url, {
      retry: { initial: '100ms', max: '1s' },
      pagination: { style: 'cursor', param: 'cursor', path: 'meta.nextCursor', sizeParam: 'limit', size: 10, expiredStatus: [400, 410] },
    });
    writeFileSync(
      cfg,
      stringify({
        version: 1,
        councils: [{ gss: 'E09000019', name: 'London Borough of Islington' }],
        state: { path: './var/state.sqlite' },
        publisher: { type: 'kafka', brokers: opts.brokers, topic, deadLetterTopic: `${topic}-dl`, createTopics: true, partitions: 3, replicationFactor: 1 },
        http: { enabled: false },
        shutdownGrace: '5s',
        connectors: [connector],
      }),
    );
    const child = spawn(process.execPath, [CLI, 'run', cfg, '--once', '--no-progress'], { stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    const started = Date.now();
    // Until the gateway waits on a stalled request (or gives up: then the tally says so).
    while (child.exitCode === null && Date.now() - started < 120_000) {
      if (sim.requests.length > Math.floor(pages / 5)) break;
      await sleep(10);
    }
    const publishedAtOutage = await topicSize(topic, opts.brokers).catch(() => 0);
    await sim.close();
    await sleep(opts.outageMs);
    sim = await startRepairsSimulator({ cases: opts.cases, baseTime, port });
    const bound = setTimeout(() => child.kill('SIGKILL'), 180_000);
    const first = await exited;
    clearTimeout(bound);
    const end = await runToEnd(cfg, first);
    const staleCursors = sim.requests.filter((r) => r.status === 400).length;
    process.stderr.write(`[supplier outage] stopped with ${publishedAtOutage} of ${opts.cases} published; ${staleCursors} stale cursor(s) refused after the restart; first run exited ${first}; ${end.runs} further run(s)\n`);
    const row = tally('rest → kafka, supplier stopped + restarted', 1, expected, await seenOn(topic, opts.brokers), end.ok);
    return { ...row, faultMidRun: publishedAtOutage < opts.cases };
  } finally {
    await sim.close().catch(() => undefined);
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
