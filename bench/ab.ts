/**
 * Interleaved A/B of gateway builds or settings on one input: each variant runs `casebridge run
 * --once` in a fresh process, variants alternate first place every repeat, and the table shows the
 * median rate, CPU per row and peak RSS of each. For checking one change before `npm run bench`.
 *
 *   node --import tsx bench/ab.ts csv 50000 3 head=dist thread=dist:thread
 *   node --import tsx bench/ab.ts sql 100000 3 before=.cache/dist-before head=dist
 *
 * A variant is name=distDir[:thread][:cache=SIZE][:pages=SIZE][:batch=N][:bytes=SIZE][:growth=N][:env=K=V]; distDir holds
 * a build (copy `dist` inside the repository so node_modules resolves), `:thread` sets
 * publisher.thread, `:cache=8MB` sets state.caseCache, `:batch=1000` the connector's batchSize,
 * `:pages=16MB` state.pageCache, `:bytes=4MB` the file connector's batchBytes, `:growth=0` the
 * CASEBRIDGE_HEAP_GROWTH it runs with, `:env=NAME=VALUE` any other variable. AB_NOTES=4000 adds a free-text
 * column of that many characters to the CSV (the memory scenario's wide rows). Needs the broker
 * (KAFKA_BROKERS) and, for sql, PostgreSQL (BENCH_PG_URL).
 */
import { linkSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { assertOk, jsonDocument, runMeasured } from './lib/proc.js';
import type { RunJson } from './lib/context.js';
import { benchKafka, uniqueTopic } from './lib/kafka.js';
import { loadSettings, repoRoot } from './lib/settings.js';
import { median } from './lib/stats.js';
import { csvGatewayConfig, parsePgUrl, sqlGatewayConfig, writeCsv } from './scenarios/data.js';
import { createRepairsTable, dropTable } from './scenarios/sql.js';

const [what = 'csv', sizeArg, repeatsArg, ...specs] = process.argv.slice(2);
const rows = Number(sizeArg ?? (what === 'csv' ? 50_000 : 100_000));
const repeats = Number(repeatsArg ?? 3);
const variants = specs.map((s) => {
  const [name, rest = 'dist'] = s.split('=') as [string, string?];
  const [dist, ...flags] = rest.split(':');
  const cache = flags.find((f) => f.startsWith('cache='))?.slice('cache='.length);
  const batch = flags.find((f) => f.startsWith('batch='))?.slice('batch='.length);
  const bytes = flags.find((f) => f.startsWith('bytes='))?.slice('bytes='.length);
  const pages = flags.find((f) => f.startsWith('pages='))?.slice('pages='.length);
  const growth = flags.find((f) => f.startsWith('growth='))?.slice('growth='.length);
  const env = Object.fromEntries(flags.filter((f) => f.startsWith('env=')).map((f) => f.slice('env='.length).split(/=(.*)/s).slice(0, 2) as [string, string]));
  return { name, cli: resolve(repoRoot, dist!, 'cli/main.js'), thread: flags.includes('thread'), cache, batchSize: batch ? Number(batch) : undefined, batchBytes: bytes, pages, growth, env };
});
if (!variants.length) throw new Error('give at least one variant: name=distDir[:thread]');

const s = loadSettings();
const kafka = await benchKafka(s.brokers);
const dir = mkdtempSync(join(os.tmpdir(), `casebridge-ab-${what}-`));
const table = `bench_ab_${process.pid}`;
const source = join(dir, 'input.csv');
const notes = Number(process.env.AB_NOTES ?? 0);
if (what === 'csv') await writeCsv(source, { cases: Math.floor(rows / 4), ...(notes ? { notes } : {}) }, { rows });
else await createRepairsTable(s.pgUrl, table, rows);

const results = new Map<string, { rate: number[]; cpuUs: number[]; rss: number[] }>(variants.map((v) => [v.name, { rate: [], cpuUs: [], rss: [] }]));
try {
  for (let i = 0; i < repeats; i++) {
    const order = i % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) {
      const run = join(dir, `run-${i}-${v.name}`);
      mkdirSync(run, { recursive: true });
      const topic = uniqueTopic(`ab-${what}`);
      await kafka.createTopic(topic, s.partitions);
      await kafka.createTopic(`${topic}.dead`, 1);
      let yaml: string;
      if (what === 'csv') {
        const drop = join(run, 'drop');
        mkdirSync(drop);
        linkSync(source, join(drop, 'export.csv'));
        yaml = csvGatewayConfig({ kafka: { brokers: s.brokers, topic }, dropDir: drop, statePath: join(run, 'state.sqlite'), ...(v.batchSize ? { batchSize: v.batchSize } : {}) });
      } else {
        yaml = sqlGatewayConfig({ kafka: { brokers: s.brokers, topic }, statePath: join(run, 'state.sqlite'), pg: parsePgUrl(s.pgUrl), table, lag: '2m', ...(v.batchSize ? { batchSize: v.batchSize } : {}) });
      }
      const doc = YAML.parse(yaml) as { publisher: Record<string, unknown>; state: Record<string, unknown>; connectors: Record<string, unknown>[] };
      if (v.thread) doc.publisher.thread = true;
      if (v.batchBytes) doc.connectors[0]!.batchBytes = v.batchBytes;
      if (v.cache) doc.state.caseCache = v.cache;
      if (v.pages) doc.state.pageCache = v.pages;
      const cfg = join(run, 'casebridge.yaml');
      writeFileSync(cfg, YAML.stringify(doc));
      const env = { ...process.env, ...(v.growth === undefined ? {} : { CASEBRIDGE_HEAP_GROWTH: v.growth }), ...(v.env ?? {}) };
      const r = await runMeasured(process.execPath, [v.cli, 'run', cfg, '--once', '--json', '--no-progress'], { env });
      assertOk(r, `${v.name} run`);
      const j = jsonDocument<RunJson>(r.stdout);
      const published = j.connectors[0]!.published;
      const stored = await kafka.countRecords(topic);
      if (published !== rows || stored !== rows) throw new Error(`${v.name}: expected ${rows} events, reported ${published}, topic holds ${stored}`);
      const cpu = ['User', 'System'].reduce((n, k) => n + Number(new RegExp(`${k} time \\(seconds\\): ([\\d.]+)`).exec(r.stderr)?.[1] ?? NaN), 0);
      const out = results.get(v.name)!;
      out.rate.push(rows / (j.elapsedMs / 1000));
      out.cpuUs.push((cpu / rows) * 1e6);
      out.rss.push(r.maxRssMb ?? NaN);
      process.stderr.write(`run ${i + 1} ${v.name}: ${Math.round(rows / (j.elapsedMs / 1000))} rows/s, ${Math.round((cpu / rows) * 1e6)} µs CPU/row, ${Math.round(r.maxRssMb ?? NaN)} MiB\n`);
      await kafka.deleteTopics([topic, `${topic}.dead`]);
    }
  }
} finally {
  if (what !== 'csv') await dropTable(s.pgUrl, table);
  await kafka.close();
}
const first = results.get(variants[0]!.name)!;
process.stdout.write(`| ${what} ${rows} rows, ${repeats} repeats | rows/s (median) | vs ${variants[0]!.name} | CPU µs/row | peak RSS MiB |\n|---|---|---|---|---|\n`);
for (const v of variants) {
  const r = results.get(v.name)!;
  const ratio = median(r.rate.map((x, i) => x / first.rate[i]!));
  process.stdout.write(`| ${v.name} | ${Math.round(median(r.rate))} | ${ratio.toFixed(2)} | ${Math.round(median(r.cpuUs))} | ${Math.round(median(r.rss))} |\n`);
}
