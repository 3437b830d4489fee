import type { Command } from 'commander';
import type { LoadedConfig } from '../../config/load.js';
import { ConfigError, ConfigProblemsError, describeError } from '../../core/errors.js';
import { EXIT } from '../exit-codes.js';
import { ExitError } from '../load.js';

type Finding = { file: string; line?: number; column?: number; path: string; message: string };

interface Result {
  file: string;
  valid: boolean;
  problems: Finding[];
  /** Secrets not set yet (--allow-missing-secrets): named, but not a reason to fail. */
  warnings?: Finding[];
  connectors?: { name: string; type: string; council: string }[];
}

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('Check config files: YAML, types, unknown keys, secret references (and with --live, the suppliers)')
    .argument('<config...>', 'config files')
    .option('--json', 'machine-readable result on stdout')
    .option('--live', 'also connect to each supplier and check tables, WSDLs and host keys')
    .option('--allow-missing-secrets', 'check the shape of a config whose ${env:…} / ${file:…} secrets do not exist yet; each missing one is a warning, not an error')
    .action(async (files: string[], opts: { json?: boolean; live?: boolean; allowMissingSecrets?: boolean }) => {
      if (opts.live && opts.allowMissingSecrets) throw new ExitError(EXIT.usage, '--live connects to the suppliers and needs the real secrets; drop --allow-missing-secrets');
      // Loaded here, not at the top, so `casebridge --help` and the other commands start without them.
      const [{ compileMapping }, { ConfigInvalidError, loadConfigFile }, { silentLogger }] = await Promise.all([import('../../normalize/compile-mapping.js'), import('../../config/load.js'), import('../../core/logger.js')]);
      const results: Result[] = [];
      for (const file of files) {
        try {
          const loaded = loadConfigFile(file, process.env, { allowMissingSecrets: opts.allowMissingSecrets === true });
          const result: Result = {
            file,
            valid: true,
            problems: [],
            ...(loaded.warnings?.length ? { warnings: loaded.warnings } : {}),
            connectors: loaded.config.connectors.map((c) => ({ name: c.name, type: c.type, council: c.council })),
          };
          // Compile every mapping too (no I/O): a JSONata expression that does not parse or an
          // unknown time zone is a config error council IT should see before going live.
          loaded.config.connectors.forEach((c, i) => {
            const council = loaded.config.councils.find((x) => x.gss === c.council)!;
            try {
              compileMapping(c.mapping, {
                connector: c.name,
                council: { gss: council.gss, name: council.name },
                system: c.system,
                ...(loaded.config.lookups ? { sharedLookups: loaded.config.lookups } : {}),
                configPath: `connectors[${i}].mapping`,
              });
            } catch (err) {
              const path = err instanceof ConfigError && typeof err.context.field === 'string' ? err.context.field : `connectors[${i}].mapping`;
              const at = loaded.locate?.(path);
              result.valid = false;
              result.problems.push({ file, ...(at ? { line: at.line, column: at.column } : {}), path, message: (err as Error).message.replace(`${path}: `, '') });
            }
          });
          if (opts.live) {
            // Only --live needs the gateway (and so the drivers of the kinds this config uses).
            const [{ createGateway }, { createStdoutPublisher }, { openSqliteStateStore }] = await Promise.all([
              import('../../runtime/gateway.js'),
              import('../../publish/stdout/index.js'),
              import('../../runtime/sqlite-state-store.js'),
            ]);
            const gw = await createGateway({ loaded, http: false, logger: silentLogger(), publisher: createStdoutPublisher(), stateStore: openSqliteStateStore(':memory:') });
            for (const r of gw.runners.values()) {
              try {
                await r.check();
              } catch (err) {
                result.valid = false;
                result.problems.push(...liveProblems(err, file, loaded, r.name));
              }
            }
            await gw.stop();
          }
          results.push(result);
        } catch (err) {
          if (err instanceof ConfigInvalidError) results.push({ file, valid: false, problems: err.problems, ...(err.warnings.length ? { warnings: err.warnings } : {}) });
          else results.push({ file, valid: false, problems: [{ file, path: '(config)', message: describeError(err) }] });
        }
      }
      if (opts.json) {
        process.stdout.write(JSON.stringify(results, null, 2) + '\n');
      } else {
        for (const r of results) {
          for (const w of r.warnings ?? []) {
            process.stderr.write(`warning  ${w.line ? `${w.file}:${w.line}:${w.column ?? 1}` : w.file}  ${w.path}: ${w.message}; checked with a placeholder\n`);
          }
          if (r.valid) {
            const kinds = (r.connectors ?? []).map((c) => `${c.name} (${c.type})`).join(', ');
            const pending = r.warnings?.length ? ` (${r.warnings.length} secret(s) still to set)` : '';
            process.stdout.write(`ok  ${r.file}: ${r.connectors?.length ?? 0} connector(s): ${kinds}${pending}\n`);
          } else {
            process.stderr.write(`invalid  ${r.file}: ${r.problems.length} problem(s)\n`);
            for (const p of r.problems) {
              const where = p.line ? `${p.file}:${p.line}:${p.column ?? 1}` : p.file;
              process.stderr.write(`  ${where}  ${p.path}: ${p.message}\n`);
            }
          }
        }
      }
      process.exitCode = results.every((r) => r.valid) ? EXIT.ok : EXIT.configInvalid;
    });
}

/** A live check's findings at the config lines they concern (connectors[1].list.args.APIKey at file:line:col). */
function liveProblems(err: unknown, file: string, loaded: LoadedConfig, connector: string): Result['problems'] {
  const index = loaded.config.connectors.findIndex((c) => c.name === connector);
  const at = (field: string | undefined, message: string) => {
    if (field === undefined || index < 0) return { file, path: `connectors.${connector}`, message };
    const path = `connectors[${index}].${field}`;
    const pos = loaded.locate?.(path);
    return { file, ...(pos ? { line: pos.line, column: pos.column } : {}), path, message };
  };
  if (err instanceof ConfigProblemsError) return err.problems.map((p) => at(p.field, p.message));
  const field = err instanceof ConfigError && typeof err.context.field === 'string' ? err.context.field : undefined;
  return [at(field, describeError(err))];
}
