/** `casebridge init`: listing, unknown names, refusing to overwrite, the council code. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listPresets } from '../../src/cli/presets.js';
import { runCli } from '../helpers/cli.js';

describe('casebridge init', () => {
  it('--list shows every preset folder with its transport and status', () => {
    const r = runCli(['init', '--list']);
    expect(r.status).toBe(0);
    const presets = listPresets();
    expect(presets.length).toBeGreaterThan(0);
    for (const p of presets) expect(r.stdout).toMatch(new RegExp(`^${p.meta.name}\\s+.*${p.meta.status}$`, 'm'));
  });

  it('an unknown preset is a usage error naming the known ones', () => {
    const r = runCli(['init', '--preset', 'bartek']);
    expect(r.status).toBe(64);
    expect(r.stderr).toContain('unknown preset "bartek"; known presets: ');
    expect(r.stderr).toContain('bartec');
  });

  it('a council code that is not a GSS code is refused before anything is written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-init-'));
    const r = runCli(['init', '--preset', 'bartec', '--dir', dir, '--council', 'Peterborough']);
    expect(r.status).toBe(64);
    expect(r.stderr).toContain('--council "Peterborough" is not a GSS code');
  });

  it('writes the council in, refuses to overwrite, and overwrites with --force', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-init-'));
    const first = runCli(['init', '--preset', 'bartec', '--dir', dir, '--council', 'E09000019', '--council-name', 'Islington']);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain('BARTEC_PASSWORD');
    const config = join(dir, 'casebridge.yaml');
    const text = readFileSync(config, 'utf8');
    expect(text).toContain('gss: E09000019');
    expect(text).toContain('name: Islington');
    expect(text).not.toContain('%COUNCIL');

    writeFileSync(config, '# my edits\n');
    const again = runCli(['init', '--preset', 'bartec', '--dir', dir]);
    expect(again.status).toBe(64);
    expect(again.stderr).toMatch(/casebridge\.yaml.* already exist.*--force overwrites/);
    expect(readFileSync(config, 'utf8')).toBe('# my edits\n');

    const forced = runCli(['init', '--preset', 'bartec', '--dir', dir, '--force']);
    expect(forced.status, forced.stderr).toBe(0);
    expect(readFileSync(config, 'utf8')).toContain('type: soap');
  });

  it('every preset validates and passes its own fixtures straight after init', { timeout: 180_000 }, () => {
    for (const p of listPresets()) {
      const dir = mkdtempSync(join(tmpdir(), `cb-init-${p.meta.name}-`));
      expect(runCli(['init', '--preset', p.meta.name, '--dir', dir]).status).toBe(0);
      const config = join(dir, 'casebridge.yaml');
      const v = runCli(['validate', config, '--allow-missing-secrets']);
      expect(v.status, `${p.meta.name}: ${v.stdout}${v.stderr}`).toBe(0);
      const t = runCli(['test', config]);
      expect(t.status, `${p.meta.name}: ${t.stdout}${t.stderr}`).toBe(0);
    }
  });
});
