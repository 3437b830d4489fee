/**
 * The Kafka publisher against a real broker: what it writes is read back by an independent
 * consumer and decoded with the official CloudEvents SDK's Kafka binding.
 */
import { Kafka as CloudEventsKafka, type CloudEvent } from 'cloudevents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadLetter } from '../../src/core/dead-letter.js';
import { createKafkaPublisher, type KafkaPublisher } from '../../src/publish/kafka/create.js';
import { KafkaPublisherConfig } from '../../src/publish/kafka/config.js';
import { fixedClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { kafkajsReplacements } from '../../src/publish/kafka/kafkajs-preload.js';
import { brokers, makeEvent, readTopic, uid, type ReadMessage } from './helpers.js';

const councils = [
  { gss: 'E09000019', name: 'Islington' },
  { gss: 'E07000178', name: 'Oxford' },
];
const open: KafkaPublisher[] = [];

function publisher(overrides: Partial<KafkaPublisherConfig> & { councils?: typeof councils & { topic?: string }[] } = {}): { p: KafkaPublisher; prefix: string } {
  const prefix = `cbtest-${uid()}`;
  const { councils: cs, ...rest } = overrides;
  const config = KafkaPublisherConfig.parse({
    type: 'kafka',
    brokers: brokers(),
    topic: `${prefix}.{council}.cases`,
    deadLetterTopic: `${prefix}.{council}.dead-letters`,
    createTopics: true,
    partitions: 4,
    replicationFactor: 1,
    ...rest,
  });
  const p = createKafkaPublisher(config, { logger: silentLogger(), councils: cs ?? councils, clock: fixedClock('2025-11-03T15:00:00Z') });
  open.push(p);
  return { p, prefix };
}

/** Decode with the CloudEvents SDK, exactly as a portal would. */
function decode(m: ReadMessage): CloudEvent<unknown> {
  const message = { key: m.key, value: m.value, headers: m.headers, body: m.value, timestamp: undefined };
  expect(CloudEventsKafka.isEvent(message as never)).toBe(true);
  return CloudEventsKafka.toEvent(message as never) as CloudEvent<unknown>;
}

beforeAll(() => {
  brokers(); // fail every test here, loudly, when no broker is configured
});
afterAll(async () => {
  for (const p of open) await p.close();
});

describe('Kafka publisher (real broker)', () => {
  it('publishes binary-mode CloudEvents that the CloudEvents SDK decodes to the original event', async () => {
    const { p, prefix } = publisher();
    await p.start();
    expect(p.health().ok).toBe(true);
    const events = Array.from({ length: 60 }, (_, i) => makeEvent({ reference: `ISL-${i % 12}`, version: Math.floor(i / 12) }));
    await p.publish(events);

    const read = await readTopic(`${prefix}.E09000019.cases`);
    expect(read).toHaveLength(60);
    const byId = new Map(events.map((e) => [e.event.id, e]));
    for (const m of read) {
      expect(m.headers['content-type']).toBe('application/json');
      expect(m.headers.ce_specversion).toBe('1.0');
      const ce = decode(m);
      const original = byId.get(ce.id)!;
      expect(original, `event ${ce.id} was not published by this test`).toBeDefined();
      expect(m.key).toBe(original.key);
      expect(ce.partitionkey).toBe(original.key);
      expect({ id: ce.id, source: ce.source, type: ce.type, subject: ce.subject, time: ce.time, dataschema: ce.dataschema, datacontenttype: ce.datacontenttype }).toEqual({
        id: original.event.id,
        source: original.event.source,
        type: original.event.type,
        subject: original.event.subject,
        // The SDK normalises time to an ISO string with milliseconds.
        time: new Date(original.event.time).toISOString(),
        dataschema: original.event.dataschema,
        datacontenttype: 'application/json',
      });
      expect(ce.data).toEqual(original.event.data);
      // The per-case sequence travels as the CloudEvents extension attribute casesequence, a
      // ce_casesequence header in binary mode; the SDK decodes it (header values are strings).
      expect(m.headers.ce_casesequence).toBe(String(original.event.casesequence));
      expect(Number(ce.casesequence)).toBe(original.event.casesequence);
      expect(ce.validate()).toBe(true);
    }
    expect(new Set(read.map((m) => decode(m).id)).size).toBe(60);
  });

  it("keeps each case's events in order on one partition, over several partitions and publishes", async () => {
    const { p, prefix } = publisher({ partitions: 6 });
    await p.start();
    // Through casebridge's replacements of kafkajs' grouping, records, batches, checksums and requests (kafkajs-preload.ts).
    const replaced = Object.values(kafkajsReplacements()).map((r) => (r.installed ? r.calls() : -1));
    expect(replaced).not.toContain(-1);
    const cases = 30;
    const versions = 8;
    // Versions interleaved across cases, published in 4 separate calls.
    const all = Array.from({ length: versions }, (_, v) => Array.from({ length: cases }, (_, c) => makeEvent({ reference: `HW-${c}`, version: v }))).flat();
    for (let i = 0; i < all.length; i += 60) await p.publish(all.slice(i, i + 60));

    const read = await readTopic(`${prefix}.E09000019.cases`);
    expect(read).toHaveLength(cases * versions);
    const partitions = new Set(read.map((m) => m.partition));
    expect(partitions.size).toBeGreaterThan(1);
    const byKey = new Map<string, ReadMessage[]>();
    for (const m of read) byKey.set(m.key!, [...(byKey.get(m.key!) ?? []), m]);
    expect(byKey.size).toBe(cases);
    for (const [key, msgs] of byKey) {
      expect(new Set(msgs.map((m) => m.partition)).size, `case ${key} spread over partitions`).toBe(1);
      const inOffsetOrder = [...msgs].sort((a, b) => a.offset - b.offset);
      const versionsRead = inOffsetOrder.map((m) => (JSON.parse(m.value) as { provenance: { position: { line: number } } }).provenance.position.line - 2);
      expect(versionsRead).toEqual(Array.from({ length: versions }, (_, v) => v));
    }
    const after = Object.values(kafkajsReplacements()).map((r) => (r.installed ? r.calls() : -1));
    const [checksums, records, groupings, requests, batches, produces] = after.map((n, i) => n - replaced[i]!);
    expect(batches).toBeGreaterThan(0);
    expect(produces).toBeGreaterThan(0);
    expect(records).toBeGreaterThanOrEqual(cases * versions);
    expect(checksums).toBeGreaterThan(0);
    expect(groupings).toBeGreaterThan(0);
    expect(requests).toBeGreaterThan(0);
  });

  it('publishes structured-mode CloudEvents (application/cloudevents+json, whole event as value)', async () => {
    const { p, prefix } = publisher({ mode: 'structured' });
    await p.start();
    const events = Array.from({ length: 10 }, (_, i) => makeEvent({ reference: `ST-${i}`, version: 1, status: 'in_progress' }));
    await p.publish(events);
    const read = await readTopic(`${prefix}.E09000019.cases`);
    expect(read).toHaveLength(10);
    for (const m of read) {
      expect(m.headers['content-type']).toMatch(/^application\/cloudevents\+json/);
      expect(Object.keys(m.headers).filter((h) => h.startsWith('ce_'))).toEqual([]);
      const ce = decode(m);
      const original = events.find((e) => e.event.id === ce.id)!;
      expect(JSON.parse(m.value)).toEqual(original.event);
      expect(ce.data).toEqual(original.event.data);
      expect(ce.casesequence).toBe(2);
      expect(m.key).toBe(original.key);
    }
  });

  it('routes councils to their own topics, honours a per-council topic override, and gzip-compresses', async () => {
    const prefix2 = `cbtest-${uid()}`;
    const { p, prefix } = publisher({
      compression: 'gzip',
      councils: [
        { gss: 'E09000019', name: 'Islington' },
        { gss: 'E07000178', name: 'Oxford', topic: `${prefix2}.oxford-shared` },
      ],
    });
    await p.start();
    const isl = Array.from({ length: 5 }, (_, i) => makeEvent({ reference: `I-${i}`, version: 0 }));
    const oxf = Array.from({ length: 7 }, (_, i) => makeEvent({ gss: 'E07000178', connector: 'oxford-highways', supplier: 'Confirm', reference: `O-${i}`, version: 0 }));
    await p.publish([...isl, ...oxf]);
    expect((await readTopic(`${prefix}.E09000019.cases`)).map((m) => decode(m).id).sort()).toEqual(isl.map((e) => e.event.id).sort());
    expect((await readTopic(`${prefix2}.oxford-shared`)).map((m) => decode(m).id).sort()).toEqual(oxf.map((e) => e.event.id).sort());
  });

  it('splits a large publish into requests under maxRequestBytes without losing order', async () => {
    const { p, prefix } = publisher({ maxRequestBytes: 16 * 1024, partitions: 2 });
    await p.start();
    const events = Array.from({ length: 400 }, (_, i) => makeEvent({ reference: `BIG-${i % 5}`, version: Math.floor(i / 5) }));
    await p.publish(events);
    const read = await readTopic(`${prefix}.E09000019.cases`);
    expect(read).toHaveLength(400);
    for (let c = 0; c < 5; c++) {
      const mine = read.filter((m) => m.key === events[c]!.key).sort((a, b) => a.offset - b.offset);
      expect(mine.map((m) => decode(m).id)).toEqual(events.filter((e) => e.key === events[c]!.key).map((e) => e.event.id));
    }
  });

  it('sends dead letters to the dead-letter topic with reason, code and position, keyed by connector', async () => {
    const { p, prefix } = publisher();
    await p.start();
    const letters: DeadLetter[] = [0, 1, 2].map((i) =>
      DeadLetter.parse({
        id: `${'d'.repeat(31)}${i}`,
        council: 'E09000019',
        connector: 'islington-waste',
        stage: 'validation',
        reason: `case.status: unknown status code "Z${i}" in lookup table "stages" (expected one of 1, 9)`,
        code: 'unknown_status',
        field: 'case.status',
        position: { file: 'CRM_Export_20251103.csv', line: 40 + i },
        record: { CRNo: `CR${i}`, Stage: `Z${i}` },
        at: '2025-11-03T15:00:00Z',
      }),
    );
    await p.deadLetter(letters);
    // Events still flow after dead letters.
    await p.publish([makeEvent({ reference: 'AFTER-1', version: 0 })]);
    const read = await readTopic(`${prefix}.E09000019.dead-letters`);
    expect(read).toHaveLength(3);
    for (const m of read) {
      expect(m.key).toBe('islington-waste');
      expect(m.headers.casebridge_reason_code).toBe('unknown_status');
      expect(m.headers.casebridge_stage).toBe('validation');
      const body = DeadLetter.parse(JSON.parse(m.value));
      const original = letters.find((l) => l.id === body.id)!;
      expect(body).toEqual(original);
      expect(body.position.line).toBeGreaterThanOrEqual(40);
      expect(body.reason).toContain('unknown status code');
    }
    expect(await readTopic(`${prefix}.E09000019.cases`)).toHaveLength(1);
  });
});
