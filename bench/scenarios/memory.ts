/**
 * Scenario 4, memory: peak RSS of the whole CSV pipeline (`casebridge run --once` to Kafka) on a
 * small and a large generated file, measured by /usr/bin/time -v on the CLI process. Streaming
 * means the large file should cost no more than the small one plus a little.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, haveGnuTime, jsonDocument, runMeasured } from '../lib/proc.js';
import { CLI, makeSide, type BenchContext, type RunJson } from '../lib/context.js';
import { uniqueTopic } from '../lib/kafka.js';
import type { ScenarioResult } from '../lib/result.js';
import { csvGatewayConfig, writeCsv } from './data.js';

interface MemoryRun {
  mib: number;
  rows: number;
  peakRssMb: number;
  rowsPerSecond: number;
  seconds: number;
}

async function runSize(ctx: BenchContext, label: string, mib: number, notes: number): Promise<MemoryRun> {
  const s = ctx.settings;
  const run = join(ctx.tmp, 'memory', label);
  const drop = join(run, 'drop');
  mkdirSync(drop, { recursive: true });
  const file = join(drop, `street-services-history-${label}.csv`);
  // About 4 rows per case: the state store keeps one memory row per case, as in production.
  const approxRows = Math.ceil((mib * 1024 * 1024) / (130 + notes));
  const { rows } = await writeCsv(file, { cases: Math.max(1, Math.floor(approxRows / 4)), notes }, { bytes: mib * 1024 * 1024 });
  ctx.log(`memory: ${label} file ${mib} MiB, ${rows} rows`);
  const topic = uniqueTopic(`memory-${label}`);
  await ctx.kafka.createTopic(topic, s.partitions);
  await ctx.kafka.createTopic(`${topic}.dead`, 1);
  const cfg = join(run, 'casebridge.yaml');
  writeFileSync(cfg, csvGatewayConfig({ kafka: { brokers: s.brokers, topic }, dropDir: drop, statePath: join(run, 'state.sqlite') }));
  try {
    const r = await runMeasured(process.execPath, [CLI, 'run', cfg, '--once', '--json', '--no-progress']);
    assertOk(r, `casebridge run (memory, ${label})`);
    const j = jsonDocument<RunJson>(r.stdout);
    if (j.connectors[0]!.published !== rows) throw new Error(`memory ${label}: expected ${rows} events, got ${j.connectors[0]!.published}`);
    return { mib, rows, peakRssMb: r.maxRssMb ?? NaN, rowsPerSecond: rows / (j.elapsedMs / 1000), seconds: j.elapsedMs / 1000 };
  } finally {
    await ctx.kafka.deleteTopics([topic, `${topic}.dead`]);
    rmSync(run, { recursive: true, force: true });
  }
}

export async function memoryScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const s = ctx.settings;
  const notes = s.memoryNotes;
  const small = await runSize(ctx, 'small', s.memorySmallMb, notes);
  // A size in between shows whether peak RSS keeps climbing with the file or levels off.
  const mid = s.memoryMidMb > s.memorySmallMb && s.memoryMidMb < s.memoryLargeMb ? await runSize(ctx, 'mid', s.memoryMidMb, notes) : undefined;
  const large = await runSize(ctx, 'large', s.memoryLargeMb, notes);
  const row = (x: MemoryRun) => ({ 'file MiB': x.mib, rows: x.rows, 'peak RSS MiB': x.peakRssMb, 'rows/s': x.rowsPerSecond, seconds: x.seconds });
  const detail = (x: MemoryRun) => [row(x)];
  const ratio = large.peakRssMb / small.peakRssMb;
  return {
    id: 'memory',
    title: `Peak RSS, CSV pipeline, ${s.memoryLargeMb} MiB file vs ${s.memorySmallMb} MiB file`,
    casebridge: makeSide(`${s.memoryLargeMb} MiB file`, 'MiB', [large.peakRssMb], detail(large)),
    peer: makeSide(`${s.memorySmallMb} MiB file`, 'MiB', [small.peakRssMb], mid ? [row(small), { ...row(mid), note: 'middle size, for the trend' }] : detail(small)),
    ratio,
    goal: { text: 'large / small ≤ 1.2', met: Number.isFinite(ratio) ? ratio <= 1.2 : undefined },
    notes: [
      `One run per size. Peak RSS of the CLI process by ${haveGnuTime ? '/usr/bin/time -v' : '(missing /usr/bin/time: not measured)'}; the whole pipeline to Kafka, as scenario 2.`,
      notes
        ? `Rows carry an unmapped free-text Notes column of about ${notes} characters (wide exports are common), so the large file has ${large.rows.toLocaleString('en-GB')} rows; BENCH_MEMORY_NOTES=0 gives narrow rows.`
        : `Narrow rows (10 columns), so the large file has ${large.rows.toLocaleString('en-GB')} rows.`,
      'Files are generated in a temp folder and deleted afterwards.',
    ],
  };
}
