import { Option, type Command } from 'commander';
import type { RunSummary } from '../../runtime/connector-runner.js';
import { maskSecrets } from '../../core/mask.js';
import { EXIT } from '../exit-codes.js';
import { ExitError, loadOrExit } from '../load.js';
import { describeError, StateError } from '../../core/errors.js';
import type { summaryTable as SummaryTable } from '../output.js';

interface RunOptions {
  once?: boolean;
  connector?: string[];
  json?: boolean;
  http?: boolean;
  port?: string;
  logLevel?: string;
  progress?: boolean;
  failOn: FailOn;
}

type FailOn = 'none' | 'dead-letters' | 'rejections';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('Run the gateway: read suppliers, publish case events, commit checkpoints')
    .argument('<config>', 'config file')
    .option('--once', 'run each connector once until caught up, print a summary and exit')
    .option('-c, --connector <name...>', 'only these connectors')
    .option('--json', 'print the summary as JSON on stdout')
    .option('--no-http', 'do not serve /healthz, /readyz and /metrics')
    .option('--port <port>', 'port for the health and metrics endpoint (overrides the config)')
    .option('--log-level <level>', 'fatal | error | warn | info | debug (default: the config, or warn with --once)')
    .option('--no-progress', 'no live progress line')
    .addOption(
      new Option('--fail-on <what>', 'exit 4 when the run completed with: dead-letters (dead letters or rejected files), rejections (rejected files only), none')
        .choices(['none', 'dead-letters', 'rejections'])
        .default('dead-letters'),
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 every connector ran, 1 a connector failed (or the state file is empty or damaged), 2 the config is invalid,\n4 every connector ran but records went to dead letters or files were rejected (see --fail-on).\nSIGINT / SIGTERM stop gracefully: in-flight batches finish, nothing unpublished is committed.',
    )
    .action(async (file: string, opts: RunOptions) => {
      // Loaded here, not at the top, so `casebridge --help` and the other commands start without them.
      const [{ createLogger }, { createProgress, summaryTable }] = await Promise.all([import('../../core/logger.js'), import('../output.js')]);
      const loaded = await loadOrExit(file);
      const level = opts.logLevel ?? (opts.once ? 'warn' : loaded.config.log.level);
      const logger = createLogger({ level });
      // Loaded here, not at the top, so `casebridge --help` and the other commands start without it.
      const { createGateway } = await import('../../runtime/gateway.js');
      let gateway: Awaited<ReturnType<typeof createGateway>>;
      try {
        gateway = await createGateway({
          loaded,
          logger,
          ...(opts.connector ? { only: opts.connector } : {}),
          ...(opts.http === false ? { http: false as const } : opts.port ? { http: { port: Number(opts.port) } } : opts.once ? { http: false as const } : {}),
        });
      } catch (err) {
        // An empty or damaged state file is an operator's problem to fix, not a bug.
        if (err instanceof StateError) throw new ExitError(EXIT.failed, maskSecrets(describeError(err)));
        throw err;
      }
      const progress = createProgress(opts.progress !== false && process.stderr.isTTY === true);
      for (const r of gateway.runners.values()) {
        r.on('batch', () => {
          const parts = [...gateway.runners.values()].map((x) => `${x.name}: ${x.totals.read} read, ${x.totals.published} published, ${x.totals.deadLettered} dead letters`);
          progress.update(parts.join(' | '));
        });
      }
      let signalled = false;
      const onSignal = (sig: string) => {
        if (signalled) {
          process.stderr.write(`\n${sig} again: exiting now; uncommitted batches will be read again next run\n`);
          process.exit(130);
        }
        signalled = true;
        progress.done();
        logger.warn(`${sig} received: finishing in-flight batches, then stopping`);
        void gateway.stop().then(() => {
          // A send stuck in a hung broker keeps sockets and timers alive: the process must still end
          // within shutdownGrace (the abandoned sends were named in the log and are read again on restart).
          if (gateway.abandoned > 0) {
            process.stderr.write(`casebridge: stopped after shutdownGrace with ${gateway.abandoned} publish(es) abandoned (nothing committed for them)\n`);
            process.exit(EXIT.failed);
          }
        });
      };
      process.on('SIGINT', () => onSignal('SIGINT'));
      process.on('SIGTERM', () => onSignal('SIGTERM'));

      if (opts.once) {
        const started = Date.now();
        const summaries = await gateway.runAllOnce();
        progress.done();
        await gateway.stop();
        report(summaryTable, summaries, opts.json === true, Date.now() - started);
        process.exitCode = exitCodeFor(summaries, opts.failOn);
        exitSoonIfHeldOpen();
        return;
      }
      await gateway.start();
      // A signal may already have arrived while start() waited for an unreachable publisher.
      if (!gateway.signal.aborted) await new Promise<void>((resolve) => gateway.signal.addEventListener('abort', () => resolve(), { once: true }));
      await gateway.stop();
      progress.done();
      const summaries: RunSummary[] = [...gateway.runners.values()].map((r) => ({
        connector: r.name,
        status: r.status === 'failed' ? 'failed' : 'ok',
        durationMs: 0,
        ...r.totals,
        ...(r.lastError ? { error: r.lastError } : {}),
      }));
      report(summaryTable, summaries, opts.json === true);
      process.exitCode = exitCodeFor(summaries, opts.failOn);
      exitSoonIfHeldOpen();
    });
}

/**
 * Everything is stopped, committed and reported. After a broker hang the Kafka client can keep a
 * socket or timer alive for minutes, and a cron'd `--once` must still end: if the process has not
 * ended by itself shortly, end it with the exit code already set. The timer is unref'd, so a
 * process that ends by itself is not held back.
 */
function exitSoonIfHeldOpen(): void {
  setTimeout(() => {
    process.stderr.write('casebridge: a client library still held the process open after stopping; exiting\n');
    process.exit();
  }, 5_000).unref();
}

/** A cron'd run must be able to alert on records that did not make it (finding 8, docs/reliability.md). */
export function exitCodeFor(summaries: RunSummary[], failOn: FailOn): number {
  if (summaries.some((s) => s.status === 'failed')) return EXIT.failed;
  if (failOn === 'none') return EXIT.ok;
  const rejected = summaries.some((s) => (s.rejectedFiles?.length ?? 0) > 0);
  const dead = summaries.some((s) => s.deadLettered > 0);
  return rejected || (failOn === 'dead-letters' && dead) ? EXIT.completedWithProblems : EXIT.ok;
}

function report(summaryTable: typeof SummaryTable, summaries: RunSummary[], json: boolean, elapsedMs?: number): void {
  if (json) {
    process.stdout.write(maskSecrets(JSON.stringify({ connectors: summaries, elapsedMs }, null, 2)) + '\n');
    return;
  }
  process.stdout.write(summaryTable(summaries) + '\n');
  for (const s of summaries) if (s.error) process.stdout.write(`${s.connector}: ${maskSecrets(s.error)}\n`);
  const total = summaries.reduce((a, s) => a + s.published, 0);
  const dead = summaries.reduce((a, s) => a + s.deadLettered, 0);
  process.stdout.write(`${total} event(s) published, ${dead} dead letter(s)${elapsedMs !== undefined ? ` in ${(elapsedMs / 1000).toFixed(1)}s` : ''}\n`);
  const rejected = summaries.flatMap((s) => (s.rejectedFiles ?? []).map((f) => `  ${s.connector}: ${f.file}: ${f.reason}`));
  if (rejected.length) process.stdout.write(maskSecrets(`rejected file(s):\n${rejected.join('\n')}\n`));
  if (!summaries.some((s) => s.status === 'failed') && (dead > 0 || rejected.length > 0)) {
    process.stdout.write(`completed with ${dead} dead letter(s) and ${rejected.length} rejected file(s): see the dead-letter log${rejected.length ? ' and the reason files next to the rejected files' : ''}\n`);
  }
}
