/**
 * `casebridge test`: every example config's fixtures pass through the real command, and a wrong
 * expectation fails with a readable diff and exit code 1.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const EXAMPLES = 'config/examples';
const tmp = mkdtempSync(join(tmpdir(), 'casebridge-config-tests-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs the command from source (node --import tsx), so it tests this tree whatever dist/ holds. */
async function casebridge(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env: { ...process.env, CASEBRIDGE_LOG_LEVEL: 'silent' }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

const examples = readdirSync(EXAMPLES, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(EXAMPLES, d.name, 'casebridge.yaml')))
  .map((d) => d.name);

describe('casebridge test over config/examples', () => {
  it('finds the CSV, SOAP and database examples', () => {
    expect(examples).toEqual(expect.arrayContaining(['street-services', 'waste-soap', 'housing-repairs-sql']));
  });

  for (const name of examples) {
    it(`${name}: every fixture passes`, async () => {
      const r = await casebridge(['test', join(EXAMPLES, name, 'casebridge.yaml')]);
      expect(r.stdout).toMatch(/\d+ file\(s\), (\d+) step\(s\): \1 passed, 0 failed\n$/);
      expect(r.stdout).not.toContain('FAIL');
      expect(r.code).toBe(0);
      // Each example proves something: at least one event, one skip and one reject.
      const fixtures = readdirSync(join(EXAMPLES, name, 'tests'), { recursive: true }).map(String).filter((f) => f.endsWith('.yaml'));
      const text = fixtures.map((f) => readFileSync(join(EXAMPLES, name, 'tests', f), 'utf8')).join('\n');
      expect(text).toMatch(/\n\s+expect:/);
      expect(text).toMatch(/\n\s+reject:/);
      expect(text).toMatch(/\n\s+skip:/);
    });
  }
});

describe('casebridge test failures', () => {
  function copyExample(name: string): string {
    const dir = join(tmp, `${name}-${Math.random().toString(36).slice(2)}`);
    cpSync(join(EXAMPLES, name), dir, { recursive: true });
    return dir;
  }

  it('prints a path-by-path diff and exits 1 when an expectation is wrong', async () => {
    const dir = copyExample('street-services');
    const f = join(dir, 'tests/street-cases/pothole-lifecycle.yaml');
    writeFileSync(f, readFileSync(f, 'utf8').replace('status: { lifecycle: resolved, code: "9", publicLabel: Fixed }', 'status: { lifecycle: closed, code: "9", publicLabel: Fixed }'));
    const r = await casebridge(['test', join(dir, 'casebridge.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAIL step 6 "fixed (stage 9), after the clocks went forward" (line 69)');
    expect(r.stdout).toContain('data.case.status.lifecycle\n           - expected: "closed"\n           + actual:   "resolved"');
    expect(r.stdout).toMatch(/10 step\(s\): 9 passed, 1 failed/);
  });

  it('says what came out instead when a reject or skip was expected, with the config line of the rule', async () => {
    const dir = copyExample('street-services');
    const f = join(dir, 'tests/street-cases/rejects.yaml');
    writeFileSync(f, readFileSync(f, 'utf8').replace('Stage: "12"', 'Stage: "3"'));
    const r = await casebridge(['test', join(dir, 'casebridge.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('expected a reject, got an event (created)');

    const g = join(dir, 'tests/street-cases/extra.yaml');
    writeFileSync(g, ['steps:', '  - input: { CRNo: "9", Stage: "77", History Date/Time: 13/03/2019 07:31, Event Type: New }', '    skip: unchanged', ''].join('\n'));
    const r2 = await casebridge(['test', join(dir, 'casebridge.yaml')]);
    const cfgLines = readFileSync(join(dir, 'casebridge.yaml'), 'utf8').split('\n');
    const line = cfgLines.findIndex((l) => l.includes('lookup: street-stages')) + 1;
    const column = cfgLines[line - 1]!.indexOf('street-stages') + 1;
    expect(r2.stdout).toContain(`expected no event (skip: unchanged), got a reject: unknown status code "77" in lookup table "street-stages" (connectors[0].mapping.status.lookup at ${join(dir, 'casebridge.yaml')}:${line}:${column})`);
  });

  it('reports an invalid fixture with its line, and a folder naming no connector', async () => {
    const dir = copyExample('street-services');
    writeFileSync(join(dir, 'tests/street-cases/bad.yaml'), ['steps:', '  - input: { CRNo: "1" }', '    expect: { type: created }', '    skip: filtered', ''].join('\n'));
    mkdirSync(join(dir, 'tests/street-caess'));
    const r = await casebridge(['test', join(dir, 'casebridge.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('line 2, steps[0]: each step needs exactly one of expect, reject or skip (found 2)');
    expect(r.stdout).toMatch(/ERROR .*street-caess: no connector named "street-caess" in this config \(have: street-cases\)/);
  });

  it('fails when there are no fixtures, and exits 2 on an invalid config', async () => {
    const dir = copyExample('waste-soap');
    rmSync(join(dir, 'tests'), { recursive: true });
    const r = await casebridge(['test', join(dir, 'casebridge.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ERROR no fixtures: .*tests does not exist/);

    const cfg = join(dir, 'casebridge.yaml');
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('lookup: waste-statuses', 'lookup: waste-statusez'));
    const r2 = await casebridge(['test', cfg]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('lookup table "waste-statusez" is not defined');
  });
});
