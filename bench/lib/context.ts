/** What every scenario gets from the orchestrator. */
import { resolve } from 'node:path';
import type { BaseBuild } from './base-build.js';
import type { BenchKafka } from './kafka.js';
import { repoRoot, type Settings } from './settings.js';
import type { Side } from './result.js';
import { median } from './stats.js';

export interface BenchContext {
  settings: Settings;
  kafka: BenchKafka;
  /** A temp folder of this bench run; removed at the end. */
  tmp: string;
  log(message: string): void;
  /** The base ref's build, when BENCH_BASE_REF is not 'none' and it built. */
  base?: BaseBuild;
  /** Why there is no base build. */
  baseProblem?: string;
}

export const CLI = resolve(repoRoot, 'dist/cli/main.js');
export const TSX = ['--import', 'tsx'];
export const scenarioScript = (name: string) => resolve(repoRoot, 'bench/scenarios', name);

export function makeSide(label: string, unit: string, runs: number[], detail?: Record<string, unknown>[]): Side {
  return { label, unit, runs, median: median(runs), ...(detail ? { detail } : {}) };
}

export function failedSide(label: string, unit: string, error: string): Side {
  return { label, unit, runs: [], median: NaN, error };
}

/** Summary of `casebridge run --once --json`. */
export interface RunJson {
  connectors: { connector: string; status: string; read: number; published: number; deadLettered: number; skipped: number; error?: string }[];
  elapsedMs: number;
}
