/**
 * `npm run bench` (through bench/run.sh, which prepares the broker, kcat and the build): runs
 * each scenario and its peer on the same broker and the same data, in turn, BENCH_REPEATS times,
 * and writes bench/results/latest.md and latest.json. See docs/performance.md.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { benchKafka } from './lib/kafka.js';
import { machineInfo } from './lib/machine.js';
import { renderMarkdown, type BenchReport, type ScenarioResult } from './lib/result.js';
import { loadSettings, repoRoot, type ScenarioId } from './lib/settings.js';
import type { BenchContext } from './lib/context.js';
import { csvScenario } from './scenarios/csv.js';
import { fileLatencyScenario, sqlLatencyScenario } from './scenarios/latency.js';
import { memoryScenario } from './scenarios/memory.js';
import { publishScenario } from './scenarios/publish.js';
import { sqlScenario } from './scenarios/sql.js';
import { startupScenario } from './scenarios/startup.js';
import { prepareBase } from './lib/base-build.js';
import { trackIngestScenario, trackLookupScenario } from './scenarios/track.js';

const settings = loadSettings();
const started = new Date();
const log = (m: string) => process.stderr.write(`[bench ${((Date.now() - started.getTime()) / 1000).toFixed(0).padStart(4)}s] ${m}\n`);

async function postgresVersion(url: string): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  try {
    await c.connect();
    const { rows } = await c.query<{ v: string }>("SELECT current_setting('server_version') AS v");
    return `PostgreSQL ${rows[0]!.v.split(' ')[0]}`;
  } catch (e) {
    return `PostgreSQL unreachable at ${url}: ${(e as Error).message}`;
  } finally {
    await c.end().catch(() => undefined);
  }
}

const machine = machineInfo({ kafkaVersion: settings.kafkaVersion, postgres: await postgresVersion(settings.pgUrl) });
const kafka = await benchKafka(settings.brokers);
const tmp = mkdtempSync(join(settings.tmp, 'casebridge-bench-'));
const ctx: BenchContext = { settings, kafka, tmp, log };
if (settings.baseRef !== 'none' && settings.scenarios.some((x) => x === 'csv' || x === 'sql' || x === 'startup')) {
  try {
    ctx.base = prepareBase(settings.baseRef, log);
    log(`base: ${ctx.base.ref} = ${ctx.base.sha} at ${ctx.base.dir}`);
  } catch (e) {
    ctx.baseProblem = (e as Error).message.slice(0, 400);
    log(`base: ${ctx.baseProblem}`);
  }
}

const runners: Record<ScenarioId, ((c: BenchContext) => Promise<ScenarioResult | ScenarioResult[]>)[]> = {
  startup: [startupScenario],
  publish: [publishScenario],
  csv: [csvScenario],
  sql: [sqlScenario],
  memory: [memoryScenario],
  latency: [fileLatencyScenario, sqlLatencyScenario],
  track: [trackIngestScenario, trackLookupScenario],
};

const scenarios: ScenarioResult[] = [];
let failed = false;
try {
  for (const id of settings.scenarios) {
    for (const run of runners[id]) {
      log(`scenario ${run.name.replace(/Scenario$/, '')}`);
      try {
        scenarios.push(...[await run(ctx)].flat());
      } catch (e) {
        // One broken scenario must not hide the others' figures; the table says what failed.
        failed = true;
        const message = (e as Error).message.split('\n').slice(0, 6).join(' ').slice(0, 600);
        log(`scenario ${id} failed: ${(e as Error).stack ?? message}`);
        scenarios.push({
          id,
          title: `${id} (failed)`,
          casebridge: { label: 'casebridge', unit: '', runs: [], median: NaN, error: message },
          peer: { label: 'peer', unit: '', runs: [], median: NaN, error: 'not reached' },
          ratio: undefined,
          goal: { text: 'n/a', met: false },
          notes: [],
        });
      }
    }
  }
} finally {
  await kafka.close();
  ctx.base?.dispose();
  rmSync(tmp, { recursive: true, force: true });
}

machine.loadAverageAtEnd = os.loadavg().map((x) => Math.round(x * 100) / 100);
const finished = new Date();
const { kafkaClasspath: _cp, connectClasspath: _ccp, kcatProblem, tmp: _tmp, ...shown } = settings;
const report: BenchReport = {
  startedAt: started.toISOString(),
  finishedAt: finished.toISOString(),
  durationSeconds: (finished.getTime() - started.getTime()) / 1000,
  machine,
  settings: { ...shown, ...(kcatProblem ? { kcatProblem } : {}) },
  scenarios,
};
const outDir = resolve(process.env.BENCH_RESULTS_DIR ?? join(repoRoot, 'bench/results'));
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'latest.json'), JSON.stringify(report, null, 2) + '\n');
const md = renderMarkdown(report);
writeFileSync(join(outDir, 'latest.md'), md + '\n');
process.stdout.write(md + '\n');
log(`wrote ${join(outDir, 'latest.md')} and latest.json`);
process.exitCode = failed ? 1 : 0;
