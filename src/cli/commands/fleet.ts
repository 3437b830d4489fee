/**
 * `casebridge fleet CONFIG`: which instance holds which connector, lease age, lag, and which
 * instances are alive, read straight from the lease and instance tables (the same view /status
 * serves on every instance). Works while the gateways run, and after they stopped.
 */
import type { Command } from 'commander';
import { describeError } from '../../core/errors.js';
import { maskSecrets } from '../../core/mask.js';
import { EXIT } from '../exit-codes.js';
import { ExitError, loadOrExit } from '../load.js';

export function registerFleet(program: Command): void {
  program
    .command('fleet')
    .description('Show which gateway instance holds which connector (lease age, lag) and which instances are alive')
    .argument('<config>', 'config file (state.type: postgres)')
    .option('--json', 'print the view as JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      // Loaded here, not at the top, so `casebridge --help` and the other commands start without them.
      const [{ fleetView, formatFleetView }, { durationMs }] = await Promise.all([import('../../runtime/fleet/fleet-view.js'), import('../../core/units.js')]);
      const { config } = await loadOrExit(file);
      if (config.state.type !== 'postgres') {
        throw new ExitError(EXIT.usage, `${file}: state.type is ${config.state.type}; a fleet shares its leases through state.type: postgres`);
      }
      // Loaded here, not at the top, so `casebridge --help` does not load pg.
      const { openLeaseStore } = await import('../../runtime/fleet/fleet.js');
      const store = openLeaseStore(config.state, { poolSize: 1 });
      try {
        const snapshot = await store.snapshot();
        const connectors = config.connectors.filter((c) => c.enabled && c.type !== 'push').map((c) => c.name);
        const view = fleetView(snapshot, connectors, durationMs(config.fleet?.leaseTtl ?? '15s'));
        process.stdout.write(maskSecrets(opts.json ? JSON.stringify(view, null, 2) + '\n' : formatFleetView(view)));
      } catch (err) {
        // 42P01: undefined_table — no gateway with `fleet:` has started against this schema yet.
        if ((err as { code?: string }).code === '42P01') throw new ExitError(EXIT.failed, `no fleet tables in schema ${config.state.schema} yet: start a gateway with fleet: in its config first`);
        throw new ExitError(EXIT.failed, `cannot read the fleet tables: ${describeError(err)}`);
      } finally {
        await store.close();
      }
    });
}
