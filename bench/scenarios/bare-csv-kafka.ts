/**
 * CSV peer: the least a Node program can do to move the street-services export to Kafka with the
 * same record shape — csv-parse (columns) → one JSON value per row shaped like casebridge's event
 * data → kafkajs sendBatch with acks=all and an idempotent producer, 500 rows per call, awaited in
 * turn as the gateway does. No mapping library, no validation, no state, no ids worth the name.
 * Prints one JSON line; timed from producer connect to the last acknowledgement.
 *
 *   node --import tsx bench/scenarios/bare-csv-kafka.ts --file F --topic T --brokers B [--batch 500]
 */
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse';
import { Kafka, logLevel } from 'kafkajs';

const { values } = parseArgs({ options: { file: { type: 'string' }, topic: { type: 'string' }, brokers: { type: 'string' }, batch: { type: 'string' } } });
const file = values.file!;
const topic = values.topic!;
const batchSize = Number(values.batch ?? 500);
const SOURCE = '/councils/E09000019/connectors/bench-street-cases';
const uk = (s: string) => (s ? `${s.slice(6, 10)}-${s.slice(3, 5)}-${s.slice(0, 2)}T${s.length > 10 ? s.slice(11, 16) : '00:00'}:00+00:00` : undefined);

const t0 = performance.now();
const kafka = new Kafka({ clientId: 'bench-bare', brokers: values.brokers!.split(','), logLevel: logLevel.NOTHING });
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
await producer.connect();
const fetchedAt = new Date().toISOString();
let rows = 0;
let batch: { key: string; value: string; headers: Record<string, string> }[] = [];
const flush = async () => {
  if (!batch.length) return;
  await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages: batch }] });
  batch = [];
};
const name = basename(file);
for await (const r of createReadStream(file).pipe(parse({ columns: true }))) {
  const row = r as Record<string, string>;
  rows++;
  const ref = row.CRNo!;
  const updatedAt = uk(row['History Date/Time']!)!;
  const data = {
    council: { gss: 'E09000019', name: 'Islington' },
    system: { supplier: 'Street Services', product: 'Highways CRM', connector: 'bench-street-cases' },
    case: {
      reference: ref,
      service: { code: row.Inspection, name: row.Inspection, category: 'Roads and pavements' },
      status: { lifecycle: 'in_progress', code: row.Stage, label: row['Stage Desc.'], publicLabel: row['Stage Desc.'] },
      openedAt: uk(row['Recorded Date']!),
      updatedAt,
      dueAt: uk(row['Action Due']!),
    },
    provenance: { connector: 'bench-street-cases', position: { file: name, line: rows + 1 }, fetchedAt, updatedAtSource: 'supplier' },
    change: { kind: 'updated', fields: ['status'] },
    sequence: 1,
  };
  batch.push({
    key: `E09000019/street-services/${ref}`,
    value: JSON.stringify(data),
    headers: {
      ce_specversion: '1.0',
      ce_id: `${ref}-${rows}`,
      ce_source: SOURCE,
      ce_type: 'uk.casebridge.case.updated.v1',
      ce_subject: ref,
      ce_time: updatedAt,
      ce_dataschema: 'https://casebridge.dev/schemas/case-event.v1.json',
      ce_casesequence: '1',
      'content-type': 'application/json',
    },
  });
  if (batch.length >= batchSize) await flush();
}
await flush();
await producer.disconnect();
const seconds = (performance.now() - t0) / 1000;
process.stdout.write(JSON.stringify({ rows, seconds, perSecond: rows / seconds }) + '\n');
