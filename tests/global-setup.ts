/**
 * CLI tests run the real built command (dist/cli/main.js), so build first when any source file
 * is newer than the last build.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

export default function setup(): void {
  const built = 'dist/cli/main.js';
  if (existsSync(built) && statSync(built).mtimeMs >= newestMtime('src')) return;
  try {
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  } catch {
    // tsc still emits JavaScript on type errors; `npm test` type-checks separately and fails on them.
    if (!existsSync(built)) throw new Error('build failed: dist/cli/main.js was not produced');
    process.stderr.write('warning: the build reported type errors (see above); testing the emitted JavaScript\n');
  }
}
