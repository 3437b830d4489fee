import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { LoadedConfig } from '../../config/load.js';
import type { ConnectorConfig } from '../../config/schema.js';
import type { SourceFactory } from '../../core/source.js';
import type { DeadLetter } from '../../core/dead-letter.js';
import type { OutgoingCaseEvent } from '../../normalize/build-event.js';
import type { RunSummary } from '../../runtime/connector-runner.js';
import { describeError } from '../../core/errors.js';
import type { StateStore } from '../../core/state-store.js';
import { EXIT } from '../exit-codes.js';
import { ExitError, loadOrExit } from '../load.js';
import type { PreviewLimit } from '../preview-parts.js';

interface PreviewOptions {
  limit: string;
  json?: boolean;
  fromStart?: boolean;
}

/**
 * Preview runs the connector exactly as `run --once` does — the same gateway, runner and pipeline —
 * with three parts swapped: a publisher that prints instead of publishing, a state store that keeps
 * commits in memory (so a record repeated by an overlapping read is skipped as `run` skips it), and
 * batches whose ack does nothing (no file moved, no supplier told anything).
 */
export function registerPreview(program: Command): void {
  program
    .command('preview')
    .description('Fetch and normalize records from one connector and print the events; publishes and commits nothing')
    .argument('<config>', 'config file')
    .argument('<connector>', 'connector name')
    .option('-n, --limit <n>', 'stop after this many records', '20')
    .option('--json', 'one JSON object per line: events, and dead letters as {"deadLetter": …}')
    .option('--from-start', 'preview as a first run would: ignore the committed checkpoint, processed-file ledger and published versions')
    .addHelpText('after', '\nThe summary on stderr counts records exactly as `run --once` would for the same records.')
    .action(async (file: string, name: string, opts: PreviewOptions) => {
      // Loaded here, not at the top, so `casebridge --help` and the other commands start without them.
      const [{ loadSourceFactories }, { createLogger }, { summaryTable }, { createPreviewPublisher, limitedNoAckSource }, { whyNothingShown }] = await Promise.all([
        import('../../connectors/registry.js'),
        import('../../core/logger.js'),
        import('../output.js'),
        import('../preview-parts.js'),
        import('../preview-explain.js'),
      ]);
      const loaded = await loadOrExit(file);
      const { config, baseDir } = loaded;
      const connector = config.connectors.find((c) => c.name === name);
      if (!connector) throw new ExitError(EXIT.usage, `no connector named "${name}" in ${file} (have: ${config.connectors.map((c) => c.name).join(', ')})`);
      if (connector.type === 'push') {
        throw new ExitError(EXIT.usage, `${name} is a push connector: it receives notifications and has nothing to fetch; prove its mapping with \`casebridge test ${file}\``);
      }
      const max = Number(opts.limit);
      if (!Number.isInteger(max) || max < 1) throw new ExitError(EXIT.usage, `--limit takes a positive whole number, not ${opts.limit}`);

      // Loaded here, not at the top, so `casebridge --help` and the other commands start without them.
      const [{ createGateway }, { createMetrics }, { overlayStateStore }, { openStateStore }] = await Promise.all([
        import('../../runtime/gateway.js'),
        import('../../runtime/metrics.js'),
        import('../../runtime/overlay-state-store.js'),
        import('../../runtime/state/open-state-store.js'),
      ]);
      // Never create a state file: a preview of a connector that never ran starts from nothing.
      const fresh = opts.fromStart || (config.state.type === 'sqlite' && !existsSync(resolve(baseDir, config.state.path)));
      const base: StateStore | undefined = fresh ? undefined : await openStateStore(config.state, { baseDir });
      const committed = base?.forConnector(name);
      const hadCheckpoint = (await committed?.checkpoint()) !== undefined;
      const ledgerSize = committed ? await countEntries(committed.entries('file-ledger')) : 0;

      const printEvents = (events: OutgoingCaseEvent[]) => {
        for (const e of events) process.stdout.write(opts.json ? JSON.stringify(e.event) + '\n' : `${JSON.stringify(e.event, null, 2)}\n`);
      };
      const printDeadLetters = (letters: DeadLetter[]) => {
        for (const d of letters) {
          process.stdout.write(
            opts.json ? JSON.stringify({ deadLetter: d }) + '\n' : `DEAD LETTER ${d.position.file ?? d.position.table ?? d.position.operation ?? ''}${d.position.line ? `:${d.position.line}` : ''}: ${d.reason}\n`,
          );
        }
      };
      const limit: PreviewLimit = { max, seen: 0, reached: false };
      const wrapped = Object.fromEntries(
        Object.entries(await loadSourceFactories(loaded.config.connectors.filter((c) => c.name === name).map((c) => c.type))).map(([type, factory]) => [type, limitedNoAckSource(factory as SourceFactory<ConnectorConfig>, limit)]),
      ) as Record<string, SourceFactory<ConnectorConfig>>;

      const gateway = await createGateway({
        loaded: previewConfig(loaded, name),
        publisher: createPreviewPublisher({ onEvents: printEvents, onDeadLetters: printDeadLetters }),
        stateStore: overlayStateStore(base),
        logger: createLogger({ level: 'warn' }),
        metrics: createMetrics(),
        sourceFactories: wrapped,
        http: false,
        only: [name],
      });
      let summary: RunSummary;
      try {
        summary = await gateway.runOnce(name);
      } catch (err) {
        throw new ExitError(EXIT.failed, `preview of ${name} failed: ${describeError(err)}`);
      } finally {
        await gateway.stop();
      }
      if (summary.status === 'failed') throw new ExitError(EXIT.failed, `preview of ${name} failed: ${summary.error ?? 'unknown error'}`);

      process.stderr.write(summaryTable([summary]) + '\n');
      if (limit.reached) process.stderr.write(`stopped after ${max} record(s) (--limit ${max}); \`run\` would read on\n`);
      const why = whyNothingShown(summary, { connector, fromStart: opts.fromStart === true, hadCheckpoint, ledgerSize, file, baseDir });
      if (why) process.stderr.write(why + '\n');
      process.stderr.write(
        `preview ${name}: ${summary.read} record(s) read, ${summary.published} event(s), ${summary.deadLettered} dead letter(s), ${summary.skipped} skipped — nothing published or committed\n`,
      );
    });
}

/** The previewed connector as `run` would build it, enabled, and reading what is there now (no watching). */
function previewConfig(loaded: LoadedConfig, name: string): LoadedConfig {
  const connectors = loaded.config.connectors.map((c) => {
    if (c.name !== name) return c;
    return c.type === 'file' ? { ...c, enabled: true, watch: false } : { ...c, enabled: true };
  });
  return { ...loaded, config: { ...loaded.config, connectors } };
}

async function countEntries(it: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const entry of it) if (entry) n++;
  return n;
}
