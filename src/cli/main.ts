#!/usr/bin/env node
/**
 * The casebridge command. Each subcommand lives in commands/; errors that carry an exit code end
 * the process with one clear message and no stack trace.
 */
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { ConfigError, describeError } from '../core/errors.js';
import { registerFleet } from './commands/fleet.js';
import { registerForget } from './commands/forget.js';
import { registerInit } from './commands/init.js';
import { registerPreview } from './commands/preview.js';
import { registerRun } from './commands/run.js';
import { registerSchema } from './commands/schema.js';
import { registerState } from './commands/state.js';
import { registerTest } from './commands/test.js';
import { registerTrack } from './commands/track.js';
import { registerValidate } from './commands/validate.js';
import { EXIT } from './exit-codes.js';
import { applyHeapGrowth } from './heap-growth.js';
import { ExitError } from './load.js';
import { exitQuietlyOnClosedPipe } from './closed-pipe.js';
import { maskSecrets } from '../core/mask.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('casebridge')
    .description('Integration gateway for UK council case systems: supplier records in, CloudEvents case events out')
    .version(version)
    .showHelpAfterError()
    .exitOverride();
  registerInit(program);
  registerValidate(program);
  registerRun(program);
  registerPreview(program);
  registerSchema(program);
  registerTest(program);
  registerForget(program);
  registerTrack(program);
  registerState(program);
  registerFleet(program);
  return program;
}

async function main(): Promise<void> {
  const program = buildProgram();
  try {
    applyHeapGrowth();
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version "fail" with exit code 0.
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    if (err instanceof ExitError) {
      process.stderr.write(`casebridge: ${maskSecrets(err.message)}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    if (err instanceof ConfigError) {
      // Found after loading, e.g. a JSONata expression that does not compile or a table that does not exist.
      process.stderr.write(`casebridge: ${maskSecrets(describeError(err))}\n`);
      process.exitCode = EXIT.configInvalid;
      return;
    }
    process.stderr.write(`casebridge: ${maskSecrets(describeError(err))}\n`);
    if (process.env.CASEBRIDGE_DEBUG) process.stderr.write(`${maskSecrets(String((err as Error).stack))}\n`);
    process.exitCode = EXIT.internal;
  }
}

process.on('unhandledRejection', (reason) => {
  // A library's stray rejection must not kill a gateway serving other councils; log it loudly.
  process.stderr.write(`casebridge: unhandled rejection: ${maskSecrets(describeError(reason))}\n`);
});

exitQuietlyOnClosedPipe(process.stdout);
exitQuietlyOnClosedPipe(process.stderr);

await main();
