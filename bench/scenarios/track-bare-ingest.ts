/**
 * Baseline of the tracker ingest bench: a bare consumer group on the same topic writing each
 * Kafka batch to one PostgreSQL table (event id, case key, value) with the same batch size, one
 * unnest INSERT … ON CONFLICT DO NOTHING per batch, offsets committed after the commit. No
 * contract check, no per-case ordering, no case rows: what the hardware does for the bare I/O.
 *
 *   node --import tsx bench/scenarios/track-bare-ingest.ts --brokers … --topic … --url … --schema s --batch 2000
 */
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';

const { values } = parseArgs({ options: { brokers: { type: 'string' }, topic: { type: 'string' }, url: { type: 'string' }, schema: { type: 'string' }, batch: { type: 'string' } } });
const batchSize = Number(values.batch ?? 2000);
const t = `"${values.schema}"."bare_events"`;
const pool = new pg.Pool({ connectionString: values.url, max: 10 });
await pool.query(`CREATE SCHEMA IF NOT EXISTS "${values.schema}"`);
await pool.query(`CREATE TABLE IF NOT EXISTS ${t} (event_id TEXT PRIMARY KEY, case_key TEXT NOT NULL, value JSONB NOT NULL)`);
const kafka = new Kafka({ clientId: 'bench-bare', brokers: values.brokers!.split(','), logLevel: logLevel.NOTHING });
const consumer = kafka.consumer({ groupId: `bench-bare-${process.pid}` });
await consumer.connect();
await consumer.subscribe({ topic: values.topic!, fromBeginning: true });
await consumer.run({
  autoCommit: false,
  eachBatchAutoResolve: false,
  eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
    for (let i = 0; i < batch.messages.length; i += batchSize) {
      const slice = batch.messages.slice(i, i + batchSize);
      const ids: string[] = [];
      const keys: string[] = [];
      const vals: string[] = [];
      for (const m of slice) {
        const v = m.value?.toString('utf8') ?? 'null';
        ids.push(m.headers?.ce_id?.toString() ?? (JSON.parse(v) as { id: string }).id);
        keys.push(m.key?.toString() ?? '');
        vals.push(v);
      }
      await pool.query(`INSERT INTO ${t} SELECT a, b, c::jsonb FROM unnest($1::text[], $2::text[], $3::text[]) AS x(a, b, c) ON CONFLICT (event_id) DO NOTHING`, [ids, keys, vals]);
      const last = slice[slice.length - 1]!;
      resolveOffset(last.offset);
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }]);
      await heartbeat();
    }
  },
});
process.stdout.write('{"consuming":true}\n');
process.once('SIGTERM', () => void consumer.disconnect().then(() => pool.end()).then(() => process.exit(0)));
