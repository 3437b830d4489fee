/**
 * Scenario 1, publish only: casebridge's Kafka publisher vs Apache Kafka's kafka-producer-perf-test
 * (org.apache.kafka.tools.ProducerPerformance from the broker's own release), same topic layout,
 * same record size, acks=all, idempotence on. The perf-test's records are filled to the mean size
 * of casebridge's records (value + key + CloudEvents headers), so both move the same bytes.
 */
import { assertOk, lastJson, runMeasured } from '../lib/proc.js';
import { TSX, failedSide, makeSide, scenarioScript, type BenchContext } from '../lib/context.js';
import { uniqueTopic } from '../lib/kafka.js';
import type { ScenarioResult } from '../lib/result.js';
import { median } from '../lib/stats.js';

interface PublishJson {
  events: number;
  seconds: number;
  perSecond: number;
  mbPerSecond: number;
  recordBytes: number;
  valueBytes: number;
}

export async function publishScenario(ctx: BenchContext): Promise<ScenarioResult[]> {
  const s = ctx.settings;
  const script = scenarioScript('publish-casebridge.ts');
  const sizes = lastJson<{ value: number; total: number }>((await runMeasured(process.execPath, [...TSX, script, '--events', '2000', '--sizes'])).stdout);
  const ours: number[] = [];
  const oursDetail: Record<string, unknown>[] = [];
  const peer: number[] = [];
  const peerDetail: Record<string, unknown>[] = [];
  const structured: number[] = [];
  const structuredDetail: Record<string, unknown>[] = [];
  let peerError: string | undefined;
  for (let i = 0; i < s.repeats; i++) {
    // Structured mode (one header, the whole event as the value), interleaved with binary, to show
    // whether binary's eight ce_* headers per record cost what they carry.
    const t0 = uniqueTopic('publish-structured');
    await ctx.kafka.createTopic(t0, s.partitions);
    const st = await runMeasured(process.execPath, [...TSX, script, '--brokers', s.brokers.join(','), '--topic', t0, '--events', String(s.publishEvents), '--batch', String(s.publishBatch), '--mode', 'structured']);
    assertOk(st, 'casebridge publish (structured)');
    const sj = lastJson<PublishJson>(st.stdout);
    if ((await ctx.kafka.countRecords(t0)) !== s.publishEvents) throw new Error(`casebridge publish (structured): topic ${t0} does not hold ${s.publishEvents} records`);
    structured.push(sj.perSecond);
    structuredDetail.push({ run: i + 1, 'events/s': sj.perSecond, 'peak RSS MiB': st.maxRssMb ?? NaN });
    await ctx.kafka.deleteTopics([t0]);
    ctx.log(`publish run ${i + 1}: casebridge structured ${Math.round(sj.perSecond)} events/s`);

    const t1 = uniqueTopic('publish');
    await ctx.kafka.createTopic(t1, s.partitions);
    const r = await runMeasured(process.execPath, [...TSX, script, '--brokers', s.brokers.join(','), '--topic', t1, '--events', String(s.publishEvents), '--batch', String(s.publishBatch)]);
    assertOk(r, 'casebridge publish');
    const j = lastJson<PublishJson>(r.stdout);
    const stored = await ctx.kafka.countRecords(t1);
    if (stored !== s.publishEvents) throw new Error(`casebridge publish: topic ${t1} holds ${stored} records, expected ${s.publishEvents}`);
    ours.push(j.perSecond);
    oursDetail.push({ run: i + 1, 'events/s': j.perSecond, 'MiB/s': j.mbPerSecond, 'peak RSS MiB': r.maxRssMb ?? NaN });
    await ctx.kafka.deleteTopics([t1]);
    ctx.log(`publish run ${i + 1}: casebridge ${Math.round(j.perSecond)} events/s`);

    if (!s.kafkaClasspath) {
      peerError = 'no Kafka classpath (scripts/kafka/kafka.sh classpath failed)';
      continue;
    }
    const t2 = uniqueTopic('perftest');
    await ctx.kafka.createTopic(t2, s.partitions);
    const p = await runMeasured('java', [
      '-Xmx512m',
      '-cp',
      s.kafkaClasspath,
      'org.apache.kafka.tools.ProducerPerformance',
      '--topic',
      t2,
      '--num-records',
      String(s.publishEvents),
      '--record-size',
      String(sizes.total),
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${s.brokers.join(',')}`,
      'acks=all',
      'enable.idempotence=true',
    ]);
    if (p.code !== 0) {
      peerError = `kafka-producer-perf-test exited ${p.code}: ${p.stderr.slice(-300)}`;
      await ctx.kafka.deleteTopics([t2]);
      continue;
    }
    // "100000 records sent, 41152.263374 records/sec (38.57 MB/sec), ..." — the final summary line.
    const m = /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\)[^\n]*50th/.exec(p.stdout);
    if (!m) throw new Error(`cannot read kafka-producer-perf-test output:\n${p.stdout.slice(-1000)}`);
    peer.push(Number(m[2]));
    peerDetail.push({ run: i + 1, 'records/s': Number(m[2]), 'MB/s': Number(m[3]), 'peak RSS MiB': p.maxRssMb ?? NaN });
    await ctx.kafka.deleteTopics([t2]);
    ctx.log(`publish run ${i + 1}: perf-test ${Math.round(Number(m[2]))} records/s`);
  }
  const cb = makeSide('casebridge Kafka publisher', 'events/s', ours, oursDetail);
  const pe = peerError && peer.length === 0 ? failedSide('kafka-producer-perf-test', 'records/s', peerError) : makeSide('kafka-producer-perf-test', 'records/s', peer, peerDetail);
  const ratio = cb.median / pe.median;
  const st = makeSide('casebridge Kafka publisher, structured mode', 'events/s', structured, structuredDetail);
  const modes = median(ours.map((x, i) => x / structured[i]!));
  return [{
    id: 'publish',
    title: `Publish only, ${s.publishEvents.toLocaleString('en-GB')} events of ${sizes.total} B`,
    casebridge: cb,
    peer: pe,
    ratio: Number.isFinite(ratio) ? ratio : undefined,
    goal: { text: '≥ 0.5', met: Number.isFinite(ratio) ? ratio >= 0.5 : undefined },
    notes: [
      `Topic: ${s.partitions} partitions, replication factor 1 (single broker). Both producers: acks=all, idempotence on.`,
      `casebridge: events built beforehand (street-services mapping), published in calls of ${s.publishBatch} events one after another, as the runtime hands over connector batches; record = ${sizes.value} B JSON value + key + 8 CloudEvents headers = ${sizes.total} B. Timed from the first publish() to the last one resolving, after connecting. Its peak RSS is mostly the events built in advance.`,
      `perf-test: --record-size ${sizes.total} (random payload, no key, no headers), --throughput -1, producer defaults otherwise (linger.ms 5, batch.size 16384, 5 requests in flight); its own records/sec (first send to last acknowledgement).`,
    ],
  }, {
    id: 'publish-modes',
    title: `Publish only, binary mode (8 ce_* headers) vs structured mode (1 header)`,
    casebridge: cb,
    peer: st,
    ratio: modes,
    goal: { text: 'reference (binary / structured)', met: undefined },
    notes: ['Same events, same topic shape, interleaved runs; ratio = median of per-repeat binary / structured. Structured: value = the whole CloudEvent as JSON, content-type application/cloudevents+json.'],
  }];
}
