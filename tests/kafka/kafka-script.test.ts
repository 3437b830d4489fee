/**
 * scripts/kafka/kafka.sh formats KRaft storage with a random base64url cluster id; one id in 64
 * begins with "-", which the storage tool once read as an option and the broker never started.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function formatWith(clusterId: string) {
  const dir = mkdtempSync(join(tmpdir(), 'cb-kafka-format-'));
  dirs.push(dir);
  // Ports are only written into server.properties; formatting opens no socket.
  const env = { ...process.env, KAFKA_STATE_DIR: dir, KAFKA_PORT: '1', KAFKA_CLUSTER_ID: clusterId };
  return { dir, done: run('bash', ['scripts/kafka/kafka.sh', 'format'], { env, timeout: 120_000 }) };
}

describe('kafka.sh format', () => {
  it('formats storage with a cluster id that begins with "-"', async () => {
    const id = '-bc9C5e-ddkpBObQONiglg';
    const { dir, done } = formatWith(id);
    const { stdout } = await done;
    expect(stdout.trim()).toBe(id);
    expect(readFileSync(join(dir, 'data', 'meta.properties'), 'utf8')).toContain(`cluster.id=${id}\n`);
  }, 120_000);
});
