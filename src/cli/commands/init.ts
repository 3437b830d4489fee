import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../../core/errors.js';
import { EXIT } from '../exit-codes.js';
import { ExitError } from '../load.js';
import type { Preset } from '../presets.js';

interface InitOptions {
  preset?: string;
  list?: boolean;
  council?: string;
  councilName?: string;
  dir: string;
  force?: boolean;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

function listText(presets: Preset[]): string {
  return table([['PRESET', 'SUPPLIER', 'TRANSPORT', 'STATUS'], ...presets.map((p) => [p.meta.name, p.meta.supplier, p.meta.transport, p.meta.status])]);
}

function load(name: string, loadPreset: (name: string) => Preset): Preset {
  try {
    return loadPreset(name);
  } catch (err) {
    if (err instanceof ConfigError) throw new ExitError(EXIT.usage, err.message);
    throw err;
  }
}

export function registerInit(program: Command): void {
  program
    .command('init')
    .description("Start a config from a named supplier preset: a commented config, its mapping and `casebridge test` fixtures")
    .option('--preset <name>', 'preset to write (see --list)')
    .option('--list', 'list the presets with their transport and status')
    .option('--council <gss>', 'GSS code of your council, e.g. E09000019 (default: the preset\'s example council)')
    .option('--council-name <name>', 'your council\'s name, as residents know it')
    .option('--dir <dir>', 'folder to write into', '.')
    .option('--force', 'overwrite files that already exist')
    .action(async (opts: InitOptions) => {
      // Loaded here, not at the top, so `casebridge --help` and the other commands start without them.
      const [{ GssCode }, { listPresets, loadPreset, renderPresetFile }] = await Promise.all([import('../../event/case-event.js'), import('../presets.js')]);
      if (opts.list) {
        process.stdout.write(listText(listPresets()));
        return;
      }
      if (!opts.preset) throw new ExitError(EXIT.usage, `init needs --preset NAME (or --list); presets: ${listPresets().map((p) => p.meta.name).join(', ')}`);
      const preset = load(opts.preset, loadPreset);
      if (opts.council !== undefined && !GssCode.safeParse(opts.council).success) {
        throw new ExitError(EXIT.usage, `--council "${opts.council}" is not a GSS code: a letter and 8 digits, e.g. E09000019`);
      }
      const council = {
        gss: opts.council ?? preset.meta.council.gss,
        name: opts.councilName ?? (opts.council && opts.council !== preset.meta.council.gss ? `Council ${opts.council}` : preset.meta.council.name),
      };
      const dir = resolve(opts.dir);
      const existing = preset.files.filter((f) => existsSync(join(dir, f)));
      if (existing.length && !opts.force) {
        throw new ExitError(EXIT.usage, `${existing.map((f) => join(opts.dir, f)).join(', ')} already exist${existing.length === 1 ? 's' : ''}; nothing written (--force overwrites)`);
      }
      for (const f of preset.files) {
        const target = join(dir, f);
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, renderPresetFile(readFileSync(join(preset.dir, f), 'utf8'), council));
      }
      const fromCwd = relative(process.cwd(), dir);
      const rel = fromCwd === '' ? '.' : fromCwd.startsWith('..') ? dir : fromCwd;
      const config = join(rel, 'casebridge.yaml');
      const lines = [
        `${preset.meta.supplier} preset (${preset.meta.status}) written to ${rel}/ for ${council.name} (${council.gss}):`,
        ...preset.files.map((f) => `  ${join(rel, f)}`),
        '',
      ];
      const env = Object.entries(preset.meta.env);
      if (env.length) lines.push('Secrets it reads from the environment (never written in the file):', ...env.map(([k, v]) => `  ${k}  ${v}`), '');
      if (preset.meta.fillIn.length) lines.push('Fill in before going live:', ...preset.meta.fillIn.map((f) => `  - ${f}`), '');
      lines.push(
        'Next:',
        `  casebridge validate ${config} --allow-missing-secrets`,
        `  casebridge test ${config}`,
        `  casebridge run ${config} --once`,
        `Supplier notes: ${preset.meta.docs}`,
        '',
      );
      process.stdout.write(lines.join('\n'));
    });
}
