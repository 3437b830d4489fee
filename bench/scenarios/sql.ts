/**
 * Scenario 3, SQL initial load → Kafka: the housing-repairs connector (incremental by
 * (updated_at, job_no), fresh state, so the whole table) through `casebridge run --once` vs a bare
 * keyset read of the same table by the same driver, same query shape and page size.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { assertOk, cpuPerRow, jsonDocument, lastJson, runMeasured } from '../lib/proc.js';
import { CLI, TSX, failedSide, makeSide, scenarioScript, type BenchContext, type RunJson } from '../lib/context.js';
import { uniqueTopic } from '../lib/kafka.js';
import type { ScenarioResult } from '../lib/result.js';
import { median } from '../lib/stats.js';
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

async function casebridgeRun(ctx: BenchContext, cli: string, table: string, rows: number, page: number, dir: string): Promise<{ rate: number; detail: Record<string, unknown> }> {
  const s = ctx.settings;
  mkdirSync(dir, { recursive: true });
  const topic = uniqueTopic('sql');
  await ctx.kafka.createTopic(topic, s.partitions);
  await ctx.kafka.createTopic(`${topic}.dead`, 1);
  const cfg = join(dir, 'casebridge.yaml');
  writeFileSync(cfg, sqlGatewayConfig({ kafka: { brokers: s.brokers, topic }, statePath: join(dir, 'state.sqlite'), pg: parsePgUrl(s.pgUrl), table, lag: '2m', batchSize: page }));
  try {
    const r = await runMeasured(process.execPath, [cli, 'run', cfg, '--once', '--json', '--no-progress']);
    assertOk(r, `casebridge run (sql, ${cli})`);
    const j = jsonDocument<RunJson>(r.stdout);
    const c = j.connectors[0]!;
    const stored = await ctx.kafka.countRecords(topic);
    if (c.published !== rows || stored !== rows) throw new Error(`sql: expected ${rows} events, ${cli} reported ${c.published} (${c.deadLettered} dead letters) and the topic holds ${stored}`);
    const rate = rows / (j.elapsedMs / 1000);
    return { rate, detail: { 'rows/s': rate, 'wall s': r.wallSeconds, 'CPU µs/row': cpuPerRow(r.cpuSeconds, rows), 'peak RSS MiB': r.maxRssMb ?? NaN } };
  } finally {
    await ctx.kafka.deleteTopics([topic, `${topic}.dead`]);
  }
}

export async function sqlScenario(ctx: BenchContext): Promise<ScenarioResult[]> {
  const s = ctx.settings;
  const table = `bench_repairs_${process.pid}`;
  const rows = s.sqlRows;
  const page = 500;
  await createRepairsTable(s.pgUrl, table, rows);
  ctx.log(`sql: table ${table} with ${rows} rows`);
  const head = { runs: [] as number[], detail: [] as Record<string, unknown>[] };
  const base = { runs: [] as number[], detail: [] as Record<string, unknown>[] };
  const peer: number[] = [];
  const peerDetail: Record<string, unknown>[] = [];
  try {
    for (let i = 0; i < s.repeats; i++) {
      const order: ('head' | 'base')[] = i % 2 === 0 ? ['base', 'head'] : ['head', 'base'];
      for (const which of order) {
        if (which === 'base' && !ctx.base) continue;
        const r = await casebridgeRun(ctx, which === 'head' ? CLI : ctx.base!.cli, table, rows, page, join(ctx.tmp, 'sql', `run-${i}`, which));
        const into = which === 'head' ? head : base;
        into.runs.push(r.rate);
        into.detail.push({ run: i + 1, ...r.detail });
        ctx.log(`sql run ${i + 1}: ${which} ${Math.round(r.rate)} rows/s`);
      }

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
  const cb = makeSide('casebridge run --once (this tree)', 'rows/s', head.runs, head.detail);
  const pe = makeSide('bare keyset read (pg)', 'rows/s', peer, peerDetail);
  const ratio = cb.median / pe.median;
  const perRepeat = base.runs.map((x, i) => head.runs[i]! / x);
  const baseRatio = ctx.base ? median(perRepeat) : NaN;
  const notes = [
    `Table: the housing-repairs example's (15 columns, text key, index on (updated_at, job_no)) in PostgreSQL; pages of ${page} rows for both.`,
    "casebridge: the example's mapping (lookups, ISO dates in Europe/London, address template, postcode, a redacted personal field), lag 2m (default), read-only session; rate = rows / the run's own elapsed time.",
  ];
  return [
    {
      id: 'sql-base',
      title: `SQL initial load → Kafka, ${rows.toLocaleString('en-GB')} rows, vs ${ctx.base ? `base ${ctx.base.ref.slice(0, 12)}` : 'base ref'}`,
      casebridge: cb,
      peer: ctx.base ? makeSide(`same, built from ${ctx.base.sha.slice(0, 12)}`, 'rows/s', base.runs, base.detail) : failedSide('base ref', 'rows/s', ctx.baseProblem ?? 'BENCH_BASE_REF=none'),
      ratio: Number.isFinite(baseRatio) ? baseRatio : undefined,
      goal: { text: '≥ 2.0', met: Number.isFinite(baseRatio) ? baseRatio >= 2 : undefined },
      notes: [...notes, `Base: ${ctx.base ? `${ctx.base.ref} = ${ctx.base.sha}` : 'none'}; base and this tree alternate first place; ratio = median of the per-repeat ratios.`],
    },
    {
      id: 'sql',
      title: `SQL initial load → Kafka, ${rows.toLocaleString('en-GB')} rows, vs bare read`,
      casebridge: cb,
      peer: pe,
      ratio,
      goal: { text: '≥ 0.6', met: ratio >= 0.6 },
      notes: [...notes, 'Bare read: one pg.Client, `SELECT … WHERE (updated_at, job_no) > ($1, $2) ORDER BY updated_at, job_no LIMIT 500` until a short page, rows counted and dropped; timed from connect to end.'],
    },
  ];
}
