import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { sourceFactories } from '../../connectors/registry.js';
import { compileMapping } from '../../normalize/compile-mapping.js';
import { systemClock } from '../../runtime/clock.js';
import { describeError } from '../../runtime/errors.js';
import { createLogger } from '../../runtime/logger.js';
import { prepareBatch } from '../../runtime/pipeline.js';
import { openSqliteStateStore } from '../../runtime/sqlite-state-store.js';
import type { ConnectorState } from '../../runtime/state-store.js';
import { EXIT } from '../exit-codes.js';
import { ExitError, loadOrExit } from '../load.js';

/**
 * Preview reads for real but changes nothing: no publish, no checkpoint, no ack (so no file is
 * moved and no supplier is told anything was received).
 */
function readOnly(state: ConnectorState): ConnectorState {
  return {
    connector: state.connector,
    checkpoint: () => state.checkpoint(),
    get: (ns, key) => state.get(ns, key),
    entries: (ns) => state.entries(ns),
    commit: () => {
      throw new Error('preview never commits');
    },
  };
}

export function registerPreview(program: Command): void {
  program
    .command('preview')
    .description('Fetch and normalize records from one connector and print the events; publishes and commits nothing')
    .argument('<config>', 'config file')
    .argument('<connector>', 'connector name')
    .option('-n, --limit <n>', 'stop after this many records', '20')
    .option('--json', 'one JSON object per line: events, and dead letters as {"deadLetter": …}')
    .option('--from-start', 'ignore the committed checkpoint and read from the beginning')
    .action(async (file: string, name: string, opts: { limit: string; json?: boolean; fromStart?: boolean }) => {
      const loaded = loadOrExit(file);
      const { config, baseDir } = loaded;
      const index = config.connectors.findIndex((c) => c.name === name);
      const connector = config.connectors[index];
      if (!connector) throw new ExitError(EXIT.usage, `no connector named "${name}" in ${file} (have: ${config.connectors.map((c) => c.name).join(', ')})`);
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new ExitError(EXIT.usage, `--limit takes a positive whole number, not ${opts.limit}`);
      const council = config.councils.find((c) => c.gss === connector.council)!;
      const statePath = resolve(baseDir, config.state.path);
      const store = openSqliteStateStore(existsSync(statePath) ? statePath : ':memory:');
      const state = readOnly(store.forConnector(name));
      const logger = createLogger({ level: 'warn' });
      const normalize = compileMapping(connector.mapping, {
        connector: name,
        council: { gss: council.gss, name: council.name },
        system: connector.system,
        ...(config.lookups ? { sharedLookups: config.lookups } : {}),
        configPath: `connectors[${index}].mapping`,
        configFile: file,
        ...(loaded.locate ? { locate: loaded.locate } : {}),
      });
      const source = sourceFactories[connector.type]!(connector, { connector: name, clock: systemClock, logger, state, baseDir });
      const abort = new AbortController();
      let seen = 0;
      let events = 0;
      let dead = 0;
      let skipped = 0;
      try {
        await source.check?.();
        for await (const batch of source.read({ checkpoint: opts.fromStart ? undefined : state.checkpoint(), signal: abort.signal })) {
          const room = limit - seen;
          const records = batch.records.slice(0, room);
          const prepared = await prepareBatch({ ...batch, records, snapshot: undefined }, { connector: name, council, normalize, state, clock: systemClock });
          seen += records.length + (batch.rejects?.length ?? 0);
          events += prepared.events.length;
          dead += prepared.deadLetters.length;
          skipped += prepared.result.skipped;
          for (const e of prepared.events) process.stdout.write(opts.json ? JSON.stringify(e.event) + '\n' : `${JSON.stringify(e.event, null, 2)}\n`);
          for (const d of prepared.deadLetters) {
            process.stdout.write(opts.json ? JSON.stringify({ deadLetter: d }) + '\n' : `DEAD LETTER ${d.position.file ?? d.position.table ?? d.position.operation ?? ''}${d.position.line ? `:${d.position.line}` : ''}: ${d.reason}\n`);
          }
          if (seen >= limit) break;
        }
      } catch (err) {
        throw new ExitError(EXIT.failed, `preview of ${name} failed: ${describeError(err)}`);
      } finally {
        abort.abort();
        await source.close();
        store.close();
      }
      process.stderr.write(`preview ${name}: ${seen} record(s) read, ${events} event(s), ${dead} dead letter(s), ${skipped} skipped — nothing published or committed\n`);
    });
}
