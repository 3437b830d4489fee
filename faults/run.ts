/**
 * `npm run faults`: the fault suite in full. Needs a Kafka broker (KAFKA_BROKERS, as for npm test),
 * PostgreSQL on 127.0.0.1:5432 (user postgres, database test), the Kafka scripts (a private broker
 * on free ports is started for the broker faults) and root (the full-disk scenario mounts a small
 * tmpfs). Prints one row per scenario and exits 1 when any row lost a record or did not recover.
 * FAULT_ONLY=name,name runs a subset (csv, pg, broker-kill, broker-stop, supplier, disk).
 */
import { brokerFault, csvGatewayKills, formatRows, fullDisk, pgGatewayKills, supplierOutage, type FaultRow } from './scenarios.js';

const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
if (!brokers.length) {
  process.stderr.write('KAFKA_BROKERS is not set: start a broker with `npm run kafka start` and export KAFKA_BROKERS=127.0.0.1:19092\n');
  process.exit(64);
}
const kills = Number(process.env.FAULT_KILLS ?? 20);
const only = new Set((process.env.FAULT_ONLY ?? '').split(',').filter(Boolean));
const want = (name: string) => only.size === 0 || only.has(name);
const rows: FaultRow[] = [];
const t0 = Date.now();
const step = async (name: string, run: () => Promise<FaultRow>) => {
  if (!want(name)) return;
  const started = Date.now();
  const row = await run();
  rows.push(row);
  process.stderr.write(`${row.scenario}: ${JSON.stringify(row)} (${Math.round((Date.now() - started) / 1000)} s)\n`);
};
await step('csv', () => csvGatewayKills({ kills, rows: 2000, brokers }));
await step('pg', () => pgGatewayKills({ kills, rows: 2000, brokers }));
await step('broker-kill', () => brokerFault({ mode: 'kill', rows: 3000, outageMs: 3000 }));
// Longer than publishTimeout (5 s) and requestTimeout (3 s) of the scenario's publisher.
await step('broker-stop', () => brokerFault({ mode: 'stop', rows: 3000, outageMs: 12_000 }));
await step('supplier', () => supplierOutage({ cases: 1000, outageMs: 3000, brokers }));
await step('disk', () => fullDisk({ rows: 2000 }));
process.stdout.write(`fault suite, ${new Date().toISOString()} (${Math.round((Date.now() - t0) / 1000)} s)\n\n${formatRows(rows)}\n`);
process.exit(rows.every((r) => r.lost === 0 && r.recovered) ? 0 : 1);
