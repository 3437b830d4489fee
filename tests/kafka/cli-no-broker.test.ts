/**
 * `casebridge run` against a broker that is not running: one clear line per attempt, no stack
 * trace, and it keeps retrying until stopped (then it stops cleanly).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/cli.js';
import { brokers, freePort, REPO } from './helpers.js';

describe('casebridge run with no broker listening', () => {
  it('prints one clear line per attempt, no stack trace, and keeps retrying', async () => {
    brokers(); // same precondition as every Kafka suite
    const port = await freePort();
    const work = mkdtempSync(join(tmpdir(), 'cb-nobroker-'));
    const config = readFileSync(join(REPO, 'config/demo/casebridge.yaml'), 'utf8').replace(
      /publisher:\n  type: local-log\n  dir: \.\/var\/events\n/,
      `publisher:\n  type: kafka\n  brokers: ["127.0.0.1:${port}"]\n  connectionTimeout: 1s\n`,
    );
    expect(config).toContain(`127.0.0.1:${port}`);
    writeFileSync(join(work, 'casebridge.yaml'), config);
    writeFileSync(join(work, 'exports.keep'), '');

    const child = spawnCli(['run', join(work, 'casebridge.yaml')], { cwd: work });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    // Two or more attempts (backoff starts at 1 s), bounded wait.
    const deadline = Date.now() + 45_000;
    const attempts = () => child.output().stderr.split('\n').filter((l) => l.includes('ECONNREFUSED'));
    while (attempts().length < 3 && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    expect(child.exitCode, `it gave up: ${child.output().stderr}`).toBeNull();
    child.kill('SIGTERM');
    const code = await exited;
    const { stdout, stderr } = child.output();

    const lines = attempts();
    expect(lines.length, stderr).toBeGreaterThanOrEqual(3);
    for (const line of lines) {
      // Each attempt is one line that names the broker and says it will retry.
      expect(line).toContain(`127.0.0.1:${port}`);
      expect(line).toMatch(/retrying in \d/);
      expect(line).not.toContain('kafkajs');
    }
    expect(stderr + stdout).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
    expect(stderr).not.toMatch(/KafkaJS\w*Error/);
    expect(code).not.toBeNull();
    rmSync(work, { recursive: true, force: true });
  }, 90_000);
});
