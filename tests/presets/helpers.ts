/**
 * A preset end to end, as council IT would use it: `init --preset` into a temp folder, fill in the
 * addresses (here: the simulator's), `validate`, `test`, then `run --once`, reading back the
 * events the local log holds and checking each against the CaseEvent contract.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { CaseEvent } from '../../src/event/case-event.js';
import { runCli, spawnCli, type CliResult } from '../helpers/cli.js';
import { readEventLog } from '../helpers/event-log.js';

export interface PresetRun {
  dir: string;
  config: string;
  events: CaseEvent[];
  run: CliResult;
}

export function initPreset(preset: string, args: string[] = []): { dir: string; config: string; init: CliResult } {
  const dir = mkdtempSync(join(tmpdir(), `cb-preset-${preset}-`));
  const init = runCli(['init', '--preset', preset, '--dir', dir, ...args]);
  expect(init.status, init.stderr).toBe(0);
  return { dir, config: join(dir, 'casebridge.yaml'), init };
}

/** What the council fills in: each `from` text must be in the written config. */
export function fillIn(config: string, replacements: [string, string][]): void {
  let text = readFileSync(config, 'utf8');
  for (const [from, to] of replacements) {
    expect(text, `the preset config should contain ${from}`).toContain(from);
    text = text.replaceAll(from, to);
  }
  writeFileSync(config, text);
}

export function validateAndTest(config: string, env: NodeJS.ProcessEnv): void {
  const validate = runCli(['validate', config], { env });
  expect(validate.status, validate.stdout + validate.stderr).toBe(0);
  // The fixtures need no secrets and no supplier.
  const test = runCli(['test', config], { env: {} });
  expect(test.status, test.stdout + test.stderr).toBe(0);
  expect(test.stdout).toMatch(/\d+ step\(s\): \d+ passed, 0 failed/);
}

/** Without blocking this process: the simulators answer from it. */
export async function runCliAsync(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  const child = spawnCli(args, { env });
  const status = await new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  await new Promise((r) => setImmediate(r));
  return { status, ...child.output() };
}

export async function runOnce(dir: string, config: string, env: NodeJS.ProcessEnv): Promise<PresetRun> {
  const run = await runCliAsync(['run', config, '--once'], env);
  expect(run.status, run.stdout + run.stderr).toBe(0);
  const raw = readEventLog(join(dir, 'var/events'));
  const events = raw.map((e, i) => {
    const parsed = CaseEvent.safeParse(e);
    expect(parsed.success, `event ${i}: ${parsed.success ? '' : JSON.stringify(parsed.error.issues)}`).toBe(true);
    return parsed.data as CaseEvent;
  });
  return { dir, config, events, run };
}
