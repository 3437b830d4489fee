/**
 * The git ref the pipeline scenarios compare against ("the previous main"), built beside the
 * working tree: `git worktree add --detach` into .cache/bench-base/<sha>, node_modules symlinked
 * from the working tree, `npm run build`. Both builds then run interleaved in one bench
 * invocation, so load on a shared machine hits both alike and the ratio stays meaningful.
 *
 * BENCH_BASE_REF picks the ref (default: the commit in bench/base-ref, main before issue #16's
 * optimisations); BENCH_BASE_REF=none skips the comparison. The built tree is kept for the next
 * run (keyed by commit); BENCH_BASE_CLEAN=1 removes it afterwards.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const repoRoot = resolve(import.meta.dirname, '..', '..');

export interface BaseBuild {
  ref: string;
  sha: string;
  /** dist/cli/main.js of the base build. */
  cli: string;
  dir: string;
  dispose(): void;
}

const git = (args: string[], cwd = repoRoot) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

export function defaultBaseRef(): string {
  const file = resolve(repoRoot, 'bench/base-ref');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : 'main';
}

export function prepareBase(ref: string, log: (m: string) => void): BaseBuild {
  let sha: string;
  try {
    sha = git(['rev-parse', '--verify', `${ref}^{commit}`]);
  } catch (e) {
    throw new Error(`BENCH_BASE_REF=${ref}: not a commit in this repository (${(e as { stderr?: string }).stderr?.trim() ?? String(e)})`);
  }
  const dir = resolve(repoRoot, '.cache/bench-base', sha.slice(0, 12));
  const cli = join(dir, 'dist/cli/main.js');
  const marker = join(dir, '.bench-built');
  if (!existsSync(marker)) {
    if (!existsSync(join(dir, '.git'))) {
      mkdirSync(resolve(dir, '..'), { recursive: true });
      // A stale registration (folder deleted by hand) would make `worktree add` refuse.
      git(['worktree', 'prune']);
      log(`base: git worktree add ${dir} (${ref} = ${sha.slice(0, 12)})`);
      git(['worktree', 'add', '--detach', dir, sha]);
    }
    if (!existsSync(join(dir, 'node_modules'))) symlinkSync(resolve(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
    log('base: npm run build');
    try {
      execFileSync('npm', ['run', '--silent', 'build'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    } catch (e) {
      // tsc emits despite type errors (e.g. a dependency newer than the ref expects); only a missing CLI is fatal.
      if (!existsSync(cli)) throw new Error(`base ${ref}: npm run build produced no ${cli}: ${String((e as { stdout?: string }).stdout ?? e).slice(-1500)}`);
      log(`base: build reported errors but emitted ${cli}`);
    }
    writeFileSync(marker, `${sha}\n`);
  }
  return {
    ref,
    sha,
    cli,
    dir,
    dispose() {
      if (process.env.BENCH_BASE_CLEAN === '1') git(['worktree', 'remove', '--force', dir]);
    },
  };
}
