/**
 * What a CSV → Kafka (or PostgreSQL → Kafka) run allocates, by allocating function: the whole CLI run (`casebridge run
 * --once`) with V8's sampling heap profiler counting every allocation, collected objects included
 * (bench/lib/alloc-sampler.mjs). Garbage is what the garbage collector's share of the CPU follows,
 * and unlike a timing it hardly moves when the host is busy, so it can show a change of a few
 * percent that a timed run cannot.
 *
 *   node --import tsx bench/alloc.ts [rows] [top]        CSV, default 50,000 rows, top 25 sites
 *   node --import tsx bench/alloc.ts sql [rows] [top]    SQL initial load, default 100,000 rows
 *
 * Needs the broker (KAFKA_BROKERS or the local one on 127.0.0.1:19092) and, for sql, PostgreSQL.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { CLI } from './lib/context.js';
import { benchKafka, uniqueTopic } from './lib/kafka.js';
import { loadSettings, repoRoot } from './lib/settings.js';
import { csvGatewayConfig, parsePgUrl, sqlGatewayConfig, writeCsv } from './scenarios/data.js';
import { createRepairsTable, dropTable } from './scenarios/sql.js';

const args = process.argv.slice(2);
const what = args[0] === 'sql' || args[0] === 'csv' ? args.shift()! : 'csv';
const rows = Number(args[0] ?? (what === 'sql' ? 100_000 : 50_000));
const top = Number(args[1] ?? 25);
const s = loadSettings();
const kafka = await benchKafka(s.brokers);
const dir = mkdtempSync(join(os.tmpdir(), 'casebridge-alloc-'));
const topic = uniqueTopic('alloc');
await kafka.createTopic(topic, s.partitions);
await kafka.createTopic(`${topic}.dead`, 1);
const out = join(dir, 'alloc.json');
const table = `bench_alloc_${process.pid}`;
try {
  const cfg = join(dir, 'casebridge.yaml');
  if (what === 'sql') {
    await createRepairsTable(s.pgUrl, table, rows);
    writeFileSync(cfg, sqlGatewayConfig({ kafka: { brokers: s.brokers, topic }, statePath: join(dir, 'state.sqlite'), pg: parsePgUrl(s.pgUrl), table, lag: '2m' }));
  } else {
    const drop = join(dir, 'drop');
    mkdirSync(drop);
    await writeCsv(join(drop, 'export.csv'), { cases: Math.floor(rows / 4) }, { rows });
    writeFileSync(cfg, csvGatewayConfig({ kafka: { brokers: s.brokers, topic }, dropDir: drop, statePath: join(dir, 'state.sqlite') }));
  }
  execFileSync(process.execPath, ['--import', join(repoRoot, 'bench/lib/alloc-sampler.mjs'), CLI, 'run', cfg, '--once', '--json', '--no-progress'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    cwd: repoRoot,
    env: { ...process.env, CASEBRIDGE_ALLOC_OUT: out },
  });
  const { total, sites } = JSON.parse(readFileSync(out, 'utf8')) as { total: number; sites: [string, number][] };
  const mib = (n: number) => (n / 1048576).toFixed(1);
  process.stdout.write(`${rows.toLocaleString('en-GB')} rows: ${mib(total)} MiB allocated (sampled), ${((total / rows) / 1024).toFixed(1)} KB per row\n\n`);
  for (const [site, bytes] of sites.slice(0, top)) process.stdout.write(`${mib(bytes).padStart(8)} MiB ${((100 * bytes) / total).toFixed(1).padStart(5)}%  ${site}\n`);
} finally {
  if (what === 'sql') await dropTable(s.pgUrl, table);
  await kafka.deleteTopics([topic, `${topic}.dead`]);
  await kafka.close();
  rmSync(dir, { recursive: true, force: true });
}
