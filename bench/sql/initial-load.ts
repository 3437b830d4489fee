/**
 * Initial load of a large PostgreSQL table through the sql connector, side by side with a bare
 * keyset read of the same table by the same driver, with each process's peak memory.
 *
 *   node --import tsx bench/sql/initial-load.ts
 *
 * Environment (all optional):
 *   BENCH_SQL_ROWS        rows in the table (default 2000000)
 *   BENCH_SQL_ONLY=source skip the end-to-end runs (bare read and source alone only)
 *   BENCH_SQL_SMALL_ROWS  rows of the smaller view read for the memory comparison (default 200000)
 *   BENCH_SQL_BATCH       page / batch size for both readers (default 500, the connector default)
 *   BENCH_PG_URL          postgres://postgres@127.0.0.1:5432/test
 *   BENCH_SQL_REUSE=1     keep and reuse the table between runs (it is dropped otherwise)
 *   BENCH_SQL_FSYNC=0     local log without fsync (default: fsync on, as configured in production)
 *   KAFKA_BROKERS         publish to Kafka instead of the local log (topic created and deleted)
 *   BENCH_TMP             folder for the state store and the local log (default: the OS temp dir)
 *
 * Every figure comes from a fresh child process run under /usr/bin/time -v (peak RSS). Nothing here
 * is a test: it prints figures and checks only that every row became exactly one event.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { benchKafka } from '../lib/kafka.js';
import { assertOk, haveGnuTime, jsonDocument, lastJson, runMeasured } from '../lib/proc.js';
import { repoRoot } from '../lib/settings.js';

const ROWS = Number(process.env.BENCH_SQL_ROWS ?? 2_000_000);
const SMALL = Number(process.env.BENCH_SQL_SMALL_ROWS ?? 200_000);
const BATCH = Number(process.env.BENCH_SQL_BATCH ?? 500);
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REUSE = process.env.BENCH_SQL_REUSE === '1';
const FSYNC = process.env.BENCH_SQL_FSYNC !== '0';
const BROKERS = (process.env.KAFKA_BROKERS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const END_TO_END = process.env.BENCH_SQL_ONLY !== 'source';
const TABLE = 'cb_bench_repairs';
const VIEW = 'cb_bench_repairs_small';

function log(msg: string): void {
  process.stderr.write(`[bench/sql] ${msg}\n`);
}

async function loadTable(client: pg.Client): Promise<void> {
  const exists = await client.query(`SELECT count(*)::bigint AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`, [TABLE]);
  if (REUSE && Number(exists.rows[0].n) > 0) {
    const { rows } = await client.query(`SELECT count(*)::bigint AS n FROM "${TABLE}"`);
    if (Number(rows[0].n) === ROWS) {
      log(`reusing ${TABLE} (${ROWS} rows)`);
      return;
    }
  }
  log(`loading ${ROWS} rows into ${TABLE} …`);
  const t0 = Date.now();
  await client.query(`DROP VIEW IF EXISTS "${VIEW}"`);
  await client.query(`DROP TABLE IF EXISTS "${TABLE}"`);
  await client.query(`CREATE TABLE "${TABLE}" (
    job_no bigint PRIMARY KEY, status_code text NOT NULL, status_desc text, trade_code text, job_desc text,
    reported_at timestamp, updated_at timestamp NOT NULL, target_date date, completed_at timestamp,
    uprn bigint, address_line1 text, town text, postcode text, tenant_name text, tenant_phone text)`);
  // Four rows share each updated_at second, so batch boundaries fall inside tie groups.
  await client.query(`INSERT INTO "${TABLE}"
    SELECT g,
      (ARRAY['RAI','APP','WIP','WFP','COM','CLO','CAN'])[1 + g % 7],
      (ARRAY['Reported','Appointment booked','In progress','Waiting for parts','Completed','Closed','Cancelled'])[1 + g % 7],
      (ARRAY['PLB','ELE','CAR','DMP'])[1 + g % 4],
      'Repair job ' || g || ': tap leaking under the kitchen sink, tenant reports water on the floor',
      timestamp '2023-01-01' + g * interval '5 seconds',
      timestamp '2024-01-01' + (g / 4) * interval '1 second',
      date '2024-02-01' + (g % 90),
      CASE WHEN g % 7 IN (4, 5) THEN timestamp '2024-03-01' + g * interval '1 second' END,
      100000000000 + g, (g % 500) || ' Upper Street', 'London', 'N1 1XR', 'Tenant ' || g, '020 7000 ' || lpad((g % 10000)::text, 4, '0')
    FROM generate_series(1, ${ROWS}) AS g`);
  await client.query(`CREATE INDEX "${TABLE}_ts_key" ON "${TABLE}" (updated_at, job_no)`);
  await client.query(`ANALYZE "${TABLE}"`);
  log(`loaded in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
}

function configYaml(dir: string, table: string, topic: string | undefined): string {
  const u = new URL(PG_URL);
  const publisher = topic
    ? `{ type: kafka, brokers: ${JSON.stringify(BROKERS)}, topic: ${topic}, deadLetterTopic: ${topic}-dlq, createTopics: true, partitions: 6, replicationFactor: 1 }`
    : `{ type: local-log, dir: ${dir}/events, fsync: ${FSYNC} }`;
  return `
version: 1
councils:
  - { gss: E09000019, name: Islington }
state: { path: ${dir}/state.sqlite }
publisher: ${publisher}
http: { enabled: false }
connectors:
  - name: housing-repairs
    type: sql
    council: E09000019
    system: { supplier: Housing Repairs }
    batchSize: ${BATCH}
    connection:
      dialect: postgres
      host: ${u.hostname}
      port: ${u.port || 5432}
      database: ${u.pathname.slice(1)}
      user: ${decodeURIComponent(u.username) || 'postgres'}
      tls: { mode: disable }
    read: { mode: incremental, table: ${table}, updatedAt: updated_at, key: job_no, lag: 0s }
    mapping:
      reference: job_no
      description: job_desc
      service: { code: trade_code, lookup: trades }
      status: { code: status_code, label: status_desc, lookup: statuses }
      openedAt: reported_at
      updatedAt: updated_at
      dueAt: { path: target_date, date: iso }
      closedAt: completed_at
      location: { uprn: uprn, address: { template: "{address_line1}, {town}" }, postcode: postcode }
      personal:
        - { name: tenantName, value: tenant_name }
        - { name: tenantPhone, value: tenant_phone, mode: redact }
      lookups:
        statuses:
          kind: status
          entries:
            RAI: { status: received }
            APP: { status: scheduled }
            WIP: { status: in_progress }
            WFP: { status: on_hold }
            COM: { status: resolved }
            CLO: { status: closed }
            CAN: { status: cancelled }
        trades:
          kind: service
          entries:
            PLB: { name: Plumbing repair }
            ELE: { name: Electrical repair }
            CAR: { name: Carpentry repair }
            DMP: { name: Damp and mould }
`;
}

function ensureBuilt(): string {
  const cli = join(repoRoot, 'dist/cli/main.js');
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((m, e) => Math.max(m, e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs), 0);
  if (!existsSync(cli) || statSync(cli).mtimeMs < newest(join(repoRoot, 'src'))) {
    log('building dist/ …');
    try {
      execFileSync(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', join(repoRoot, 'tsconfig.build.json')], { stdio: 'inherit' });
    } catch {
      if (!existsSync(cli)) throw new Error('build failed');
    }
  }
  return cli;
}

function countLocalEvents(dir: string): number {
  const events = join(dir, 'events');
  if (!existsSync(events)) return 0;
  let n = 0;
  for (const f of readdirSync(events).filter((f) => /^events-\d+\.jsonl$/.test(f))) {
    const text = readFileSync(join(events, f), 'utf8');
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  }
  return n;
}

interface Figure {
  what: string;
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  peakRssMb: number | undefined;
}

async function connectorRun(cli: string, table: string, rows: number, label: string): Promise<Figure> {
  const dir = mkdtempSync(join(process.env.BENCH_TMP ?? os.tmpdir(), 'cb-bench-sql-'));
  const topic = BROKERS.length ? `cb-bench-sql-${process.pid}-${table}` : undefined;
  const file = join(dir, 'casebridge.yaml');
  writeFileSync(file, configYaml(dir, table, topic));
  log(`${label}: casebridge run --once over ${rows} rows → ${topic ? `Kafka topic ${topic}` : `local log (fsync ${FSYNC ? 'on' : 'off'})`} …`);
  const r = await runMeasured(process.execPath, [cli, 'run', file, '--once', '--json', '--no-progress', '--log-level', 'warn'], { cwd: repoRoot });
  assertOk(r, label);
  const summary = jsonDocument<{ connectors: { read: number; published: number; deadLettered: number }[] }>(r.stdout);
  const c = summary.connectors[0]!;
  let delivered: number;
  if (topic) {
    const kafka = await benchKafka(BROKERS);
    delivered = await kafka.countRecords(topic);
    await kafka.deleteTopics([topic, `${topic}-dlq`]);
    await kafka.close();
  } else {
    delivered = countLocalEvents(dir);
  }
  rmSync(dir, { recursive: true, force: true });
  if (c.read !== rows || c.published !== rows || delivered !== rows || c.deadLettered !== 0) {
    throw new Error(`${label}: expected ${rows} rows → ${rows} events; got read ${c.read}, published ${c.published}, dead letters ${c.deadLettered}, delivered ${delivered}`);
  }
  return { what: label, rows, seconds: r.wallSeconds, rowsPerSecond: rows / r.wallSeconds, peakRssMb: r.maxRssMb };
}

async function bareRun(table: string, rows: number, label: string): Promise<Figure> {
  log(`${label}: bare keyset read with pg over ${rows} rows …`);
  const r = await runMeasured(process.execPath, [join(repoRoot, 'bench/sql/bare-read.mjs'), '--url', PG_URL, '--table', table, '--batch', String(BATCH)], { cwd: repoRoot });
  assertOk(r, label);
  const out = lastJson<{ rows: number; seconds: number }>(r.stdout);
  if (out.rows !== rows) throw new Error(`${label}: read ${out.rows} rows, expected ${rows}`);
  return { what: label, rows, seconds: r.wallSeconds, rowsPerSecond: rows / r.wallSeconds, peakRssMb: r.maxRssMb };
}

async function sourceOnlyRun(table: string, rows: number, label: string): Promise<Figure> {
  log(`${label}: the connector's read path alone over ${rows} rows …`);
  const r = await runMeasured(process.execPath, [join(repoRoot, 'bench/sql/source-only.mjs'), '--url', PG_URL, '--table', table, '--batch', String(BATCH)], { cwd: repoRoot });
  assertOk(r, label);
  const out = lastJson<{ rows: number; seconds: number }>(r.stdout);
  if (out.rows !== rows) throw new Error(`${label}: read ${out.rows} rows, expected ${rows}`);
  return { what: label, rows, seconds: r.wallSeconds, rowsPerSecond: rows / r.wallSeconds, peakRssMb: r.maxRssMb };
}

async function main(): Promise<void> {
  if (!haveGnuTime) log('warning: /usr/bin/time not found; peak memory will be missing');
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  const figures: Figure[] = [];
  try {
    await loadTable(client);
    await client.query(`CREATE OR REPLACE VIEW "${VIEW}" AS SELECT * FROM "${TABLE}" WHERE job_no <= ${SMALL}`);
    const cli = ensureBuilt();
    figures.push(await bareRun(TABLE, ROWS, 'bare pg keyset read'));
    figures.push(await sourceOnlyRun(TABLE, ROWS, 'sql source alone (no pipeline)'));
    if (END_TO_END) figures.push(await connectorRun(cli, TABLE, ROWS, 'casebridge run (source → sink)'));
    figures.push(await bareRun(VIEW, SMALL, 'bare pg keyset read (small)'));
    figures.push(await sourceOnlyRun(VIEW, SMALL, 'sql source alone (small)'));
    if (END_TO_END) figures.push(await connectorRun(cli, VIEW, SMALL, 'casebridge run (small)'));
  } finally {
    if (!REUSE) {
      await client.query(`DROP VIEW IF EXISTS "${VIEW}"`);
      await client.query(`DROP TABLE IF EXISTS "${TABLE}"`);
    }
    await client.end();
  }

  const sink = BROKERS.length ? `Kafka (${BROKERS.join(',')})` : `local log, fsync ${FSYNC ? 'on' : 'off'}`;
  const lines = [
    `SQL initial load — PostgreSQL ${TABLE}, batch ${BATCH}, sink: ${sink}, node ${process.version}, ${os.cpus().length} CPU(s)`,
    `${'reader'.padEnd(36)} ${'rows'.padStart(9)} ${'seconds'.padStart(8)} ${'rows/s'.padStart(9)} ${'peak RSS MiB'.padStart(13)}`,
    ...figures.map(
      (f) =>
        `${f.what.padEnd(36)} ${String(f.rows).padStart(9)} ${f.seconds.toFixed(1).padStart(8)} ${Math.round(f.rowsPerSecond).toString().padStart(9)} ${(f.peakRssMb?.toFixed(0) ?? 'n/a').padStart(13)}`,
    ),
  ];
  process.stdout.write(lines.join('\n') + '\n');
  process.stdout.write(JSON.stringify({ table: TABLE, batch: BATCH, sink, figures }) + '\n');
}

await main();
