/**
 * Scenario 5, latency: from a file completed in the drop folder (its marker written) or a row
 * committed in PostgreSQL to its event acknowledged by Kafka, at a steady rate, with the gateway
 * running continuously (`casebridge run`).
 *
 * The topic stores LogAppendTime, so a record's timestamp is when the broker appended it — the
 * moment it could acknowledge (acks=all on a single broker). Input and broker share one clock.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { durationMs } from '../../src/core/units.js';
import { sleep } from '../lib/proc.js';
import { CLI, makeSide, type BenchContext } from '../lib/context.js';
import { uniqueTopic } from '../lib/kafka.js';
import type { ScenarioResult } from '../lib/result.js';
import { percentile } from '../lib/stats.js';
import { csvHeader, csvRow, parsePgUrl, repairsTableSql, sqlGatewayConfig, csvGatewayConfig } from './data.js';
import { dropTable } from './sql.js';

const ROWS_PER_FILE = 5;

interface Probe {
  /** Completion time of each reference's input (ms since epoch). */
  doneAt: Map<string, number>;
  /** Broker append time of each reference's event. */
  ackAt: Map<string, number>;
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await sleep(20);
  }
  return true;
}

/** Start the gateway, wait until a warm-up input comes through, feed inputs at a steady rate, collect latencies. */
async function measure(
  ctx: BenchContext,
  opts: { topic: string; config: string; warmUp: () => Promise<string>; feed: (i: number) => Promise<string[]>; count: number; rate: number },
): Promise<Measured> {
  const probe: Probe = { doneAt: new Map(), ackAt: new Map() };
  const consumer = await ctx.kafka.consume(opts.topic, (m) => {
    const ref = m.headers.ce_subject;
    if (ref && !probe.ackAt.has(ref)) probe.ackAt.set(ref, m.timestamp);
  });
  // Spawned directly (not under /usr/bin/time) so SIGTERM reaches the gateway itself; its peak
  // RSS is read from /proc before it is stopped.
  const child = spawn(process.execPath, [CLI, 'run', opts.config, '--no-http', '--no-progress', '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-20_000)));
  const exited = once(child, 'exit');
  let peakRssMb = NaN;
  try {
    const warm = await opts.warmUp();
    if (!(await waitFor(() => probe.ackAt.has(warm), 90_000))) throw new Error('latency: the warm-up input never reached Kafka');
    const gap = 1000 / opts.rate;
    const t0 = Date.now();
    for (let i = 0; i < opts.count; i++) {
      const due = t0 + i * gap;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      const refs = await opts.feed(i);
      const at = Date.now();
      for (const r of refs) probe.doneAt.set(r, at);
    }
    await waitFor(() => [...probe.doneAt.keys()].every((r) => probe.ackAt.has(r)), 60_000);
    peakRssMb = vmHwmMb(child.pid);
  } catch (e) {
    throw new Error(`${(e as Error).message}; gateway stderr: ${stderr.slice(-2000)}`);
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM');
    await consumer.stop();
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
  const latencies: number[] = [];
  let missing = 0;
  for (const [ref, done] of probe.doneAt) {
    const ack = probe.ackAt.get(ref);
    if (ack === undefined) missing++;
    else latencies.push(ack - done);
  }
  return { latencies, missing, peakRssMb };
}

interface Measured {
  latencies: number[];
  missing: number;
  peakRssMb: number;
}

function vmHwmMb(pid: number | undefined): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

function result(id: string, title: string, label: string, r: Measured, boundMs: number, boundLabel: string, notes: string[]): ScenarioResult {
  const p50 = percentile(r.latencies, 50);
  const p99 = percentile(r.latencies, 99);
  const max = Math.max(...r.latencies);
  const detail = [{ samples: r.latencies.length, missing: r.missing, p50, p99, max, 'gateway peak RSS MiB': r.peakRssMb }];
  return {
    id,
    title,
    casebridge: makeSide(`${label} p99`, 'ms', [p99], detail),
    peer: makeSide(boundLabel, 'ms', [boundMs]),
    ratio: p99 / boundMs,
    goal: { text: `p99 ≤ ${boundMs} ms (ratio ≤ 1); p50 ${Math.round(p50)} ms`, met: r.missing === 0 && p99 <= boundMs },
    notes: [...notes, ...(r.missing ? [`${r.missing} inputs never reached Kafka within 60 s of the last one: counted as a failure.`] : [])],
  };
}

export async function fileLatencyScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const s = ctx.settings;
  const run = join(ctx.tmp, 'latency-file');
  const drop = join(run, 'drop');
  mkdirSync(drop, { recursive: true });
  const topic = uniqueTopic('latency-file');
  await ctx.kafka.createTopic(topic, s.partitions, { 'message.timestamp.type': 'LogAppendTime' });
  await ctx.kafka.createTopic(`${topic}.dead`, 1);
  const cfg = join(run, 'casebridge.yaml');
  writeFileSync(cfg, csvGatewayConfig({ kafka: { brokers: s.brokers, topic }, dropDir: drop, statePath: join(run, 'state.sqlite'), watch: { pollInterval: s.pollInterval, marker: '{name}.done' } }));
  const files = s.latencySeconds * s.latencyRate;
  const drop1 = async (name: string, firstCase: number): Promise<string[]> => {
    const shape = { cases: ROWS_PER_FILE, firstCase };
    let text = csvHeader(shape);
    for (let r = 0; r < ROWS_PER_FILE; r++) text += csvRow(r, shape);
    writeFileSync(join(drop, name), text);
    // The writer's "complete" signal: the connector reads a file only once its marker exists.
    writeFileSync(join(drop, `${name}.done`), '');
    return Array.from({ length: ROWS_PER_FILE }, (_, r) => String(firstCase + r));
  };
  try {
    const r = await measure(ctx, {
      topic,
      config: cfg,
      count: files,
      rate: s.latencyRate,
      warmUp: async () => (await drop1('warm-up.csv', 9_000_000))[0]!,
      feed: (i) => drop1(`lat-${String(i).padStart(6, '0')}.csv`, 1_000_000 + i * ROWS_PER_FILE),
    });
    ctx.log(`latency (file): ${r.latencies.length} samples, p99 ${percentile(r.latencies, 99)} ms`);
    return result('latency-file', `Latency, file drop → Kafka ack (watch, poll ${s.pollInterval})`, 'casebridge', r, durationMs(s.pollInterval) + 250, 'bound: poll interval + 250 ms', [
      `${files} files of ${ROWS_PER_FILE} rows, ${s.latencyRate} files/s for ${s.latencySeconds} s; each file is complete when its marker {name}.done is written (ready.marker; stableFor 0s because the marker is the completion signal). watch: true, pollInterval ${s.pollInterval}.`,
      'Latency per row = broker LogAppendTime of its event − time the marker was written.',
    ]);
  } finally {
    await ctx.kafka.deleteTopics([topic, `${topic}.dead`]);
  }
}

export async function sqlLatencyScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const s = ctx.settings;
  const run = join(ctx.tmp, 'latency-sql');
  mkdirSync(run, { recursive: true });
  const table = `bench_latency_${process.pid}`;
  const client = new pg.Client({ connectionString: s.pgUrl });
  await client.connect();
  await client.query(`DROP TABLE IF EXISTS "${table}"`);
  for (const q of repairsTableSql(table)) await client.query(q);
  const topic = uniqueTopic('latency-sql');
  await ctx.kafka.createTopic(topic, s.partitions, { 'message.timestamp.type': 'LogAppendTime' });
  await ctx.kafka.createTopic(`${topic}.dead`, 1);
  const cfg = join(run, 'casebridge.yaml');
  writeFileSync(cfg, sqlGatewayConfig({ kafka: { brokers: s.brokers, topic }, statePath: join(run, 'state.sqlite'), pg: parsePgUrl(s.pgUrl), table, lag: s.sqlLag, schedule: s.pollInterval }));
  // One row per statement, autocommit: the commit returns, then the clock is read.
  const insert = async (job: string) => {
    await client.query(
      `INSERT INTO "${table}" (job_no, status_code, status_desc, trade_code, job_desc, reported_at, updated_at, target_date, uprn, address_line1, town, postcode, tenant_name, tenant_phone)
       VALUES ($1, 'RAI', 'Reported', 'PLB', 'Kitchen tap leaking', clock_timestamp() AT TIME ZONE 'Europe/London', clock_timestamp() AT TIME ZONE 'Europe/London',
               current_date + 7, 5300012345, 'Flat 3, 12 Example Road', 'London', 'N7 8XX', 'A Tenant', '020 7946 0000')`,
      [job],
    );
    return job;
  };
  const rows = s.latencySeconds * s.latencyRate;
  try {
    const r = await measure(ctx, {
      topic,
      config: cfg,
      count: rows,
      rate: s.latencyRate,
      warmUp: () => insert('HR-WARM-UP'),
      feed: async (i) => [await insert(`HR-L${String(i).padStart(7, '0')}`)],
    });
    ctx.log(`latency (sql): ${r.latencies.length} samples, p99 ${percentile(r.latencies, 99)} ms`);
    const lagMs = durationMs(s.sqlLag);
    return result('latency-sql', `Latency, PostgreSQL commit → Kafka ack (schedule every ${s.pollInterval}, lag ${s.sqlLag})`, 'casebridge', r, durationMs(s.pollInterval) + lagMs + 250, lagMs ? 'bound: poll interval + lag + 250 ms' : 'bound: poll interval + 250 ms', [
      `${rows} rows, ${s.latencyRate} rows/s for ${s.latencySeconds} s, one INSERT per transaction; incremental read by (updated_at, job_no) with schedule every ${s.pollInterval}.`,
      `read.lag ${s.sqlLag}: rows are read only once the database clock is past their updated_at plus lag. The default 2m protects against transactions that commit late with an earlier updated_at; latency then grows by the lag (bound shown includes it). A single autocommit writer, as here, cannot commit late, which is why the bench can use ${s.sqlLag}.`,
      'Latency per row = broker LogAppendTime of its event − time the INSERT (autocommit) returned.',
    ]);
  } finally {
    await client.end();
    await dropTable(s.pgUrl, table);
    await ctx.kafka.deleteTopics([topic, `${topic}.dead`]);
  }
}
