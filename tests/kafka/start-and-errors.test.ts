/**
 * What the Kafka publisher says when it cannot work: missing topics, topics it cannot create,
 * a broker that is not there. Against the real broker (and a port where none listens).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaPublisher, type KafkaPublisher } from '../../src/publish/kafka/create.js';
import { KafkaPublisherConfig } from '../../src/publish/kafka/config.js';
import { systemClock } from '../../src/core/clock.js';
import { ConfigError, PublishError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import { brokers, freePort, makeEvent, readTopic, uid } from './helpers.js';

const councils = [{ gss: 'E09000019', name: 'Islington' }];
const open: KafkaPublisher[] = [];
/** The same checks with kafkajs on the main thread and on its worker thread (publisher.thread). */
let thread = false;

function make(config: Record<string, unknown>, extra: { connectors?: { name: string; council: string }[] } = {}): KafkaPublisher {
  const p = createKafkaPublisher(KafkaPublisherConfig.parse({ type: 'kafka', brokers: brokers(), thread, ...config }), { logger: silentLogger(), councils, clock: systemClock, ...extra });
  open.push(p);
  return p;
}

beforeAll(() => {
  brokers();
});
afterAll(async () => {
  for (const p of open) await p.close();
});

describe.each([false, true])('Kafka publisher start-up and failures (thread: %s)', (onThread) => {
  beforeAll(() => {
    thread = onThread;
  });
  it('refuses to start when a topic is missing and createTopics is off, naming the topic', async () => {
    const prefix = `cbtest-${uid()}`;
    const p = make({ topic: `${prefix}.{council}.cases`, deadLetterTopic: `${prefix}.dlq` });
    const err = await p.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain(`${prefix}.E09000019.cases`);
    expect((err as ConfigError).message).toContain(`${prefix}.dlq`);
    expect((err as ConfigError).message).toContain('createTopics');
    expect((err as ConfigError).retriable).toBe(false);
    expect(p.health()).toMatchObject({ ok: false });
    expect(p.health().detail).toContain(`${prefix}.E09000019.cases`);
  });

  it('creates missing topics when createTopics is on, with the partitions asked for', async () => {
    const prefix = `cbtest-${uid()}`;
    const p = make({ topic: `${prefix}.{connector}`, deadLetterTopic: `${prefix}.dlq`, createTopics: true, partitions: 3, replicationFactor: 1 }, { connectors: [{ name: 'isl-waste', council: 'E09000019' }] });
    await p.start();
    // Created at start: the {connector} topic (known from deps.connectors) and the dead-letter topic.
    const q = make({ topic: `${prefix}.{connector}`, deadLetterTopic: `${prefix}.dlq` }, { connectors: [{ name: 'isl-waste', council: 'E09000019' }] });
    await expect(q.start()).resolves.toBeUndefined();
    await p.publish([makeEvent({ reference: 'C-1', version: 0, connector: 'isl-waste' })]);
    expect(await readTopic(`${prefix}.isl-waste`)).toHaveLength(1);
  });

  it('says plainly when the broker cannot create a topic (replication factor above the broker count)', async () => {
    const prefix = `cbtest-${uid()}`;
    const p = make({ topic: `${prefix}.cases`, deadLetterTopic: `${prefix}.dlq`, createTopics: true, replicationFactor: 3 });
    const err = await p.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/cannot create Kafka topics .*replicationFactor 3/);
    expect((err as Error).message).toContain('the cluster has 1 broker: set publisher.replicationFactor to at most 1');
  });

  it('fails fast and retriably when no broker listens, and reports it in health', async () => {
    const port = await freePort();
    const p = make({ brokers: [`127.0.0.1:${port}`], connectionTimeout: '1s', publishTimeout: '20s' });
    // That start() returns at all (within the test's timeout) shows it is bounded by publishTimeout;
    // how fast is this machine's business, not the test's.
    const err = await p.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PublishError);
    expect((err as PublishError).retriable).toBe(true);
    expect((err as Error).message).toContain(`127.0.0.1:${port}`);
    expect((err as Error).message).toMatch(/ECONNREFUSED|Connection error/);
    expect(p.health().ok).toBe(false);
    expect(p.health().detail).toContain('failing since');
  });

  it('fails non-retriably, naming the reason, when the broker refuses a record as too large; the publisher stays usable', async () => {
    const prefix = `cbtest-${uid()}`;
    const p = make({ topic: `${prefix}.cases`, deadLetterTopic: `${prefix}.dlq`, createTopics: true, replicationFactor: 1 });
    await p.start();
    const big = makeEvent({ reference: 'BIG-1', version: 0 });
    big.event.data.case.description = 'x'.repeat(1_200_000); // above the broker's default message.max.bytes (1 MiB)
    const err = await p.publish([big]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PublishError);
    expect((err as PublishError).retriable).toBe(false);
    expect((err as PublishError).code).toBe('kafka_message_too_large');
    expect(p.health().ok).toBe(false);
    await p.publish([makeEvent({ reference: 'SMALL-1', version: 0 })]);
    expect(p.health().ok).toBe(true);
    expect((await readTopic(`${prefix}.cases`)).map((m) => m.headers.ce_subject)).toEqual(['SMALL-1']);
  });

  it('rejects publishing before start and after close with a PublishError; close is safe twice', async () => {
    const prefix = `cbtest-${uid()}`;
    const p = make({ topic: `${prefix}.cases`, deadLetterTopic: `${prefix}.dlq`, createTopics: true, replicationFactor: 1 });
    await expect(p.publish([makeEvent({ reference: 'X', version: 0 })])).rejects.toThrow(/not started/);
    await p.start();
    await p.close();
    await p.close();
    await expect(p.publish([makeEvent({ reference: 'X', version: 0 })])).rejects.toBeInstanceOf(PublishError);
    expect(p.health()).toEqual({ ok: false, detail: 'closed' });
  });
});
