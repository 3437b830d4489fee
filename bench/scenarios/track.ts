/**
 * Scenarios 6 and 7, the tracker (`casebridge track`) on PostgreSQL:
 *  - ingest: events/s from a 6-partition Kafka topic into the projection (contract check, per-case
 *    order, timeline and case rows), beside a bare consumer writing the same batches to one table;
 *  - lookup: p99 latency of GET /v1/councils/{gss}/cases/{reference} with autocannon, 100
 *    connections, over BENCH_TRACK_CASES cases, beside a plain SELECT by primary key through the
 *    same pool and the same HTTP server.
 * Rates count from the first event applied to the last, so process start-up is not in them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { silentLogger } from '../../src/core/logger.js';
import { createApplier } from '../../src/track/ingest/applier.js';
import { createTrackMetrics } from '../../src/track/metrics.js';
import { openPostgresProjection } from '../../src/track/store/postgres.js';
import { caseKey } from '../../src/event/identity.js';
import { CLI, TSX, makeSide, scenarioScript, type BenchContext } from '../lib/context.js';
import { uniqueTopic } from '../lib/kafka.js';
import type { ScenarioResult } from '../lib/result.js';
import { sleep } from '../lib/proc.js';
import { benchCaseKey, benchEvent, benchReference, BENCH_GSS, checkSample } from './track-data.js';

interface AutocannonResult {
  latency: { p50: number; p99: number; average: number };
  requests: { average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const BATCH = 2000;

async function untilCount(pool: pg.Pool, sql: string, target: number, timeoutMs: number): Promise<{ seconds: number; counted: number }> {
  let first: { t: number; n: number } | undefined;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = Number((await pool.query(sql).catch(() => ({ rows: [{ n: 0 }] }))).rows[0].n);
    const now = performance.now();
    if (n > 0 && !first) first = { t: now, n };
    if (n >= target) return { seconds: (now - first!.t) / 1000, counted: n - first!.n };
    if (Date.now() > deadline) throw new Error(`ingest stalled at ${n} of ${target} events`);
    await sleep(100);
  }
}

function stopChild(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((r) => {
    p.once('exit', () => r());
    p.kill('SIGTERM');
  });
}

async function produce(brokers: string[], topic: string, events: number, perCase: number): Promise<void> {
  const kafka = new Kafka({ clientId: 'bench-track-producer', brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const cases = Math.ceil(events / perCase);
  let sent = 0;
  try {
    for (let step = 1; step <= perCase && sent < events; step++) {
      for (let from = 0; from < cases && sent < events; from += 5000) {
        const messages = [];
        for (let n = from; n < Math.min(cases, from + 5000) && sent < events; n++, sent++) {
          const e = benchEvent(n, step);
          messages.push({ key: caseKey({ gss: BENCH_GSS, supplier: e.data.system.supplier, reference: e.data.case.reference }), value: JSON.stringify(e), headers: { 'content-type': 'application/cloudevents+json; charset=UTF-8' } });
        }
        await producer.send({ topic, acks: -1, messages });
      }
    }
  } finally {
    await producer.disconnect();
  }
}

export async function trackIngestScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const s = ctx.settings;
  checkSample();
  const events = s.trackEvents;
  const topic = uniqueTopic('track');
  await ctx.kafka.createTopic(topic, s.partitions);
  await produce(s.brokers, topic, events, 5);
  ctx.log(`track ingest: ${events} events on ${topic} (${s.partitions} partitions)`);
  const pool = new pg.Pool({ connectionString: s.pgUrl, max: 2 });
  const schemas: string[] = [];
  const ours: number[] = [];
  const peer: number[] = [];
  const oursDetail: Record<string, unknown>[] = [];
  const peerDetail: Record<string, unknown>[] = [];
  try {
    for (let i = 0; i < s.repeats; i++) {
      const schema = `bench_track_${process.pid}_${i}`;
      schemas.push(schema);
      const cfg = join(ctx.tmp, `track-${i}.yaml`);
      writeFileSync(
        cfg,
        [
          'version: 1',
          `source: { type: kafka, brokers: [${s.brokers.join(', ')}], topics: [${topic}], groupId: bench-track-${process.pid}-${i}, batchSize: ${BATCH} }`,
          `store: { kind: postgres, url: "${s.pgUrl}", schema: ${schema}, poolSize: 10 }`,
          'http: { host: 127.0.0.1, port: 0 }',
          'log: { level: warn }',
        ].join('\n'),
      );
      const child = spawn(process.execPath, [CLI, 'track', cfg], { stdio: ['ignore', 'ignore', 'inherit'] });
      try {
        const r = await untilCount(pool, `SELECT count(*) AS n FROM "${schema}".events`, events, 600_000);
        ours.push(r.counted / r.seconds);
        oursDetail.push({ events: r.counted, seconds: r.seconds });
        ctx.log(`track ingest run ${i + 1}: casebridge ${Math.round(r.counted / r.seconds)} events/s`);
      } finally {
        await stopChild(child);
      }

      const bareSchema = `bench_bare_${process.pid}_${i}`;
      schemas.push(bareSchema);
      const bare = spawn(process.execPath, [...TSX, scenarioScript('track-bare-ingest.ts'), '--brokers', s.brokers.join(','), '--topic', topic, '--url', s.pgUrl, '--schema', bareSchema, '--batch', String(BATCH)], { stdio: ['ignore', 'ignore', 'inherit'] });
      try {
        const r = await untilCount(pool, `SELECT count(*) AS n FROM "${bareSchema}".bare_events`, events, 600_000);
        peer.push(r.counted / r.seconds);
        peerDetail.push({ events: r.counted, seconds: r.seconds });
        ctx.log(`track ingest run ${i + 1}: bare ${Math.round(r.counted / r.seconds)} events/s`);
      } finally {
        await stopChild(bare);
      }
    }
  } finally {
    for (const sc of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${sc}" CASCADE`);
    await pool.end();
    await ctx.kafka.deleteTopics([topic]);
  }
  const cb = makeSide('casebridge track (Kafka → PostgreSQL projection)', 'events/s', ours, oursDetail);
  const bare = makeSide('bare consumer + one INSERT per batch', 'events/s', peer, peerDetail);
  return {
    id: 'track-ingest',
    title: `Tracker ingest, ${events.toLocaleString('en-GB')} events (5 per case) from ${s.partitions} partitions into PostgreSQL`,
    casebridge: cb,
    peer: bare,
    ratio: cb.median / bare.median,
    goal: { text: '≥ 10,000 events/s', met: cb.median >= 10_000 },
    notes: [`Batches of ${BATCH} events, one transaction each (events, case rows, dead letters). Rate counted from the first event in the store to the last.`],
  };
}

export async function trackLookupScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const s = ctx.settings;
  const cases = s.trackCases;
  const schema = `bench_lookup_${process.pid}`;
  const store = openPostgresProjection({ url: s.pgUrl, schema, poolSize: 4 });
  await store.migrate();
  const applier = createApplier({ store, metrics: createTrackMetrics(), logger: silentLogger() });
  const { decodeEventObject } = await import('../../src/track/tracked-event.js');
  const seeded = performance.now();
  // Two events per case: the lookup reads the case row and its timeline.
  for (let step = 1; step <= 2; step++) {
    for (let from = 0; from < cases; from += 5000) {
      const items = [];
      for (let n = from; n < Math.min(cases, from + 5000); n++) items.push({ decoded: decodeFast(benchEvent(n, step), decodeEventObject, n === from), from: 'bench' });
      await applier.apply(items);
    }
  }
  await store.pool.query(`ANALYZE "${schema}".cases`);
  await store.pool.query(`ANALYZE "${schema}".events`);
  ctx.log(`track lookup: ${cases} cases seeded in ${((performance.now() - seeded) / 1000).toFixed(0)} s`);
  await store.close();

  const server = spawn(process.execPath, [...TSX, scenarioScript('track-server.ts'), '--url', s.pgUrl, '--schema', schema], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ours: number[] = [];
  const peer: number[] = [];
  const oursDetail: Record<string, unknown>[] = [];
  const peerDetail: Record<string, unknown>[] = [];
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      server.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /\{"url":"([^"]+)"\}/.exec(out);
        if (m) resolve(m[1]!);
      });
      server.once('exit', (code) => reject(new Error(`track-server exited with ${code}`)));
    });
    const pick = () => Math.floor(Math.random() * cases);
    const run = async (path: () => string) => {
      const r = await autocannon({
        url,
        connections: 100,
        duration: s.trackSeconds,
        requests: [{ method: 'GET', setupRequest: (req: Record<string, unknown>) => ({ ...req, path: path() }) }],
      });
      if (r.non2xx > 0 || r.errors > 0) throw new Error(`lookup bench: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
      return r;
    };
    // Warm the pool and the server's code paths before measuring.
    await autocannon({ url: `${url}/v1/councils/${BENCH_GSS}/cases/${benchReference(0)}`, connections: 10, duration: 2 });
    for (let i = 0; i < s.repeats; i++) {
      const a = await run(() => `/v1/councils/${BENCH_GSS}/cases/${benchReference(pick())}`);
      ours.push(a.latency.p99);
      oursDetail.push({ p50: a.latency.p50, p99: a.latency.p99, requestsPerSecond: a.requests.average });
      const b = await run(() => `/bare/${encodeURIComponent(benchCaseKey(pick()))}`);
      peer.push(b.latency.p99);
      peerDetail.push({ p50: b.latency.p50, p99: b.latency.p99, requestsPerSecond: b.requests.average });
      ctx.log(`track lookup run ${i + 1}: p99 ${a.latency.p99} ms (bare ${b.latency.p99} ms), ${Math.round(a.requests.average)} req/s (bare ${Math.round(b.requests.average)})`);
    }
  } finally {
    await stopChild(server);
    const pool = new pg.Pool({ connectionString: s.pgUrl, max: 1 });
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  }
  const cb = makeSide('GET /v1/councils/{gss}/cases/{reference} (case + timeline)', 'ms p99', ours, oursDetail);
  const bare = makeSide('plain SELECT by primary key, same pool and server', 'ms p99', peer, peerDetail);
  return {
    id: 'track-lookup',
    title: `Tracker lookup latency, autocannon 100 connections × ${s.trackSeconds} s over ${cases.toLocaleString('en-GB')} cases`,
    casebridge: cb,
    peer: bare,
    ratio: cb.median / bare.median,
    goal: { text: 'p99 ≤ 20 ms', met: cb.median <= 20 },
    notes: ['Random reference per request. Ratio is casebridge p99 / baseline p99 (lower is better). Set BENCH_TRACK_CASES=1000000 for the full size.'],
  };
}

/** Contract-check one event per chunk; the rest are built by the same generator. */
function decodeFast(e: ReturnType<typeof benchEvent>, decode: (v: unknown) => import('../../src/track/tracked-event.js').Decoded, check: boolean) {
  if (check) return decode(e);
  return { ok: true as const, event: e, key: caseKey({ gss: BENCH_GSS, supplier: e.data.system.supplier, reference: e.data.case.reference }), sequence: e.casesequence! };
}
