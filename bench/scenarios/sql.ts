/**
 * Scenario 3, SQL initial load → Kafka: the housing-repairs connector (incremental by
 * (updated_at, job_no), fresh state, so the whole table) through `casebridge run --once` vs a bare
 * keyset read of the same table by the same driver, same query shape and page size.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { assertOk, jsonDocument, lastJson, runMeasured } from '../lib/proc.js';
import { CLI, TSX, makeSide, scenarioScript, type BenchContext, type RunJson } from '../lib/context.js';
import { uniqueTopic } from '../lib/kafka.js';
import type { ScenarioResult } from '../lib/result.js';
import { parsePgUrl, repairsInsertSql, repairsTableSql, sqlGatewayConfig } from './data.js';

/** Create and fill a repairs table of `rows` rows; returns its name. */
export async function createRepairsTable(url: string, name: string, rows: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP TABLE IF EXISTS "${name}"`);
    for (const q of repairsTableSql(name)) await client.query(q);
    const step = 250_000;
    for (let from = 0; from < rows; from += step) await client.query(repairsInsertSql(name, from, Math.min(rows, from + step)));
    await client.query(`VACUUM ANALYZE "${name}"`);
  } finally {
    await client.end();
  }
}

export async function dropTable(url: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`DROP TABLE IF EXISTS "${name}"`).finally(() => client.end());
}

export async function sqlScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const s = ctx.settings;
  const table = `bench_repairs_${process.pid}`;
  const rows = s.sqlRows;
  const page = 500;
  await createRepairsTable(s.pgUrl, table, rows);
  ctx.log(`sql: table ${table} with ${rows} rows`);
  const ours: number[] = [];
  const oursDetail: Record<string, unknown>[] = [];
  const peer: number[] = [];
  const peerDetail: Record<string, unknown>[] = [];
  try {
    for (let i = 0; i < s.repeats; i++) {
      const run = join(ctx.tmp, 'sql', `run-${i}`);
      mkdirSync(run, { recursive: true });
      const topic = uniqueTopic('sql');
      await ctx.kafka.createTopic(topic, s.partitions);
      await ctx.kafka.createTopic(`${topic}.dead`, 1);
      const cfg = join(run, 'casebridge.yaml');
      writeFileSync(cfg, sqlGatewayConfig({ kafka: { brokers: s.brokers, topic }, statePath: join(run, 'state.sqlite'), pg: parsePgUrl(s.pgUrl), table, lag: '2m', batchSize: page }));
      const r = await runMeasured(process.execPath, [CLI, 'run', cfg, '--once', '--json', '--no-progress']);
      assertOk(r, 'casebridge run (sql)');
      const j = jsonDocument<RunJson>(r.stdout);
      const c = j.connectors[0]!;
      const stored = await ctx.kafka.countRecords(topic);
      if (c.published !== rows || stored !== rows) throw new Error(`sql: expected ${rows} events, casebridge reported ${c.published} (${c.deadLettered} dead letters) and the topic holds ${stored}`);
      const rate = rows / (j.elapsedMs / 1000);
      ours.push(rate);
      oursDetail.push({ run: i + 1, 'rows/s': rate, 'wall s': r.wallSeconds, 'peak RSS MiB': r.maxRssMb ?? NaN });
      await ctx.kafka.deleteTopics([topic, `${topic}.dead`]);
      ctx.log(`sql run ${i + 1}: casebridge ${Math.round(rate)} rows/s`);

      const b = await runMeasured(process.execPath, [...TSX, scenarioScript('sql-bare-read.ts'), '--url', s.pgUrl, '--table', table, '--page', String(page)]);
      assertOk(b, 'bare read');
      const bj = lastJson<{ rows: number; seconds: number; perSecond: number }>(b.stdout);
      if (bj.rows !== rows) throw new Error(`bare read returned ${bj.rows} rows, expected ${rows}`);
      peer.push(bj.perSecond);
      peerDetail.push({ run: i + 1, 'rows/s': bj.perSecond, 'peak RSS MiB': b.maxRssMb ?? NaN });
      ctx.log(`sql run ${i + 1}: bare read ${Math.round(bj.perSecond)} rows/s`);
    }
  } finally {
    await dropTable(s.pgUrl, table);
  }
  const cb = makeSide('casebridge run --once', 'rows/s', ours, oursDetail);
  const pe = makeSide('bare keyset read (pg)', 'rows/s', peer, peerDetail);
  const ratio = cb.median / pe.median;
  return {
    id: 'sql',
    title: `SQL initial load → Kafka, ${rows.toLocaleString('en-GB')} rows`,
    casebridge: cb,
    peer: pe,
    ratio,
    goal: { text: '≥ 0.6', met: ratio >= 0.6 },
    notes: [
      `Table: the housing-repairs example's (15 columns, text key, index on (updated_at, job_no)) in PostgreSQL; pages of ${page} rows for both.`,
      "casebridge: the example's mapping (lookups, ISO dates in Europe/London, address template, postcode, a redacted personal field), lag 2m (default), read-only session; rate = rows / the run's own elapsed time.",
      'Bare read: one pg.Client, `SELECT … WHERE (updated_at, job_no) > ($1, $2) ORDER BY updated_at, job_no LIMIT 500` until a short page, rows counted and dropped; timed from connect to end.',
    ],
  };
}
