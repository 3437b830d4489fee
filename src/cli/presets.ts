/**
 * Named supplier presets: one folder per preset under presets/ (shipped in the package), holding
 * preset.yaml (what it is) and the files `casebridge init --preset` writes (a commented config
 * and its fixtures). Adding a preset is adding a folder; no code changes.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';

/** presets/ beside src/ and dist/, so the same path works from tsx and from the built package. */
export const PRESETS_DIR = fileURLToPath(new URL('../../presets/', import.meta.url));

export const PresetMeta = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes'),
    supplier: z.string().min(1).describe('Supplier and product as councils know it, e.g. Bartec Collective'),
    transport: z.string().min(1).describe('How casebridge reads it, e.g. SOAP (separate authentication service)'),
    status: z.enum(['ready', 'beta', 'draft']).describe('ready: tested end to end against a simulator of the real shape; beta: same, with known gaps; draft: shape only'),
    summary: z.string().min(1),
    council: z.object({ gss: z.string().min(1), name: z.string().min(1) }).strict().describe('Example council written when --council is not given'),
    env: z.record(z.string().regex(/^[A-Z][A-Z0-9_]*$/), z.string().min(1)).default({}).describe('Each ${env:NAME} the config references, and what it holds'),
    fillIn: z.array(z.string().min(1)).default([]).describe('What the council must fill in besides secrets (addresses, codes)'),
    docs: z.string().min(1).describe('Path of the supplier page, relative to the repository'),
  })
  .strict();
export type PresetMeta = z.infer<typeof PresetMeta>;

export interface Preset {
  meta: PresetMeta;
  dir: string;
  /** Files to write, relative to the target folder (forward slashes). */
  files: string[];
}

/** Text a preset's files use where the council goes. */
export const COUNCIL_GSS = '%COUNCIL_GSS%';
export const COUNCIL_NAME = '%COUNCIL_NAME%';

function walk(dir: string, root: string, out: string[]): string[] {
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path, root, out);
    else out.push(relative(root, path).split(sep).join('/'));
  }
  return out;
}

export function loadPreset(name: string, presetsDir = PRESETS_DIR): Preset {
  const dir = join(presetsDir, name);
  const metaFile = join(dir, 'preset.yaml');
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name) || !existsSync(metaFile)) {
    const known = listPresets(presetsDir).map((p) => p.meta.name);
    throw new ConfigError(`unknown preset "${name}"; known presets: ${known.join(', ') || 'none'} (casebridge init --list)`, { context: { field: 'preset' } });
  }
  const parsed = PresetMeta.safeParse(parseYaml(readFileSync(metaFile, 'utf8')));
  if (!parsed.success) {
    throw new ConfigError(`${metaFile}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`, { context: { file: metaFile } });
  }
  if (parsed.data.name !== name) throw new ConfigError(`${metaFile}: name is "${parsed.data.name}" but the folder is "${name}"`, { context: { file: metaFile } });
  const files = walk(dir, dir, []).filter((f) => f !== 'preset.yaml');
  return { meta: parsed.data, dir, files };
}

export function listPresets(presetsDir = PRESETS_DIR): Preset[] {
  if (!existsSync(presetsDir)) return [];
  return readdirSync(presetsDir)
    .filter((d) => existsSync(join(presetsDir, d, 'preset.yaml')))
    .sort()
    .map((d) => loadPreset(d, presetsDir));
}

/** A preset file with the council filled in. */
export function renderPresetFile(text: string, council: { gss: string; name: string }): string {
  return text.replaceAll(COUNCIL_GSS, council.gss).replaceAll(COUNCIL_NAME, council.name);
}
