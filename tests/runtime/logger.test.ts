import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { createLogger } from '../../src/core/logger.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  return { lines, destination };
}

describe('structured logs', () => {
  it('mask secrets resolved from ${env:…} wherever they appear, and secret-named keys', () => {
    const secret = 'S3cr3t-Passw0rd-for-sftp';
    parseConfigText(
      `version: 1
councils: [{ gss: E09000019, name: Islington }]
connectors:
  - name: c
    type: file
    council: E09000019
    system: { supplier: X }
    path: ./in
    format: { type: csv }
    mapping:
      reference: ref
      personalSalt: \${env:CB_LOG_TEST_SECRET}
      status: { code: s, lookup: t }
      lookups: { t: { entries: { a: { status: received } } } }
`,
      'log-test.yaml',
      '.',
      { CB_LOG_TEST_SECRET: secret },
    );
    const { lines, destination } = capture();
    const log = createLogger({ level: 'info', destination });
    log.warn(`supplier said: login failed for password ${secret}`);
    log.info({ sftp: { password: 'another-one', host: 'h' } }, 'connecting');
    const text = lines.join('\n');
    expect(text).not.toContain(secret);
    expect(text).not.toContain('another-one');
    expect(text).toContain('[REDACTED]');
    const first = JSON.parse(lines[0]!) as { level: string; time: string; msg: string };
    expect(first.level).toBe('warn');
    expect(first.time).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });
});
