// The sql connector's own read path alone (built dist/): catalogue check, keyset pages, timestamps
// converted with their zone, records and checkpoints — without mapping, change detection or
// publishing. Shows how much of the end-to-end figure is the connector and how much the pipeline.
//
//   node bench/sql/source-only.mjs --url postgres://postgres@127.0.0.1:5432/test --table t --batch 500
import { performance } from 'node:perf_hooks';
import { SqlConnectorConfig } from '../../dist/connectors/sql/config.js';
import { createSqlSource } from '../../dist/connectors/sql/create.js';
import { systemClock } from '../../dist/runtime/clock.js';
import { silentLogger } from '../../dist/runtime/logger.js';

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const u = new URL(arg('url', 'postgres://postgres@127.0.0.1:5432/test'));
const config = SqlConnectorConfig.parse({
  type: 'sql',
  name: 'bench-source',
  council: 'E09000019',
  system: { supplier: 'Bench' },
  batchSize: Number(arg('batch', '500')),
  connection: { dialect: 'postgres', host: u.hostname, port: Number(u.port || 5432), database: u.pathname.slice(1), user: decodeURIComponent(u.username) || 'postgres', tls: { mode: 'disable' } },
  read: { mode: 'incremental', table: arg('table'), updatedAt: 'updated_at', key: 'job_no', lag: '0s' },
  mapping: { reference: 'job_no', status: { code: 'status_code', lookup: 's' }, lookups: { s: { kind: 'status', entries: {} } } },
});
const state = { connector: 'bench-source', checkpoint: () => undefined, get: () => undefined, entries: () => [][Symbol.iterator](), commit: () => {} };
const source = createSqlSource(config, { connector: 'bench-source', clock: systemClock, logger: silentLogger(), state, baseDir: process.cwd() });
const t0 = performance.now();
let rows = 0;
for await (const batch of source.read({ checkpoint: undefined, signal: new AbortController().signal })) {
  rows += batch.records.length;
  await batch.ack();
}
const seconds = (performance.now() - t0) / 1000;
await source.close();
process.stdout.write(JSON.stringify({ rows, seconds, rowsPerSecond: rows / seconds }) + '\n');
