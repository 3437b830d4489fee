import { cpSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaseEvent } from '../../src/event/case-event.js';
import { runCli } from '../helpers/cli.js';

describe('casebridge preview', () => {
  it('prints normalized events and changes nothing: no log, no state, no file moved', () => {
    const work = mkdtempSync(join(tmpdir(), 'cb-preview-'));
    cpSync('config/demo', work, { recursive: true, filter: (src) => !src.includes('/var') });
    const before = readdirSync(join(work, 'exports')).sort();
    const r = runCli(['preview', join(work, 'casebridge.yaml'), 'islington-street-services', '--limit', '4', '--json']);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(4);
    for (const l of lines) expect(CaseEvent.safeParse(l).success).toBe(true);
    expect(r.stderr).toContain('nothing published or committed');
    expect(existsSync(join(work, 'var'))).toBe(false);
    expect(readdirSync(join(work, 'exports')).sort()).toEqual(before);
  });

  it('names the connectors that exist when given a wrong one, and rejects a bad --limit', () => {
    const r = runCli(['preview', 'config/demo/casebridge.yaml', 'nope']);
    expect(r.status).toBe(64);
    expect(r.stderr).toContain('no connector named "nope"');
    expect(r.stderr).toContain('have: islington-street-services');
    expect(runCli(['preview', 'config/demo/casebridge.yaml', 'islington-street-services', '--limit', 'x']).status).toBe(64);
  });
});
