import { createReadStream, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { LedgerEntry } from '../../connectors/file/index.js';
import { EXIT } from '../exit-codes.js';
import { ExitError, loadOrExit } from '../load.js';

function sha256File(path: string): Promise<string> {
  return new Promise((res, rej) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('end', () => res(h.digest('hex')))
      .on('error', rej);
  });
}

/**
 * The processed-file ledger recognises a file by its content, so a file rejected because of a
 * config mistake would be set aside as a duplicate when dropped again. `forget` removes its entry
 * (rejected files only, unless --force) so the next drop is read afresh.
 */
export function registerForget(program: Command): void {
  program
    .command('forget')
    .description("Remove files from a file connector's processed-file ledger so that dropping them again reads them again")
    .argument('<config>', 'config file')
    .argument('<connector>', 'file connector name')
    .argument('<file...>', 'copies of the files to forget (e.g. from the rejected folder); matched by content')
    .option('--force', 'also forget files that were processed (their events will be published again, with the same ids)')
    .option('--json', 'machine-readable result')
    .action(async (file: string, name: string, files: string[], opts: { force?: boolean; json?: boolean }) => {
      // Loaded here, not at the top, so `casebridge --help` and the other commands start without them.
      const { LEDGER_NAMESPACE } = await import('../../connectors/file/ledger.js');
      const { config, baseDir } = await loadOrExit(file);
      const connector = config.connectors.find((c) => c.name === name);
      if (!connector) throw new ExitError(EXIT.usage, `no connector named "${name}" in ${file} (have: ${config.connectors.map((c) => c.name).join(', ')})`);
      if (connector.type !== 'file') throw new ExitError(EXIT.usage, `connector "${name}" is a ${connector.type} connector; only file connectors keep a ledger`);
      if (config.state.type === 'sqlite') {
        const statePath = resolve(baseDir, config.state.path);
        if (!existsSync(statePath)) throw new ExitError(EXIT.failed, `no state store at ${statePath}: nothing has been read yet`);
      }
      // Loaded here, not at the top, so `casebridge --help` and the other commands start without it.
      const { openStateStore } = await import('../../runtime/state/open-state-store.js');
      const store = await openStateStore(config.state, { baseDir });
      const state = store.forConnector(name);
      const results: { file: string; sha256: string; outcome: string; forgotten: boolean; note: string }[] = [];
      try {
        for (const f of files) {
          const sha256 = await sha256File(f);
          const entry = await state.get<LedgerEntry>(LEDGER_NAMESPACE, sha256);
          if (!entry) {
            results.push({ file: f, sha256, outcome: 'unknown', forgotten: false, note: 'not in the ledger: it will be read when dropped' });
          } else if (entry.outcome === 'processed' && !opts.force) {
            results.push({ file: f, sha256, outcome: entry.outcome, forgotten: false, note: `processed as ${entry.name} at ${entry.finishedAt}; use --force to read it again` });
          } else {
            await state.commit({ writes: [{ op: 'delete', namespace: LEDGER_NAMESPACE, key: sha256 }] });
            results.push({ file: f, sha256, outcome: entry.outcome, forgotten: true, note: `was ${entry.outcome} as ${entry.name}${entry.reason ? ` (${entry.reason})` : ''}` });
          }
        }
      } finally {
        await store.close();
      }
      if (opts.json) process.stdout.write(JSON.stringify(results, null, 2) + '\n');
      else for (const r of results) process.stdout.write(`${r.forgotten ? 'forgotten' : 'kept     '}  ${r.file}: ${r.note}\n`);
      process.exitCode = results.every((r) => r.forgotten || r.outcome === 'unknown') ? EXIT.ok : EXIT.failed;
    });
}
