/**
 * Profile one scenario's casebridge side with `node --cpu-prof` and print the top self-time
 * functions. The profile goes to a temp folder (printed), never into the repository.
 *
 *   node --import tsx bench/profile.ts csv [rows]        CSV drop → Kafka through the CLI
 *   node --import tsx bench/profile.ts sql [rows]        SQL initial load → Kafka through the CLI
 *   node --import tsx bench/profile.ts publish [events]  Kafka publisher only
 *
 * Needs the broker (KAFKA_BROKERS or the local one on 127.0.0.1:19092) and, for sql, PostgreSQL.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { CLI, TSX, scenarioScript } from './lib/context.js';
import { benchKafka, uniqueTopic } from './lib/kafka.js';
import { loadSettings, repoRoot } from './lib/settings.js';
import { csvGatewayConfig, parsePgUrl, sqlGatewayConfig, writeCsv } from './scenarios/data.js';
import { createRepairsTable, dropTable } from './scenarios/sql.js';

const [what = 'csv', size] = process.argv.slice(2);
const s = loadSettings();
const kafka = await benchKafka(s.brokers);
const dir = mkdtempSync(join(os.tmpdir(), `casebridge-profile-${what}-`));
const profDir = join(dir, 'profile');
const topic = uniqueTopic(`profile-${what}`);
await kafka.createTopic(topic, s.partitions);
await kafka.createTopic(`${topic}.dead`, 1);
const prof = ['--cpu-prof', `--cpu-prof-dir=${profDir}`];
const run = (args: string[]) => execFileSync(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'], cwd: repoRoot });

try {
  if (what === 'csv') {
    const rows = Number(size ?? 50_000);
    const drop = join(dir, 'drop');
    mkdirSync(drop);
    await writeCsv(join(drop, 'export.csv'), { cases: Math.floor(rows / 4) }, { rows });
    const cfg = join(dir, 'casebridge.yaml');
    writeFileSync(cfg, csvGatewayConfig({ kafka: { brokers: s.brokers, topic }, dropDir: drop, statePath: join(dir, 'state.sqlite') }));
    run([...prof, CLI, 'run', cfg, '--once', '--json', '--no-progress']);
  } else if (what === 'sql') {
    const rows = Number(size ?? 100_000);
    const table = `bench_profile_${process.pid}`;
    await createRepairsTable(s.pgUrl, table, rows);
    try {
      const cfg = join(dir, 'casebridge.yaml');
      writeFileSync(cfg, sqlGatewayConfig({ kafka: { brokers: s.brokers, topic }, statePath: join(dir, 'state.sqlite'), pg: parsePgUrl(s.pgUrl), table, lag: '2m' }));
      run([...prof, CLI, 'run', cfg, '--once', '--json', '--no-progress']);
    } finally {
      await dropTable(s.pgUrl, table);
    }
  } else if (what === 'publish') {
    // Only the timed publishing is profiled, not the building of the events beforehand.
    mkdirSync(profDir);
    const out = join(profDir, 'publish.cpuprofile');
    run([...TSX, scenarioScript('publish-casebridge.ts'), '--brokers', s.brokers.join(','), '--topic', topic, '--events', String(size ?? 50_000), '--cpu-profile', out]);
  } else {
    throw new Error(`unknown scenario ${what}: csv, sql or publish`);
  }
} finally {
  await kafka.deleteTopics([topic, `${topic}.dead`]);
  await kafka.close();
}
const files = readdirSync(profDir).map((f) => join(profDir, f));
run([...TSX, join(repoRoot, 'bench/profile-summary.ts'), ...files]);
process.stdout.write(`profile kept in ${profDir}\n`);
