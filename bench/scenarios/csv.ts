/**
 * Scenario 2, CSV drop → Kafka: the whole pipeline through the CLI (`casebridge run --once`:
 * detect the file, hash it for the ledger, parse, map, validate, detect changes, publish with
 * acks=all, commit the checkpoint in SQLite, move the file), interleaved in every repeat with
 *   - the same pipeline built from the base ref (BENCH_BASE_REF), the "previous main";
 *   - a bare Node baseline (bare-csv-kafka.ts: csv-parse → JSON → kafkajs, same record shape);
 *   - kcat and Kafka Connect FileStreamSource publishing the file's raw lines.
 * Base and head swap places every repeat so neither always runs first on a loaded machine.
 */
import { linkSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, cpuPerRow, jsonDocument, lastJson, runMeasured } from '../lib/proc.js';
import { CLI, TSX, failedSide, makeSide, scenarioScript, type BenchContext, type RunJson } from '../lib/context.js';
import { uniqueTopic } from '../lib/kafka.js';
import type { ScenarioResult, Side } from '../lib/result.js';
import { median } from '../lib/stats.js';
import { runConnect } from './connect.js';
import { csvGatewayConfig, writeCsv } from './data.js';

interface Series {
  runs: number[];
  detail: Record<string, unknown>[];
}
const series = (): Series => ({ runs: [], detail: [] });

async function casebridgeRun(ctx: BenchContext, cli: string, source: string, rows: number, dir: string): Promise<{ rate: number; detail: Record<string, unknown> }> {
  const s = ctx.settings;
  const drop = join(dir, 'drop');
  mkdirSync(drop, { recursive: true });
  // A hard link: the connector moves it to processed/ afterwards, the source stays for the next run.
  linkSync(source, join(drop, 'street-services-history.csv'));
  const topic = uniqueTopic('csv');
  await ctx.kafka.createTopic(topic, s.partitions);
  await ctx.kafka.createTopic(`${topic}.dead`, 1);
  const cfg = join(dir, 'casebridge.yaml');
  writeFileSync(cfg, csvGatewayConfig({ kafka: { brokers: s.brokers, topic }, dropDir: drop, statePath: join(dir, 'state.sqlite') }));
  try {
    const r = await runMeasured(process.execPath, [cli, 'run', cfg, '--once', '--json', '--no-progress']);
    assertOk(r, `casebridge run (csv, ${cli})`);
    const j = jsonDocument<RunJson>(r.stdout);
    const c = j.connectors[0]!;
    const stored = await ctx.kafka.countRecords(topic);
    if (c.published !== rows || stored !== rows) throw new Error(`csv: expected ${rows} events, ${cli} reported ${c.published} and the topic holds ${stored}`);
    const rate = rows / (j.elapsedMs / 1000);
    return { rate, detail: { 'rows/s': rate, 'wall s': r.wallSeconds, 'rows/s by wall clock': rows / r.wallSeconds, 'CPU µs/row': cpuPerRow(r.cpuSeconds, rows), 'peak RSS MiB': r.maxRssMb ?? NaN } };
  } finally {
    await ctx.kafka.deleteTopics([topic, `${topic}.dead`]);
  }
}

export async function csvScenario(ctx: BenchContext): Promise<ScenarioResult[]> {
  const s = ctx.settings;
  const dir = join(ctx.tmp, 'csv');
  mkdirSync(dir, { recursive: true });
  const source = join(dir, 'street-services-history.csv');
  const rows = s.csvRows;
  const lines = rows + 1;
  const { bytes } = await writeCsv(source, { cases: Math.max(1, Math.floor(rows / 4)) }, { rows });
  ctx.log(`csv: generated ${rows} rows, ${(bytes / 1024 / 1024).toFixed(1)} MiB`);

  const head = series();
  const base = series();
  const bare = series();
  const kcat = series();
  const connectSteady = series();
  const connectStart = series();
  const connectProblem = s.connectProblem;
  let connectError: string | undefined;
  for (let i = 0; i < s.repeats; i++) {
    const run = join(dir, `run-${i}`);
    const order: ('head' | 'base')[] = i % 2 === 0 ? ['base', 'head'] : ['head', 'base'];
    for (const which of order) {
      if (which === 'base' && !ctx.base) continue;
      const r = await casebridgeRun(ctx, which === 'head' ? CLI : ctx.base!.cli, source, rows, join(run, which));
      const into = which === 'head' ? head : base;
      into.runs.push(r.rate);
      into.detail.push({ run: i + 1, ...r.detail });
      ctx.log(`csv run ${i + 1}: ${which} ${Math.round(r.rate)} rows/s`);
    }
    if (!s.csvPeers) continue;

    const t1 = uniqueTopic('bare');
    await ctx.kafka.createTopic(t1, s.partitions);
    const b = await runMeasured(process.execPath, [...TSX, scenarioScript('bare-csv-kafka.ts'), '--file', source, '--topic', t1, '--brokers', s.brokers.join(',')]);
    assertOk(b, 'bare csv → kafka');
    const bj = lastJson<{ rows: number; perSecond: number }>(b.stdout);
    const got = await ctx.kafka.countRecords(t1);
    if (bj.rows !== rows || got !== rows) throw new Error(`bare baseline: ${bj.rows} rows read, topic holds ${got}, expected ${rows}`);
    bare.runs.push(bj.perSecond);
    bare.detail.push({ run: i + 1, 'rows/s': bj.perSecond, 'wall s': b.wallSeconds, 'CPU µs/row': cpuPerRow(b.cpuSeconds, rows), 'peak RSS MiB': b.maxRssMb ?? NaN });
    await ctx.kafka.deleteTopics([t1]);
    ctx.log(`csv run ${i + 1}: bare node ${Math.round(bj.perSecond)} rows/s`);

    if (!s.kcatProblem) {
      const t2 = uniqueTopic('kcat');
      await ctx.kafka.createTopic(t2, s.partitions);
      const k = await runMeasured('kcat', ['-P', '-b', s.brokers.join(','), '-t', t2, '-X', 'enable.idempotence=true', '-X', 'acks=all', '-l', source]);
      assertOk(k, 'kcat -P');
      const n = await ctx.kafka.countRecords(t2);
      if (n !== lines) throw new Error(`kcat: topic ${t2} holds ${n} records, expected ${lines}`);
      kcat.runs.push(lines / k.wallSeconds);
      kcat.detail.push({ run: i + 1, 'lines/s': lines / k.wallSeconds, 'wall s': k.wallSeconds, 'peak RSS MiB': k.maxRssMb ?? NaN });
      await ctx.kafka.deleteTopics([t2]);
    }

    if (!connectProblem) {
      try {
        const cdir = join(run, 'connect');
        mkdirSync(cdir, { recursive: true });
        const c = await runConnect(ctx, source, lines, cdir);
        connectSteady.runs.push(c.steadyPerSecond);
        connectSteady.detail.push({ run: i + 1, 'lines/s': c.steadyPerSecond, delivered: c.lines, 'spawn to first record s': c.startSeconds });
        connectStart.runs.push(c.withStartPerSecond);
        connectStart.detail.push({ run: i + 1, 'lines/s': c.withStartPerSecond, 'spawn to first record s': c.startSeconds });
        ctx.log(`csv run ${i + 1}: Kafka Connect ${Math.round(c.steadyPerSecond)} lines/s steady, ${Math.round(c.withStartPerSecond)} with start-up`);
      } catch (e) {
        // One failed run is reported, and the next repeat tries again.
        connectError = (e as Error).message.split('\n').slice(0, 4).join(' ').slice(0, 400);
        ctx.log(`csv: Kafka Connect failed: ${(e as Error).message}`);
      }
    }
  }

  const size = `${rows.toLocaleString('en-GB')} rows (${(bytes / 1024 / 1024).toFixed(0)} MiB)`;
  const cb = makeSide('casebridge run --once (this tree)', 'rows/s', head.runs, head.detail);
  const results: ScenarioResult[] = [];
  const result = (id: string, title: string, peer: Side, goal: number | undefined, notes: string[], perRun?: number[]): ScenarioResult => {
    // Interleaved runs: the ratio of each repeat's pair, then the median, cancels load drifting over time.
    const ratio = perRun && perRun.length ? median(perRun) : cb.median / peer.median;
    return {
      id,
      title,
      casebridge: cb,
      peer,
      ratio: Number.isFinite(ratio) ? ratio : undefined,
      goal: goal === undefined ? { text: 'reference', met: undefined } : { text: `≥ ${goal.toFixed(1)}`, met: Number.isFinite(ratio) ? ratio >= goal : undefined },
      notes,
    };
  };
  const pairs = (other: number[]) => other.map((x, i) => head.runs[i]! / x).filter(Number.isFinite);
  const common =
    "casebridge: the example's street-services mapping (JSONata filter, lookups, four date fields), encoding auto, batchSize 500 (default), after: move, Kafka binary CloudEvents, SQLite state. Rate = rows / the run's own elapsed time (publisher connect, topic check, read, publish, commits, move, close); node start-up is in the wall-clock figure shown per run.";
  const input = 'Input: a street-services history export (10 quoted columns, UK dates), every row a new stage of one of rows/4 cases, so every row becomes one event.';
  results.push(
    result(
      'csv-base',
      `CSV drop → Kafka, ${size}, vs ${ctx.base ? `base ${ctx.base.ref.slice(0, 12)}` : 'base ref'}`,
      ctx.base ? makeSide(`same, built from ${ctx.base.sha.slice(0, 12)}`, 'rows/s', base.runs, base.detail) : failedSide('base ref', 'rows/s', ctx.baseProblem ?? 'BENCH_BASE_REF=none'),
      2,
      [input, common, `Base: ${ctx.base ? `${ctx.base.ref} = ${ctx.base.sha}` : 'none'}, built in a git worktree beside this one with the same node_modules; base and this tree alternate first place; ratio = median of the per-repeat ratios.`],
      ctx.base ? pairs(base.runs) : undefined,
    ),
  );
  if (!s.csvPeers) return results;
  results.push(
    result('csv-bare', `CSV drop → Kafka, ${size}, vs bare Node baseline`, makeSide('csv-parse → JSON → kafkajs', 'rows/s', bare.runs, bare.detail), 1, [
      'Bare baseline (bench/scenarios/bare-csv-kafka.ts): csv-parse with columns → a JSON value shaped like the event data (same keys, 9 CloudEvents headers, case key) → kafkajs sendBatch of 500, acks=all, idempotent, awaited in turn; no mapping library, validation, state, ledger, move or real ids. Timed from producer connect to the last acknowledgement.',
      cpuNote(head.detail, bare.detail),
    ], pairs(bare.runs)),
  );
  results.push(
    result(
      'csv-connect',
      `CSV file → Kafka raw lines, Kafka Connect FileStreamSource, steady state`,
      connectSteady.runs.length === 0 ? failedSide('Kafka Connect 4.1.1 FileStreamSource', 'lines/s', connectProblem ?? connectError ?? 'not run') : makeSide('Kafka Connect 4.1.1 FileStreamSource', 'lines/s', connectSteady.runs, connectSteady.detail),
      undefined,
      [
        'Kafka Connect standalone (connect-runtime + connect-file 4.1.1 from Maven Central, bench/connect/pom.xml), StringConverter, producer acks=all, idempotent, one task, default batch.size; every line (header included) is one record without a key. Steady state = (lines − 1) / (last − first broker LogAppendTime). Raw lines: no parsing, mapping or state, so this is a ceiling, not a goal.',
        ...(connectError && connectSteady.runs.length ? [`${s.repeats - connectSteady.runs.length} of ${s.repeats} Connect runs failed; the last error: ${connectError}`] : []),
      ],
    ),
    result(
      'csv-connect-start',
      `CSV file → Kafka raw lines, Kafka Connect FileStreamSource, with its start-up`,
      connectStart.runs.length === 0 ? failedSide('Kafka Connect 4.1.1 FileStreamSource', 'lines/s', connectProblem ?? connectError ?? 'not run') : makeSide('Kafka Connect 4.1.1 FileStreamSource (JVM start included)', 'lines/s', connectStart.runs, connectStart.detail),
      undefined,
      ['Rate = lines / (last LogAppendTime − spawn of the JVM); casebridge\'s side is its own elapsed time (its node start-up, ~0.3 s, is shown per run as wall clock).'],
    ),
  );
  if (!s.kcatProblem) {
    results.push(
      result('csv-kcat', `CSV file → Kafka raw lines, kcat`, makeSide('kcat -P raw lines', 'lines/s', kcat.runs, kcat.detail), undefined, [
        'kcat: `kcat -P -l FILE -X acks=all -X enable.idempotence=true`, one record per line (header included), no key; rate = lines / wall clock of the kcat process.',
      ]),
    );
  }
  return results;
}

/**
 * The two programs' CPU per row, medians over the repeats: the rates alone cannot tell a pipeline
 * that waits from one that is busy. Process CPU covers every thread and the start-up (the bare
 * script's includes tsx compiling it, about 0.3 s of CPU).
 */
function cpuNote(head: Record<string, unknown>[], bare: Record<string, unknown>[]): string {
  const cpu = (rows: Record<string, unknown>[]) => median(rows.map((r) => r['CPU µs/row']).filter((x): x is number => typeof x === 'number' && Number.isFinite(x)));
  const [a, b] = [cpu(head), cpu(bare)];
  if (!Number.isFinite(a) || !Number.isFinite(b)) return 'CPU per row: not measured (needs /usr/bin/time).';
  return `CPU per row (user + system, all threads, start-up included; medians): casebridge ${Math.round(a)} µs, bare baseline ${Math.round(b)} µs (${(b / a).toFixed(2)}×).`;
}
