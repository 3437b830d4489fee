/**
 * Runs one connector of a config once, like `casebridge run --once`, but SIGKILLs its own process
 * right after the Nth publish is durable and before the runtime commits it: the exact crash the
 * pipeline's ordering rule is about. Usage: node --import tsx kill-before-commit.ts CONFIG CONNECTOR N
 */
import { createPublisher } from '../../src/publish/create-publisher.js';
import { loadConfigFile } from '../../src/config/load.js';
import { createGateway } from '../../src/runtime/gateway.js';
import { silentLogger } from '../../src/core/logger.js';

const [configPath, connector, after] = process.argv.slice(2) as [string, string, string];
const loaded = loadConfigFile(configPath);
const logger = silentLogger();
const inner = await createPublisher(loaded.config.publisher, { baseDir: loaded.baseDir, logger, clock: { now: () => new Date() }, councils: loaded.config.councils });
let publishes = 0;
const publisher = {
  ...inner,
  start: () => inner.start(),
  deadLetter: (l: Parameters<typeof inner.deadLetter>[0]) => inner.deadLetter(l),
  health: () => inner.health(),
  close: () => inner.close(),
  async publish(events: Parameters<typeof inner.publish>[0]) {
    await inner.publish(events);
    if (++publishes >= Number(after)) process.kill(process.pid, 'SIGKILL');
  },
};
const gw = await createGateway({ loaded, publisher, logger, http: false });
await gw.runOnce(connector);
await gw.stop();
// Reaching here means fewer than N publishes happened: the test expected a crash.
process.exit(3);
