/**
 * The layering in .dependency-cruiser.cjs holds for src/ with no exceptions, and the check really
 * fails when a module imports upwards (a copy of the rules run over a small tree that breaks them).
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '../..');
const depcruise = join(repo, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

async function cruise(cwd: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await run(process.execPath, [depcruise, 'src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], { cwd });
    return { code: 0, output: stdout };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? 1, output: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

const temps: string[] = [];
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'casebridge-imports-'));
  temps.push(dir);
  cpSync(join(repo, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } }));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

describe('import layering', () => {
  it('src/ follows every rule, with no exceptions', { timeout: 120_000 }, async () => {
    const { code, output } = await cruise(repo);
    expect(output).toContain('no dependency violations found');
    expect(code).toBe(0);
  });

  it('fails on an upward import, naming the rule and both files', { timeout: 60_000 }, async () => {
    const dir = tree({
      'src/runtime/pipeline.ts': 'export const pipeline = 1;\n',
      'src/core/errors.ts': "import { pipeline } from '../runtime/pipeline.js';\nexport const e = pipeline;\n",
    });
    const { code, output } = await cruise(dir);
    expect(code).not.toBe(0);
    expect(output).toMatch(/core-imports-only-itself: src\/core\/errors\.ts → src\/runtime\/pipeline\.ts/);
  });

  it('fails when one connector kind imports another, or anything imports the CLI', { timeout: 60_000 }, async () => {
    const dir = tree({
      'src/connectors/rest/config.ts': 'export const rest = 1;\n',
      'src/connectors/push/config.ts': "import { rest } from '../rest/config.js';\nexport const push = rest;\n",
      'src/cli/main.ts': 'export const cli = 1;\n',
      'src/runtime/gateway.ts': "import { cli } from '../cli/main.js';\nexport const g = cli;\n",
    });
    const { code, output } = await cruise(dir);
    expect(code).not.toBe(0);
    expect(output).toContain('connector-kinds-stay-in-their-folder: src/connectors/push/config.ts → src/connectors/rest/config.ts');
    expect(output).toContain('only-the-cli-imports-the-cli: src/runtime/gateway.ts → src/cli/main.ts');
  });
});
