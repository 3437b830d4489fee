/**
 * The tracker against the real Kafka broker (KAFKA_BROKERS) and the real PostgreSQL on 127.0.0.1:
 * per-case order over 6 partitions, both CloudEvents binding modes, an out-of-order older event,
 * a contract failure dead-lettered, redelivery changing nothing, the compacted case-state topic,
 * and two trackers in one group with one SIGKILLed mid-ingest ending identical to a clean run.
 * Every topic, group and schema is unique to the test and removed afterwards.
 */
import { waitForTopics } from '../../src/core/topic-wait.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseYamlConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/core/logger.js';
import { TrackConfig } from '../../src/track/config.js';
import { createTracker, type Tracker } from '../../src/track/tracker.js';
import type { TrackedEvent } from '../../src/track/tracked-event.js';
import { caseKey } from '../../src/event/identity.js';
import { event, PG_URL, uid, type Spec } from './helpers.js';

const REPO = resolve(import.meta.dirname, '../..');
const BROKERS = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
const kafka = new Kafka({ clientId: 'cb-track-test', brokers: BROKERS.length ? BROKERS : ['127.0.0.1:1'], logLevel: logLevel.NOTHING });
const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
const dirs: string[] = [];
const schemas: string[] = [];
const topics: string[] = [];
let producer: Producer;

const keyOf = (e: TrackedEvent) => caseKey({ gss: e.data.council.gss, supplier: e.data.system.supplier, reference: e.data.case.reference });

/** CloudEvents Kafka binding: binary (ce_* headers, value = data) or structured (value = event). */
function message(e: TrackedEvent, mode: 'binary' | 'structured') {
  if (mode === 'structured') return { key: keyOf(e), value: JSON.stringify(e), headers: { 'content-type': 'application/cloudevents+json; charset=UTF-8' } };
  const headers: Record<string, string> = { 'content-type': 'application/json', ce_specversion: e.specversion, ce_id: e.id, ce_source: e.source, ce_type: e.type, ce_subject: e.subject, ce_time: e.time, ce_dataschema: e.dataschema };
  if (e.casesequence !== undefined) headers.ce_casesequence = String(e.casesequence);
  return { key: keyOf(e), value: JSON.stringify(e.data), headers };
}

async function newTopic(partitions = 6): Promise<string> {
  const topic = `cb-track-${uid()}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: false, topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }] });
  await waitForTopics(admin, [topic], { timeoutMs: 30_000 });
  await admin.disconnect();
  topics.push(topic);
  return topic;
}

async function send(topic: string, events: TrackedEvent[], extra: Array<{ key: string; value: string; headers?: Record<string, string> }> = []): Promise<void> {
  const messages = [...events.map((e, i) => message(e, i % 2 ? 'binary' : 'structured')), ...extra];
  for (let i = 0; i < messages.length; i += 1000) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 1000) });
}

function configYaml(o: { topic: string; group: string; schema: string; batchSize?: number; caseStateTopic?: string }): string {
  return [
    'version: 1',
    `source: { type: kafka, brokers: [${BROKERS.join(', ')}], topics: [${o.topic}], groupId: ${o.group}, batchSize: ${o.batchSize ?? 500}, sessionTimeout: 6s${o.caseStateTopic ? `, caseStateTopic: ${o.caseStateTopic}, replicationFactor: 1` : ''} }`,
    `store: { kind: postgres, url: "${PG_URL}", schema: ${o.schema}, poolSize: 4 }`,
    'http: { host: 127.0.0.1, port: 0 }',
    'services: [{ code: FLY, privacy: public }]',
    'log: { level: warn }',
  ].join('\n');
}

async function startTracker(o: Parameters<typeof configYaml>[0]): Promise<Tracker> {
  schemas.push(o.schema);
  const loaded = parseYamlConfig(TrackConfig, configYaml(o), 'track.yaml', tmpdir());
  const t = await createTracker({ loaded, logger: silentLogger() });
  await t.start({ http: false });
  return t;
}

async function waitFor<T>(what: string, probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 90_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (done(v)) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const eventCount = async (schema: string) => Number((await pool.query(`SELECT count(*) AS n FROM "${schema}".events`).catch(() => ({ rows: [{ n: -1 }] }))).rows[0].n);

/** The whole projection as text, for comparing two runs. */
async function dump(schema: string): Promise<{ cases: string[]; events: string[]; deadLetters: string[] }> {
  const cases = await pool.query(`SELECT case_key, council, reference, service_id, status, seq, time_ms, event_id, requested_ms, postcode, state::text AS state FROM "${schema}".cases ORDER BY case_key`);
  const events = await pool.query(`SELECT event_id, case_key, time_ms, entry::text AS entry FROM "${schema}".events ORDER BY event_id`);
  const dls = await pool.query(`SELECT id, reason FROM "${schema}".dead_letters ORDER BY id`);
  return { cases: cases.rows.map((r) => JSON.stringify(r)), events: events.rows.map((r) => JSON.stringify(r)), deadLetters: dls.rows.map((r) => JSON.stringify(r)) };
}

/** `cases` cases × `steps` sequenced status changes each, in order per case. */
function workload(prefix: string, cases: number, steps: number): TrackedEvent[] {
  const out: TrackedEvent[] = [];
  const statuses: Array<Spec['status']> = ['received', 'in_progress', 'scheduled', 'on_hold', 'resolved', 'closed'];
  for (let s = 1; s <= steps; s++) for (let c = 0; c < cases; c++) out.push(event({ reference: `${prefix}${c}`, minute: s * 3 + (c % 3), sequence: s, status: statuses[(s - 1) % statuses.length]!, code: `c${s}` }));
  return out;
}

beforeAll(async () => {
  if (!BROKERS.length) throw new Error('KAFKA_BROKERS is not set: run with `npm test` or export KAFKA_BROKERS=127.0.0.1:19092');
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
});

afterAll(async () => {
  await producer?.disconnect();
  for (const s of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await pool.end();
  if (topics.length) {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('tracker on Kafka + PostgreSQL', () => {
  // Bounded waits inside; the outer limit only has to cover them on a loaded 2-core machine.
  it('keeps per-case order over 6 partitions, ignores an older event, dead-letters a bad one, and a redelivery changes nothing', { timeout: 300_000 }, async () => {
    const topic = await newTopic(6);
    const caseStateTopic = `${topic}-state`;
    topics.push(caseStateTopic);
    const events = workload('K', 60, 5);
    // OOO: sequence 1 and 3 arrive, then the older sequence 2.
    const ooo = [1, 3, 2].map((n) => event({ reference: 'OOO', minute: n * 10, sequence: n, status: n === 3 ? 'closed' : 'in_progress', code: `o${n}` }));
    await send(topic, [...events, ...ooo], [{ key: 'bad', value: '{"specversion":"1.0","id":"nope"}', headers: { 'content-type': 'application/cloudevents+json' } }]);
    const total = events.length + ooo.length;

    const schema = `t_${uid()}`;
    const group = `g-${uid()}`;
    const t1 = await startTracker({ topic, group, schema, batchSize: 50, caseStateTopic });
    try {
      await waitFor('every event applied', () => eventCount(schema), (n) => n === total);
      await waitFor('the dead letter', async () => (await t1.store.counts()).deadLetters, (n) => n === 1);
      for (let c = 0; c < 60; c++) {
        const [rec] = await t1.store.findCases(`K${c}`);
        expect(rec!.seq).toBe(5);
        expect(rec!.state.case.status.code).toBe('c5');
        expect(rec!.timeline!.map((x) => x.sequence)).toEqual([1, 2, 3, 4, 5]);
      }
      const [o] = await t1.store.findCases('OOO');
      expect(o!.state.case.status.code).toBe('o3');
      expect(o!.timeline!.map((x) => x.code)).toEqual(['o1', 'o2', 'o3']);
      // Consumer lag per partition, as /metrics shows it: every partition caught up.
      const lag = await waitFor('lag reported for every partition', async () => (await t1.metrics.consumerLag.get()).values, (v) => v.length === 6 && v.every((x) => x.value === 0));
      expect(lag.map((v) => v.labels.partition).sort()).toEqual(['0', '1', '2', '3', '4', '5']);
      expect(await t1.metrics.registry.metrics()).toMatch(new RegExp(`casebridge_track_consumer_lag\\{topic="${topic}",partition="0"\\} 0`));
      const dl = await pool.query(`SELECT source, reason FROM "${schema}".dead_letters`);
      expect(dl.rows[0].source).toMatch(new RegExp(`^${topic}/\\d@\\d+$`));
      expect(dl.rows[0].reason).toMatch(/not a case event: .*id/);
    } finally {
      await t1.stop();
    }
    const before = await dump(schema);

    // Redelivery: a second group reads the whole topic again into the same projection.
    const t2 = await startTracker({ topic, group: `g-${uid()}`, schema, batchSize: 50 });
    try {
      await waitFor('the redelivered batch counted as duplicates', async () => (await t2.metrics.events.get()).values.find((v) => v.labels.result === 'duplicate')?.value ?? 0, (n) => n === total);
      expect((await t2.metrics.events.get()).values.find((v) => v.labels.result === 'applied')?.value ?? 0).toBe(0);
    } finally {
      await t2.stop();
    }
    expect(await dump(schema)).toEqual(before);

    // The compacted case-state topic holds each case's latest state under its case key.
    const admin = kafka.admin();
    await admin.connect();
    const cfg = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: caseStateTopic, configNames: ['cleanup.policy'] }] });
    await admin.disconnect();
    expect(cfg.resources[0]!.configEntries[0]!.configValue).toBe('compact');
    const latest = new Map<string, { sequence?: number }>();
    const consumer = kafka.consumer({ groupId: `r-${uid()}` });
    await consumer.connect();
    await consumer.subscribe({ topic: caseStateTopic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message: m }) => void latest.set(m.key!.toString(), JSON.parse(m.value!.toString()) as { sequence?: number }) });
    await waitFor('case-state for every case', async () => latest.size, (n) => n === 61);
    await consumer.disconnect();
    expect(latest.get(keyOf(ooo[0]!))).toMatchObject({ sequence: 3, reference: 'OOO', status: { code: 'o3' }, location: { latitude: 51.547, longitude: -0.106 } });
    const leaked = [...latest.values()].filter((v) => /personal|provenance|N1 1XR|5300034721|Upper Street/.test(JSON.stringify(v)));
    expect(leaked).toHaveLength(0);
  });

  it('two trackers in one group, one SIGKILLed mid-ingest: the projection equals a single clean run', { timeout: 400_000 }, async () => {
    const topic = await newTopic(6);
    const events = workload('S', 400, 10);
    const firstHalf = events.slice(0, 2000);
    await send(topic, firstHalf);
    const dir = mkdtempSync(join(tmpdir(), 'cb-track-kill-'));
    dirs.push(dir);
    const schema = `t_${uid()}`;
    schemas.push(schema);
    const group = `g-${uid()}`;
    const cfgFile = join(dir, 'track.yaml');
    writeFileSync(cfgFile, configYaml({ topic, group, schema, batchSize: 100 }));
    const spawnTracker = (): ChildProcess => spawn(process.execPath, [join(REPO, 'dist/cli/main.js'), 'track', cfgFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    const a = spawnTracker();
    const b = spawnTracker();
    let stderr = '';
    for (const p of [a, b]) p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      const admin = kafka.admin();
      await admin.connect();
      await waitFor('both trackers in the group', async () => (await admin.describeGroups([group])).groups[0]?.members.length ?? 0, (n) => n === 2);
      await waitFor('ingest under way', () => eventCount(schema), (n) => n >= 500);
      // Kill one while the second half is still being produced: it dies mid-ingest.
      await send(topic, events.slice(2000, 2500));
      a.kill('SIGKILL');
      const atKill = await eventCount(schema);
      expect(atKill).toBeLessThan(events.length);
      await send(topic, events.slice(2500));
      await waitFor('the survivor applies everything', () => eventCount(schema), (n) => n === events.length, 120_000);
      await waitFor('the killed member leaves the group', async () => (await admin.describeGroups([group])).groups[0]?.members.length ?? 0, (n) => n === 1);
      await admin.disconnect();
    } finally {
      for (const p of [a, b]) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
      await Promise.all([a, b].map((p) => (p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once('exit', r)))));
    }
    // A rebalance may restart the survivor's consumer (logged); nothing may escape unhandled.
    expect(stderr).not.toMatch(/unhandled rejection|failed the contract/);

    const clean = `t_${uid()}`;
    const t = await startTracker({ topic, group: `g-${uid()}`, schema: clean, batchSize: 500 });
    try {
      await waitFor('the clean run applies everything', () => eventCount(clean), (n) => n === events.length);
    } finally {
      await t.stop();
    }
    const [killed, single] = [await dump(schema), await dump(clean)];
    expect(killed.cases).toHaveLength(400);
    expect(killed.events).toHaveLength(events.length);
    expect(killed).toEqual(single);
  });
});
