/**
 * Start-up: `casebridge --help` (this tree, and the base ref's build) beside `node -e 0`, each
 * run BENCH_STARTUP_RUNS times, interleaved; wall clock of the whole process. What it shows is how
 * much the CLI loads before it can print its usage (every connector driver, when loaded eagerly).
 */
import { assertOk, runMeasured } from '../lib/proc.js';
import { CLI, makeSide, type BenchContext } from '../lib/context.js';
import type { ScenarioResult } from '../lib/result.js';

export async function startupScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const s = ctx.settings;
  const ms = { help: [] as number[], base: [] as number[], node: [] as number[], validateRss: [] as number[] };
  const helpRss: number[] = [];
  const nodeRss: number[] = [];
  for (let i = 0; i < s.startupRuns; i++) {
    const n = await runMeasured(process.execPath, ['-e', '0']);
    assertOk(n, 'node -e 0');
    ms.node.push(n.wallSeconds * 1000);
    nodeRss.push(n.maxRssMb ?? NaN);
    const h = await runMeasured(process.execPath, [CLI, '--help']);
    assertOk(h, 'casebridge --help');
    ms.help.push(h.wallSeconds * 1000);
    helpRss.push(h.maxRssMb ?? NaN);
    if (ctx.base) {
      const b = await runMeasured(process.execPath, [ctx.base.cli, '--help']);
      assertOk(b, 'casebridge --help (base)');
      ms.base.push(b.wallSeconds * 1000);
    }
  }
  const cb = makeSide('casebridge --help', 'ms', ms.help, [{ 'peak RSS MiB (median run)': helpRss.sort((a, b) => a - b)[helpRss.length >> 1] }, ...(ctx.base ? [{ [`base ${ctx.base.sha.slice(0, 12)} --help ms`]: ms.base.map((x) => Math.round(x)).join(' ') }] : [])]);
  const pe = makeSide('node -e 0', 'ms', ms.node, [{ 'peak RSS MiB (median run)': nodeRss.sort((a, b) => a - b)[nodeRss.length >> 1] }]);
  const ratio = cb.median / pe.median;
  return {
    id: 'startup',
    title: `Start-up, casebridge --help vs node -e 0 (${s.startupRuns} runs each)`,
    casebridge: cb,
    peer: pe,
    ratio,
    goal: { text: 'reference (lower is better)', met: undefined },
    notes: [
      `Wall clock of the whole process, spawn to exit, interleaved. Base build's --help median: ${ctx.base ? `${Math.round(ms.base.sort((a, b) => a - b)[ms.base.length >> 1]!)} ms` : 'not run'}.`,
    ],
  };
}
