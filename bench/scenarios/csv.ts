/**
 * Scenario 2, CSV drop → Kafka: the whole pipeline through the CLI (`casebridge run --once`:
 * detect the file, hash it for the ledger, parse, map, validate, detect changes, publish with
 * acks=all, commit the checkpoint in SQLite, move the file) vs kcat publishing the same file's
 * lines raw (acks=all, idempotence on) to a topic with the same partitions.
 */
import { linkSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, jsonDocument, runMeasured } from '../lib/proc.js';
import { CLI, failedSide, makeSide, type BenchContext, type RunJson } from '../lib/context.js';
import { uniqueTopic } from '../lib/kafka.js';
import type { ScenarioResult } from '../lib/result.js';
import { csvGatewayConfig, writeCsv } from './data.js';

export async function csvScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const s = ctx.settings;
  const dir = join(ctx.tmp, 'csv');
  mkdirSync(dir, { recursive: true });
  const source = join(dir, 'street-services-history.csv');
  const rows = s.csvRows;
  const { bytes } = await writeCsv(source, { cases: Math.max(1, Math.floor(rows / 4)) }, { rows });
  ctx.log(`csv: generated ${rows} rows, ${(bytes / 1024 / 1024).toFixed(1)} MiB`);

  const ours: number[] = [];
  const oursDetail: Record<string, unknown>[] = [];
  const peer: number[] = [];
  const peerDetail: Record<string, unknown>[] = [];
  for (let i = 0; i < s.repeats; i++) {
    const run = join(dir, `run-${i}`);
    const drop = join(run, 'drop');
    mkdirSync(drop, { recursive: true });
    // A hard link: the connector moves it to processed/ afterwards, the source stays for kcat.
    linkSync(source, join(drop, 'street-services-history.csv'));
    const topic = uniqueTopic('csv');
    await ctx.kafka.createTopic(topic, s.partitions);
    await ctx.kafka.createTopic(`${topic}.dead`, 1);
    const cfg = join(run, 'casebridge.yaml');
    writeFileSync(cfg, csvGatewayConfig({ kafka: { brokers: s.brokers, topic }, dropDir: drop, statePath: join(run, 'state.sqlite') }));
    const r = await runMeasured(process.execPath, [CLI, 'run', cfg, '--once', '--json', '--no-progress']);
    assertOk(r, 'casebridge run (csv)');
    const j = jsonDocument<RunJson>(r.stdout);
    const c = j.connectors[0]!;
    const stored = await ctx.kafka.countRecords(topic);
    if (c.published !== rows || stored !== rows) throw new Error(`csv: expected ${rows} events, casebridge reported ${c.published} and the topic holds ${stored}`);
    const rate = rows / (j.elapsedMs / 1000);
    ours.push(rate);
    oursDetail.push({ run: i + 1, 'rows/s': rate, 'wall s': r.wallSeconds, 'rows/s by wall clock': rows / r.wallSeconds, 'peak RSS MiB': r.maxRssMb ?? NaN });
    await ctx.kafka.deleteTopics([topic, `${topic}.dead`]);
    ctx.log(`csv run ${i + 1}: casebridge ${Math.round(rate)} rows/s`);

    if (s.kcatProblem) continue;
    const t2 = uniqueTopic('kcat');
    await ctx.kafka.createTopic(t2, s.partitions);
    const k = await runMeasured('kcat', ['-P', '-b', s.brokers.join(','), '-t', t2, '-X', 'enable.idempotence=true', '-X', 'acks=all', '-l', source]);
    assertOk(k, 'kcat -P');
    const lines = rows + 1;
    const got = await ctx.kafka.countRecords(t2);
    if (got !== lines) throw new Error(`kcat: topic ${t2} holds ${got} records, expected ${lines}`);
    peer.push(lines / k.wallSeconds);
    peerDetail.push({ run: i + 1, 'lines/s': lines / k.wallSeconds, 'wall s': k.wallSeconds, 'peak RSS MiB': k.maxRssMb ?? NaN });
    await ctx.kafka.deleteTopics([t2]);
    ctx.log(`csv run ${i + 1}: kcat ${Math.round(lines / k.wallSeconds)} lines/s`);
  }
  const cb = makeSide('casebridge run --once', 'rows/s', ours, oursDetail);
  const pe = s.kcatProblem ? failedSide('kcat -P raw lines', 'lines/s', s.kcatProblem) : makeSide('kcat -P raw lines', 'lines/s', peer, peerDetail);
  const ratio = cb.median / pe.median;
  return {
    id: 'csv',
    title: `CSV drop → Kafka, ${rows.toLocaleString('en-GB')} rows (${(bytes / 1024 / 1024).toFixed(0)} MiB)`,
    casebridge: cb,
    peer: pe,
    ratio: Number.isFinite(ratio) ? ratio : undefined,
    goal: { text: '≥ 0.5', met: Number.isFinite(ratio) ? ratio >= 0.5 : undefined },
    notes: [
      'Input: a street-services history export (10 quoted columns, UK dates), every row a new stage of one of rows/4 cases, so every row becomes one event.',
      "casebridge: the example's street-services mapping (JSONata filter, lookups, four date fields), encoding auto, batchSize 500 (default), after: move, Kafka binary CloudEvents. Rate = rows / the run's own elapsed time (publisher connect, topic check, read, publish, commits, move, close); node start-up (~0.3 s) is in the wall-clock figure shown per run.",
      'kcat: `kcat -P -l FILE -X acks=all -X enable.idempotence=true`, one record per line (header included), no key; rate = lines / wall clock of the kcat process.',
    ],
  };
}
