/**
 * CPU cost per record of each step the pipeline runs for a CSV row, in isolation, on one core:
 * where the microseconds of scenario 2 go once waiting for Kafka and fsync is taken out.
 *
 *   node --import tsx bench/per-record.ts [records]
 */
import { performance } from 'node:perf_hooks';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { recordFingerprint } from '../src/event/identity.js';
import { buildEvent } from '../src/normalize/build-event.js';
import { decideChange, visibleFields, type CaseMemory } from '../src/normalize/change.js';
import { encodeEvent, recordSize } from '../src/publish/kafka/encode.js';
import type { SourceRecord } from '../src/core/source.js';
import type { CaseSnapshot } from '../src/event/case-event.js';
import { openSqliteStateStore } from '../src/runtime/sqlite-state-store.js';
import { CSV_COLUMNS, csvHeader, csvRow } from './scenarios/data.js';
import { makeNormalizer } from './scenarios/events.js';

const n = Number(process.argv[2] ?? 20_000);
const shape = { cases: n };
const text = csvHeader(shape) + Array.from({ length: n }, (_, i) => csvRow(i, shape)).join('');

const steps: [string, number][] = [];
/**
 * Each step runs twice and the second (warm) run is timed: JIT warm-up is not the pipeline's steady
 * cost. The figure is this process's CPU time (user + system), not wall time, so other work on a
 * shared machine inflates it far less (BENCH_WALL=1 gives wall time as before).
 */
const wall = process.env.BENCH_WALL === '1';
const now = () => {
  if (wall) return performance.now() * 1000;
  const c = process.cpuUsage();
  return c.user + c.system;
};
async function step<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
  await fn();
  const t0 = now();
  const r = await fn();
  steps.push([name, (now() - t0) / n]);
  return r;
}

const rows = await step('csv-parse (columns, info)', async () => {
  const out: Record<string, string>[] = [];
  for await (const r of Readable.from([text]).pipe(parse({ columns: true, info: true }))) out.push((r as { record: Record<string, string> }).record);
  return out;
});
if (rows.length !== n || Object.keys(rows[0]!).length !== CSV_COLUMNS.length) throw new Error('parse');
const fetchedAt = new Date().toISOString();
const records: SourceRecord[] = rows.map((raw, i) => ({ raw, position: { file: 'x.csv', line: i + 2 }, fetchedAt }));
const normalize = await makeNormalizer();
const snapshots = await step('normalize (mapping + zod validation)', async () => {
  const out: CaseSnapshot[] = [];
  for (const r of records) {
    let x = normalize(r);
    if (x instanceof Promise) x = await x;
    if (x.kind === 'case') out.push(x.snapshot);
  }
  return out;
});
const visible = await step('visibleFields + decideChange', () => snapshots.map((s) => ({ v: visibleFields(s), d: decideChange(s, visibleFields(s), undefined) })));
const prints = await step('recordFingerprint (canonical JSON + SHA-256)', () => records.map((r) => recordFingerprint(r.raw)));
const events = await step('buildEvent (case fingerprint + id: SHA-256)', () => snapshots.map((s, i) => buildEvent(s, visible[i]!.d as never, 1)));
await step('encodeEvent (binary binding) + recordSize', () => events.map((e) => recordSize(encodeEvent(e, 'binary'))));
const memories: CaseMemory[] = snapshots.map((s, i) => ({ snapshot: s, visible: visible[i]!.v, updatedAt: s.case.updatedAt, lastEventId: events[i]!.event.id }));
const json = await step('JSON.stringify(CaseMemory)', () => memories.map((m) => JSON.stringify(m)));
await step('JSON.parse(CaseMemory)', () => json.map((j) => JSON.parse(j) as unknown));
const store = openSqliteStateStore(join(mkdtempSync(join(os.tmpdir(), 'casebridge-per-record-')), 'state.sqlite'));
const st = store.forConnector('bench');
await step('state get (miss)', () => memories.map((m) => st.get('case', m.snapshot.case.reference)));
let commits = 0;
await step('state commit (500 per transaction, fsync)', () => {
  commits++;
  for (let i = 0; i < memories.length; i += 500) st.commit({ checkpoint: { i }, writes: memories.slice(i, i + 500).map((m) => ({ op: 'put', namespace: 'case', key: m.snapshot.case.reference, value: m })) });
});
if (commits !== 2) throw new Error('commit step');
await step('state get (hit)', () => memories.map((m) => st.get('case', m.snapshot.case.reference)));
store.close();

const total = steps.reduce((a, [, us]) => a + us, 0);
process.stdout.write(`per-record ${wall ? 'wall time' : 'CPU time'} by step, ${n} street-services rows, node ${process.version}\n`);
for (const [name, us] of steps) process.stdout.write(`${us.toFixed(1).padStart(7)} µs  ${((100 * us) / total).toFixed(0).padStart(3)}%  ${name}\n`);
process.stdout.write(`${total.toFixed(1).padStart(7)} µs  total\n`);
