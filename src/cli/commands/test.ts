import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { LoadedConfig } from '../../config/load.js';
import { ConfigError, describeError } from '../../core/errors.js';
import { EXIT } from '../exit-codes.js';
import { ExitError } from '../load.js';

/**
 * Config tests need no secrets: they never connect to anything. A missing ${env:NAME} is replaced
 * by a placeholder (and said so), so a council can run them on a laptop or in CI.
 */
function envWithPlaceholders(missing: Set<string>): NodeJS.ProcessEnv {
  return new Proxy(process.env, {
    get(target, key) {
      const v = target[key as string];
      if (typeof key === 'string' && (v === undefined || v === '')) {
        missing.add(key);
        return `casebridge-test-placeholder-${key}`;
      }
      return v;
    },
  });
}

export function registerTest(program: Command): void {
  program
    .command('test')
    .description('Run the fixtures next to a config (tests/<connector>/*.yaml) through its mappings and change detection; no supplier or broker needed')
    .argument('<config>', 'config file')
    .option('--fixtures <dir>', 'folder holding one sub-folder per connector (default: tests/ next to the config)')
    .option('-c, --connector <name>', 'only this connector')
    .option('--show', 'print what every step produced (handy when writing a new fixture)')
    .action(async (file: string, opts: { fixtures?: string; connector?: string; show?: boolean }) => {
      // Loaded here, not at the top, so `casebridge --help` and the other commands start without them.
      const { ConfigInvalidError, loadConfigFile } = await import('../../config/load.js');
      const missing = new Set<string>();
      let loaded: LoadedConfig;
      try {
        loaded = loadConfigFile(file, envWithPlaceholders(missing));
      } catch (err) {
        if (err instanceof ConfigInvalidError) throw new ExitError(EXIT.configInvalid, `${file}: invalid config\n${err.message}`);
        if (err instanceof ConfigError) throw new ExitError(EXIT.configInvalid, describeError(err));
        throw err;
      }
      if (missing.size) process.stderr.write(`note: ${[...missing].sort().join(', ')} not set; placeholders used (config tests connect to nothing)\n`);
      const dir = opts.fixtures ? resolve(opts.fixtures) : join(loaded.baseDir, 'tests');
      // Loaded here, not at the top, so `casebridge --help` and the other commands start without it.
      const { formatSuite, runConfigTests } = await import('../../runtime/fixtures.js');
      let suite;
      try {
        suite = await runConfigTests(loaded.config, { dir, ...(opts.connector ? { connector: opts.connector } : {}), configFile: file, ...(loaded.locate ? { locate: loaded.locate } : {}) });
      } catch (err) {
        if (err instanceof ConfigError) throw new ExitError(EXIT.configInvalid, `${file}: ${describeError(err)}`);
        throw err;
      }
      process.stdout.write(formatSuite(suite, { cwd: process.cwd(), ...(opts.show ? { show: true } : {}) }));
      process.exitCode = suite.failed === 0 && suite.errors.length === 0 ? EXIT.ok : EXIT.failed;
    });
}
