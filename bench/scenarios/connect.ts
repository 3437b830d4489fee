/**
 * Kafka Connect FileStreamSource (standalone worker, connect-file 4.1.1) publishing a file's lines
 * raw to a topic: the raw-lines peer of the CSV scenario. Its rate is read from the broker's own
 * LogAppendTime stamps, so it needs no hook into the JVM:
 *   steady state  = (lines − 1) / (last append − first append)
 *   with start-up = lines / (last append − process spawn)
 * The worker tails the file forever, so it is stopped once the topic holds every line but one:
 * FileStreamSource 4.1.1 was seen to leave one line of a finished file unsent, so waiting for all
 * of them would only wait for the timeout. The rate counts the records actually delivered.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BenchContext } from '../lib/context.js';
import { uniqueTopic } from '../lib/kafka.js';
import { sleep } from '../lib/proc.js';
import { repoRoot } from '../lib/settings.js';

export interface ConnectRun {
  lines: number;
  steadyPerSecond: number;
  withStartPerSecond: number;
  /** Spawn to the first record appended, seconds. */
  startSeconds: number;
}

export async function runConnect(ctx: BenchContext, file: string, lines: number, dir: string): Promise<ConnectRun> {
  const s = ctx.settings;
  const topic = uniqueTopic('connect');
  await ctx.kafka.createTopic(topic, s.partitions, { 'message.timestamp.type': 'LogAppendTime' });
  const worker = join(dir, 'worker.properties');
  const connector = join(dir, 'file-source.properties');
  writeFileSync(
    worker,
    [
      `bootstrap.servers=${s.brokers.join(',')}`,
      'key.converter=org.apache.kafka.connect.storage.StringConverter',
      'value.converter=org.apache.kafka.connect.storage.StringConverter',
      `offset.storage.file.filename=${join(dir, 'connect.offsets')}`,
      'offset.flush.interval.ms=10000',
      'listeners=http://127.0.0.1:0',
      'plugin.discovery=service_load',
      'producer.acks=all',
      'producer.enable.idempotence=true',
      '',
    ].join('\n'),
  );
  writeFileSync(connector, ['name=bench-file-source', 'connector.class=org.apache.kafka.connect.file.FileStreamSourceConnector', 'tasks.max=1', `file=${file}`, `topic=${topic}`, ''].join('\n'));
  const log4j = resolve(repoRoot, 'bench/connect/log4j2.properties');
  const spawnedAt = Date.now();
  const child = spawn('java', ['-Xms256m', '-Xmx1g', `-Dlog4j2.configurationFile=${log4j}`, '-cp', s.connectClasspath, 'org.apache.kafka.connect.cli.ConnectStandalone', worker, connector], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-20_000)));
  let exited = false;
  const closed = new Promise<void>((r) => child.on('close', () => ((exited = true), r())));
  try {
    const deadline = Date.now() + s.connectTimeoutSeconds * 1000;
    for (;;) {
      // Right after creation the broker may not yet lead the new partitions: not an answer, ask again.
      const n = await ctx.kafka.countRecords(topic).catch(() => 0);
      if (n >= lines - 1) break;
      if (exited) throw new Error(`Kafka Connect exited after ${n} of ${lines} lines:\n${stderr.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`Kafka Connect: ${n} of ${lines} lines after ${s.connectTimeoutSeconds} s (BENCH_CONNECT_TIMEOUT):\n${stderr.slice(-3000)}`);
      await sleep(250);
    }
  } finally {
    child.kill('SIGTERM');
    await Promise.race([closed, sleep(30_000)]);
    if (!exited) child.kill('SIGKILL');
  }
  let first = Infinity;
  let last = -Infinity;
  let seen = 0;
  const stored = await ctx.kafka.countRecords(topic);
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  const consumer = await ctx.kafka.consume(topic, (m) => {
    first = Math.min(first, m.timestamp);
    last = Math.max(last, m.timestamp);
    if (++seen >= stored) done();
  });
  await Promise.race([all, sleep(180_000)]);
  await consumer.stop();
  await ctx.kafka.deleteTopics([topic]);
  if (seen < stored) throw new Error(`Kafka Connect: read back ${seen} of ${stored} records`);
  // LogAppendTime has millisecond resolution; a sub-millisecond span would divide by zero.
  const span = Math.max(1, last - first) / 1000;
  return { lines: stored, steadyPerSecond: (stored - 1) / span, withStartPerSecond: stored / ((last - spawnedAt) / 1000), startSeconds: (first - spawnedAt) / 1000 };
}
