/** The file kind: CSV exports dropped in a local folder, or on a real SFTP server (tests/file/sftp-server.ts). */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../file/harness.js';
import { startSftpServer } from '../../file/sftp-server.js';
import { freePort } from '../../push/helpers.js';
import { newRefs, SIMPLE_MAPPING, type LiveSupplier, type SourceKind } from './types.js';

let files = 0;
/** One export file of `refs`, named so name order is drop order. */
function drop(folder: string, refs: string[]): void {
  const rows = refs.map((ref, i) => `${ref},OPEN,2025-11-03T09:${String(i % 60).padStart(2, '0')}:00Z`);
  writeFileSync(join(folder, `export-${String(++files).padStart(5, '0')}.csv`), ['ref,status,updated', ...rows].join('\n') + '\n');
}

function fileConnector(batchSize: number, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    name: 'compliance-file',
    type: 'file',
    council: 'E09000019',
    system: { supplier: 'Street services' },
    batchSize,
    pattern: '*.csv',
    order: 'name',
    format: { type: 'csv' },
    ready: { stableFor: '0s' },
    mapping: SIMPLE_MAPPING,
    ...extra,
  };
}

export const localFolder: SourceKind = {
  name: 'file (local folder)',
  rereads: 'none',
  checkpoint: 'position',
  async start(n, batchSize): Promise<LiveSupplier> {
    const t = tempDir('cb-compliance-file-');
    const inbox = join(t.dir, 'inbox');
    mkdirSync(inbox);
    const refs = newRefs('FL', n);
    drop(inbox, refs);
    return {
      connector: fileConnector(batchSize, { path: inbox }),
      refs,
      async add(k) {
        const more = newRefs('FL', k);
        drop(inbox, more);
        return more;
      },
      async unreachable() {
        // The share went away after start-up: listing it fails, and it may come back.
        const gone = join(t.dir, 'unmounted-share');
        return { connector: fileConnector(batchSize, { path: gone }) };
      },
      misconfigured() {
        const notAFolder = join(t.dir, 'a-file.txt');
        writeFileSync(notAFolder, 'not a folder');
        return { connector: fileConnector(batchSize, { path: notAFolder }) };
      },
      async teardown() {
        t.cleanup();
      },
    };
  },
};

export const sftpFolder: SourceKind = {
  name: 'file (SFTP)',
  rereads: 'none',
  checkpoint: 'position',
  async start(n, batchSize): Promise<LiveSupplier> {
    const t = tempDir('cb-compliance-sftp-');
    const root = join(t.dir, 'server');
    const outbox = join(root, 'outbox');
    mkdirSync(outbox, { recursive: true });
    const server = await startSftpServer({ root, username: 'council', password: 's3cret-pass' });
    const sftp = (port: number) => ({ host: '127.0.0.1', port, username: 'council', password: '${env:SFTP_PASSWORD}', hostKey: server.fingerprint, reconnect: { initial: '50ms', max: '200ms', attempts: 2 } });
    const env = { SFTP_PASSWORD: 's3cret-pass' };
    const refs = newRefs('SF', n);
    drop(outbox, refs);
    return {
      connector: fileConnector(batchSize, { path: 'outbox', sftp: sftp(server.port) }),
      env,
      refs,
      async add(k) {
        const more = newRefs('SF', k);
        drop(outbox, more);
        return more;
      },
      async unreachable() {
        return { connector: fileConnector(batchSize, { path: 'outbox', sftp: sftp(await freePort()) }), env };
      },
      misconfigured() {
        return { connector: fileConnector(batchSize, { path: 'outbox', sftp: sftp(server.port) }), env: { SFTP_PASSWORD: 'wrong-password' } };
      },
      async teardown() {
        await server.close();
        rmSync(t.dir, { recursive: true, force: true });
      },
    };
  },
};
