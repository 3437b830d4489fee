/**
 * Child processes for measurements: every figure comes from a fresh process so one run's JIT,
 * heap and page cache state does not flatter the next, and peak RSS is that process's own.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall clock from spawn to exit, seconds. */
  wallSeconds: number;
  /** Peak resident set size in MiB from /usr/bin/time -v, when available. */
  maxRssMb: number | undefined;
  /** User + system CPU seconds of the child (all its threads) from /usr/bin/time -v, when available. */
  cpuSeconds: number | undefined;
}

const TIME = '/usr/bin/time';
export const haveGnuTime = existsSync(TIME);

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the child (SIGKILL) after this many ms; the result then has signal set. */
  timeoutMs?: number;
}

/** Run cmd under /usr/bin/time -v (when present) and collect its output, wall time and peak RSS. */
export function runMeasured(cmd: string, args: string[], opts: RunOptions = {}): Promise<ChildResult> {
  const [file, argv] = haveGnuTime ? [TIME, ['-v', cmd, ...args]] : [cmd, args];
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn(file, argv, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      // Keep only the tail: a noisy child must not fill the orchestrator's memory.
      if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
    });
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const wallSeconds = (performance.now() - t0) / 1000;
      const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
      const user = /User time \(seconds\): ([\d.]+)/.exec(stderr);
      const sys = /System time \(seconds\): ([\d.]+)/.exec(stderr);
      const cpuSeconds = user && sys ? Number(user[1]) + Number(sys[1]) : undefined;
      resolvePromise({ code, signal, stdout, stderr, wallSeconds, maxRssMb: m ? Number(m[1]) / 1024 : undefined, cpuSeconds });
    });
  });
}

/** The child's exit status as GNU time reports it is the child's own; fail with its stderr tail. */
export function assertOk(r: ChildResult, what: string): void {
  if (r.code === 0) return;
  const tail = r.stderr
    .split('\n')
    .filter((l) => !/^\s+(Command being timed|User time|System time|Percent of CPU|Elapsed|Average|Maximum|Minor|Major|Voluntary|Involuntary|Swaps|File system|Socket|Signals|Page size|Exit status)/.test(l))
    .slice(-15)
    .join('\n');
  throw new Error(`${what} failed (exit ${r.code ?? r.signal}):\n${tail}\n${r.stdout.slice(-2000)}`);
}

/** The last JSON object a child printed on stdout (scenario children print one result line). */
export function lastJson<T>(stdout: string): T {
  const line = stdout
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.trim().startsWith('{'));
  if (!line) throw new Error(`no JSON result in output:\n${stdout.slice(-2000)}`);
  return JSON.parse(line) as T;
}

/** Parse the JSON document a child printed (possibly spanning lines, as `casebridge run --json` does). */
export function jsonDocument<T>(stdout: string): T {
  const start = stdout.indexOf('{');
  if (start < 0) throw new Error(`no JSON in output:\n${stdout.slice(-2000)}`);
  return JSON.parse(stdout.slice(start)) as T;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Process CPU (all threads, start-up included) per row in µs; NaN when /usr/bin/time could not say. */
export function cpuPerRow(cpuSeconds: number | undefined, rows: number): number {
  return cpuSeconds === undefined || rows <= 0 ? NaN : (cpuSeconds * 1e6) / rows;
}
