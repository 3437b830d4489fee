/** Each JSON log line carries the `connector` key once (file-connector lines used to carry it twice). */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const REPO = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'cb-log-keys-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('file connector log lines', () => {
  it('name the connector exactly once', { timeout: 90_000 }, () => {
    cpSync(join(REPO, 'config/demo'), work, { recursive: true, filter: (src) => !src.includes('/var') });
    const r = runCli(['run', join(work, 'casebridge.yaml'), '--once', '--log-level', 'info', '--no-progress']);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('{'));
    const fileLines = lines.filter((l) => l.includes('"kind":"file"'));
    expect(fileLines.length, r.stderr).toBeGreaterThan(0);
    for (const l of lines) {
      const keys = l.match(/"connector":/g) ?? [];
      expect(keys.length, l).toBeLessThanOrEqual(1);
      if (l.includes('"kind":"file"')) expect((JSON.parse(l) as { connector?: string }).connector).toBe('islington-street-services');
    }
  });
});
