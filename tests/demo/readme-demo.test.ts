/**
 * The README's account of `npm run demo` is what the demo prints: the summary block in the quick
 * start and the numbers in the sentence under it are compared with a real run of the demo config
 * (copied to a temp folder, so the repository's config/demo/var is left alone). When the demo's
 * counts change — a change to event identity or change detection — this test says which README
 * numbers to update.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const REPO = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'cb-readme-demo-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The quick start's printed summary: the code block that follows `npm run demo`. */
function readmeSummary(readme: string): string[] {
  const start = readme.indexOf('npm ci && npm run demo');
  expect(start, 'the quick start runs `npm ci && npm run demo`').toBeGreaterThan(-1);
  const block = /```\n(connector[\s\S]*?)```/.exec(readme.slice(start));
  expect(block, 'a summary block after the demo command').not.toBeNull();
  return block![1]!.trimEnd().split('\n');
}

/** Seconds differ from run to run; everything else must match. */
function withoutTimes(lines: string[]): string[] {
  return lines.map((l) => l.replace(/\s+[\d.]+$/, '').replace(/ in [\d.]+s$/, ''));
}

describe('README quick start', () => {
  it('shows the summary the demo prints, and its sentence gives the same numbers', { timeout: 120_000 }, () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    cpSync(join(REPO, 'config/demo'), work, { recursive: true, filter: (src) => !src.includes('/var') });
    // What `npm run demo` runs (package.json "demo"), on the copy.
    expect(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).scripts.demo).toBe('node dist/cli/main.js run config/demo/casebridge.yaml --once');
    const r = runCli(['run', join(work, 'casebridge.yaml'), '--once', '--no-progress']);
    expect(r.status, r.stderr).toBe(0);
    const printed = r.stdout.trimEnd().split('\n');
    expect(withoutTimes(readmeSummary(readme)), 'README quick start summary block').toEqual(withoutTimes(printed));

    const row = /^islington-street-services\s+ok\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(r.stdout)!;
    const [read, published, , skipped] = row.slice(1).map(Number) as [number, number, number, number];
    const by = (label: string) => Number(new RegExp(`(\\d+) ${label}`).exec(r.stdout)?.[1] ?? 0);
    const sentence = /of\s+their\s+(\d+)\s+rows\s+(\d+)\s+are[\s\S]*?;\s+(\d+)\s+repeat[\s\S]*?;\s+and\s+(\d+)\s+are\s+older[\s\S]*?:\s+(\d+)\s+events/.exec(readme);
    expect(sentence, 'the sentence under the summary').not.toBeNull();
    const [rows, ignored, repeats, older, events] = sentence!.slice(1).map(Number);
    expect({ rows, ignored, repeats, older, events }).toEqual({
      rows: read,
      ignored: by('excluded by the mapping filter'),
      repeats: by('repeats of a version already published'),
      older: by('older than the version already published'),
      events: published,
    });
    expect(ignored! + repeats! + older!).toBe(skipped);
  });
});
