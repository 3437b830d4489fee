import type { Command } from 'commander';
import { ConfigError, describeError } from '../../core/errors.js';
import { EXIT } from '../exit-codes.js';
import { ExitError } from '../load.js';

interface TrackOptions {
  rebuild?: boolean;
  once?: boolean;
  port?: string;
  logLevel?: string;
}

export function registerTrack(program: Command): void {
  program
    .command('track')
    .description('Run the tracker: read case events into cases residents and portals look up (JSON API, Open311, /track)')
    .argument('<config>', 'tracker config file')
    .option('--rebuild', 'empty the projection and read every event again from the start of the topic or log')
    .option('--once', 'local log only: apply every complete event, print the counts and exit')
    .option('--port <port>', 'HTTP port (overrides the config)')
    .option('--log-level <level>', 'fatal | error | warn | info | debug')
    .addHelpText('after', '\nExit codes: 0 stopped cleanly, 2 the config is invalid.\nSIGINT / SIGTERM stop gracefully: the batch being written commits or rolls back whole.')
    .action(async (file: string, opts: TrackOptions) => {
      // Loaded here, not at the top, so `casebridge --help` and the other commands start without them.
      const [{ ConfigInvalidError, loadYamlConfigFile }, { createLogger }, { TrackConfig }] = await Promise.all([import('../../config/load.js'), import('../../core/logger.js'), import('../../track/config.js')]);
      let loaded;
      try {
        loaded = loadYamlConfigFile(TrackConfig, file);
      } catch (err) {
        if (err instanceof ConfigInvalidError) throw new ExitError(EXIT.configInvalid, `${file}: invalid config\n${err.message}`);
        if (err instanceof ConfigError) throw new ExitError(EXIT.configInvalid, describeError(err));
        throw err;
      }
      const logger = createLogger({ level: opts.logLevel ?? loaded.config.log.level, base: { service: 'casebridge-track' } });
      // Loaded here, not at the top: fastify, kafkajs and pg would slow every other command's start.
      const { createTracker } = await import('../../track/tracker.js');
      const { trackPage } = await import('../../track/page/plugin.js');
      const tracker = await createTracker({ loaded, logger, plugins: [trackPage], ...(opts.rebuild ? { rebuild: true } : {}), ...(opts.port ? { port: Number(opts.port) } : {}) });
      if (opts.once) {
        const read = await tracker.catchUp();
        const counts = await tracker.store.counts();
        process.stdout.write(`${read} event line(s) read; ${counts.cases} case(s), ${counts.events} event(s), ${counts.deadLetters} dead letter(s) in the projection\n`);
        await tracker.stop();
        return;
      }
      const url = await tracker.start();
      logger.info({ url }, 'tracker serving');
      process.stderr.write(`casebridge track: serving on ${url}\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await tracker.stop();
    });
}
