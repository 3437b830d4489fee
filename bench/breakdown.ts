/**
 * Where a pipeline run's wall time goes, stage by stage: the gateway in-process with its real
 * publisher and state store wrapped in timers. Complements the CPU profile (which cannot show
 * time spent waiting for Kafka acknowledgements or fsync).
 *
 *   node --import tsx bench/breakdown.ts csv [rows] [batchSize]
 *   node --import tsx bench/breakdown.ts sql [rows] [batchSize]
 *
 * BENCH_STATE_WITHOUT_ROWID=1 pre-creates the state store's kv table in the layout it had before
 * docs/performance.md's fix (WITHOUT ROWID), for a before/after comparison on the same build.
 */
import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfigFile } from '../src/config/load.js';
import type { Publisher } from '../src/core/publisher.js';
import { createPublisher } from '../src/publish/create-publisher.js';
import { systemClock } from '../src/core/clock.js';
import { createGateway } from '../src/runtime/gateway.js';
import { createLogger } from '../src/core/logger.js';
import { createMetrics } from '../src/runtime/metrics.js';
import { openSqliteStateStore } from '../src/runtime/sqlite-state-store.js';
import type { StateStore } from '../src/core/state-store.js';
import { benchKafka, uniqueTopic } from './lib/kafka.js';
import { loadSettings } from './lib/settings.js';
import { csvGatewayConfig, parsePgUrl, sqlGatewayConfig, writeCsv } from './scenarios/data.js';
import { createRepairsTable, dropTable } from './scenarios/sql.js';

const [what = 'csv', size, batch] = process.argv.slice(2);
const batchSize = batch ? Number(batch) : undefined;
const s = loadSettings();
const kafka = await benchKafka(s.brokers);
const dir = mkdtempSync(join(os.tmpdir(), `casebridge-breakdown-${what}-`));
const topic = uniqueTopic(`breakdown-${what}`);
await kafka.createTopic(topic, s.partitions);
await kafka.createTopic(`${topic}.dead`, 1);
const table = `bench_breakdown_${process.pid}`;
const cfg = join(dir, 'casebridge.yaml');
let rows = 0;
if (what === 'csv') {
  rows = Number(size ?? 50_000);
  mkdirSync(join(dir, 'drop'));
  await writeCsv(join(dir, 'drop', 'export.csv'), { cases: Math.floor(rows / 4) }, { rows });
  writeFileSync(cfg, csvGatewayConfig({ kafka: { brokers: s.brokers, topic }, dropDir: join(dir, 'drop'), statePath: join(dir, 'state.sqlite'), ...(batchSize ? { batchSize } : {}) }));
} else {
  rows = Number(size ?? 100_000);
  await createRepairsTable(s.pgUrl, table, rows);
  writeFileSync(cfg, sqlGatewayConfig({ kafka: { brokers: s.brokers, topic }, statePath: join(dir, 'state.sqlite'), pg: parsePgUrl(s.pgUrl), table, lag: '2m', ...(batchSize ? { batchSize } : {}) }));
}

const t = { publish: 0, get: 0, commit: 0 };
const timed = <A extends unknown[], R>(key: keyof typeof t, fn: (...a: A) => R) =>
  (...a: A): R => {
    const t0 = performance.now();
    const r = fn(...a);
    if (r instanceof Promise) return r.finally(() => (t[key] += performance.now() - t0)) as R;
    t[key] += performance.now() - t0;
    return r;
  };

const loaded = loadConfigFile(cfg);
const logger = createLogger({ level: 'warn' });
const real = await createPublisher(loaded.config.publisher, { baseDir: loaded.baseDir, logger, clock: systemClock, councils: loaded.config.councils });
const publisher: Publisher = { ...real, start: () => real.start(), publish: timed('publish', (e) => real.publish(e)), deadLetter: (l) => real.deadLetter(l), health: () => real.health(), close: () => real.close() };
if (process.env.BENCH_STATE_WITHOUT_ROWID === '1') {
  const db = new Database(join(dir, 'state.sqlite'));
  db.exec('CREATE TABLE kv (connector TEXT NOT NULL, namespace TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (connector, namespace, key)) WITHOUT ROWID');
  db.close();
}
const store = openSqliteStateStore(join(dir, 'state.sqlite'));
const stateStore: StateStore = {
  forConnector(c) {
    const st = store.forConnector(c);
    return { ...st, connector: c, checkpoint: () => st.checkpoint(), entries: (ns) => st.entries(ns), get: timed('get', (ns: string, k: string) => st.get(ns, k)) as never, getMany: timed('get', (ns: string, ks: readonly string[]) => st.getMany(ns, ks)) as never, commit: timed('commit', (u) => st.commit(u)) };
  },
  resetCheckpoint: (c) => store.resetCheckpoint(c),
  close: () => store.close(),
};
const gateway = await createGateway({ loaded, logger, publisher, stateStore, http: false, metrics: createMetrics({ defaultMetrics: false }) });
await gateway.open();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const [summary] = await gateway.runAllOnce();
const wall = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
await gateway.stop();
await kafka.deleteTopics([topic, `${topic}.dead`]);
await kafka.close();
if (what !== 'csv') await dropTable(s.pgUrl, table);

const ms = (x: number) => `${(x / 1000).toFixed(2)} s (${((100 * x) / wall).toFixed(0)}%)`;
process.stdout.write(
  [
    `${what}: ${summary!.published} events from ${rows} rows in ${(wall / 1000).toFixed(2)} s = ${Math.round(rows / (wall / 1000))} rows/s; ${summary!.batches} batches`,
    `CPU ${(cpu.user / 1e6).toFixed(2)} s user + ${(cpu.system / 1e6).toFixed(2)} s system = ${Math.round(((cpu.user + cpu.system) / 1e3 / rows) * 1000)} µs/row`,
    `publish (await Kafka acks=all): ${ms(t.publish)}`,
    `state get/getMany (change detection): ${ms(t.get)}`,
    `state commit (SQLite, fsync):    ${ms(t.commit)}`,
    `everything else (read, parse, map, validate, build, ack): ${ms(wall - t.publish - t.get - t.commit)}`,
  ].join('\n') + '\n',
);
