/**
 * `npm run faults`: the fault suite in full. Needs a Kafka broker (KAFKA_BROKERS, as for npm test)
 * and root (the full-disk scenario mounts a small tmpfs). Prints one row per scenario and exits 1
 * when any row lost a record or did not recover.
 */
import { csvGatewayKills, formatRows, fullDisk, type FaultRow } from './scenarios.js';

const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
if (!brokers.length) {
  process.stderr.write('KAFKA_BROKERS is not set: start a broker with `npm run kafka start` and export KAFKA_BROKERS=127.0.0.1:19092\n');
  process.exit(64);
}
const kills = Number(process.env.FAULT_KILLS ?? 20);
const rows: FaultRow[] = [];
rows.push(await csvGatewayKills({ kills, rows: 2000, brokers }));
rows.push(await fullDisk({ rows: 2000 }));
process.stdout.write(`fault suite, ${new Date().toISOString()}\n\n${formatRows(rows)}\n`);
process.exit(rows.every((r) => r.lost === 0 && r.recovered) ? 0 : 1);
