/**
 * `casebridge schema | head`: when the reader closes the pipe early the command stops quietly —
 * exit 0, no EPIPE stack trace — whichever command was writing.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';

const REPO = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'cb-pipe-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Reads the first chunk of stdout, then closes the pipe the way `head -c` does. */
function readFirstChunkThenClose(args: string[]): Promise<{ status: number | null; signal: string | null; stderr: string; firstChunk: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let firstChunk = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', (d: Buffer) => {
      firstChunk = d.toString();
      child.stdout.destroy();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', fail);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      done({ status, signal, stderr, firstChunk });
    });
  });
}

describe('a closed stdout pipe', () => {
  it.each([
    ['schema', () => ['schema']],
    ['preview --json', () => {
      const dir = join(work, 'demo');
      cpSync(join(REPO, 'config/demo'), dir, { recursive: true, filter: (src) => !src.includes('/var') });
      return ['preview', join(dir, 'casebridge.yaml'), 'islington-street-services', '--json', '--limit', '1000'];
    }],
  ])('%s ends quietly with exit 0', { timeout: 90_000 }, async (_name, args) => {
    const r = await readFirstChunkThenClose(args());
    expect(r.firstChunk.length).toBeGreaterThan(0);
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled 'error' event|\n\s+at /);
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
  });
});
