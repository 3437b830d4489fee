/**
 * The Kafka publisher's worker thread (src/publish/kafka/threaded-publisher.ts): errors cross the
 * thread as the same classes, codes and retriable flags; close() ends the thread.
 */
import kafkajs from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, PublishError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import { systemClock } from '../../src/core/clock.js';
import { KafkaPublisherConfig } from '../../src/publish/kafka/config.js';
import { createKafkaPublisher, type KafkaPublisher } from '../../src/publish/kafka/create.js';
import { isRetriableKafkaError, protocolErrorType, toPublishError } from '../../src/publish/kafka/errors.js';
import { deserializeError, serializeError } from '../../src/publish/kafka/thread-protocol.js';
import { kafkajsReplacements } from '../../src/publish/kafka/kafkajs-preload.js';
import { brokers, freePort, makeEvent, uid } from './helpers.js';

const { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } = kafkajs;
/** What the main thread receives: the error after a trip through structured clone. */
const acrossThreads = (err: unknown) => deserializeError(structuredClone(serializeError(err)));

describe('errors across the thread boundary', () => {
  it('keep class, code, retriable flag, context and the kafkajs cause chain', () => {
    const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092', { broker: '127.0.0.1:9092', code: 'ECONNREFUSED' });
    const original = toPublishError(new KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 3, retryTime: 2000 }), 'cannot publish 3 events', { brokers: 'b:9092', operation: 'publish' });
    const back = acrossThreads(original);
    expect(back).toBeInstanceOf(PublishError);
    expect(back).toMatchObject({ message: original.message, code: 'kafka_unreachable', retriable: true, context: { brokers: 'b:9092', operation: 'publish' } });
    expect(isRetriableKafkaError((back as PublishError).cause)).toBe(true);

    const tooLarge = toPublishError(new KafkaJSProtocolError({ message: 'too large', type: 'MESSAGE_TOO_LARGE', code: 10, retriable: false } as never), 'cannot publish 1 event', {});
    const refusedBack = acrossThreads(tooLarge) as PublishError;
    expect(refusedBack).toMatchObject({ code: 'kafka_message_too_large', retriable: false });
    expect(protocolErrorType(refusedBack)).toBe('MESSAGE_TOO_LARGE');

    const config = acrossThreads(new ConfigError('topic x does not exist', { code: 'kafka_topic_missing', context: { topic: 'x' } }));
    expect(config).toBeInstanceOf(ConfigError);
    expect(config).toMatchObject({ code: 'kafka_topic_missing', retriable: false, context: { topic: 'x' } });
  });
});

describe('the publisher thread', () => {
  const open: KafkaPublisher[] = [];
  afterAll(async () => {
    for (const p of open) await p.close();
  });
  const make = (config: Record<string, unknown>) => {
    const p = createKafkaPublisher(KafkaPublisherConfig.parse({ type: 'kafka', brokers: brokers(), createTopics: true, thread: true, ...config }), { logger: silentLogger(), councils: [{ gss: 'E09000019' }], clock: systemClock });
    open.push(p);
    return p;
  };

  it('starts with start(), publishes, and ends with close() (twice is safe)', async () => {
    const prefix = `thread-${uid()}`;
    const p = make({ topic: `${prefix}.{council}.cases`, deadLetterTopic: `${prefix}.dlq` });
    expect(p.threadId).toBeUndefined(); // nothing runs before start()
    await p.start();
    expect(p.threadId).toEqual(expect.any(Number));
    await p.publish([makeEvent({ reference: 'T-1', version: 0 })]);
    await p.close();
    expect(p.threadId).toBeUndefined();
    await p.close();
    await expect(p.publish([makeEvent({ reference: 'T-2', version: 0 })])).rejects.toBeInstanceOf(PublishError);
  });

  it('keeps kafkajs on the main thread with thread: false', async () => {
    // This file imports kafkajs before casebridge's publisher, so kafkajs' own request framing is
    // in place, and the produce request must then stay kafkajs' own too (kafkajs-preload.ts).
    expect(kafkajsReplacements().request).toMatchObject({ installed: false });
    expect(kafkajsReplacements().produce).toMatchObject({ installed: false, reason: expect.stringMatching(/request framing is kafkajs' own/) });
    const prefix = `thread-${uid()}`;
    const p = make({ topic: `${prefix}.{council}.cases`, deadLetterTopic: `${prefix}.dlq`, thread: false });
    await p.start();
    await p.publish([makeEvent({ reference: 'M-1', version: 0 })]);
    expect(p.threadId).toBeUndefined();
    expect(p.health().ok).toBe(true);
    await p.close();
  });

  it('ends its thread on close() after a failed start too', async () => {
    const p = make({ brokers: [`127.0.0.1:${await freePort()}`], topic: 'never', deadLetterTopic: 'never.dlq', connectionTimeout: '300ms', publishTimeout: '2s' });
    const err = await p.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PublishError);
    expect((err as PublishError).retriable).toBe(true);
    expect(p.threadId).toEqual(expect.any(Number));
    await p.close();
    expect(p.threadId).toBeUndefined();
  });

  it('close() with a publish in flight: the publish settles, never hangs, and a refusal is retriable', async () => {
    const prefix = `thread-${uid()}`;
    const p = make({ topic: `${prefix}.{council}.cases`, deadLetterTopic: `${prefix}.dlq` });
    await p.start();
    // Several produce requests' worth, so close() arrives while kafkajs is still sending.
    const events = Array.from({ length: 3_000 }, (_, i) => makeEvent({ reference: `F-${i}`, version: 0 }));
    const publishing = p.publish(events).then(
      () => 'published' as const,
      (e: unknown) => e,
    );
    await p.close();
    const outcome = await publishing;
    // Either Kafka confirmed before the thread closed, or the caller is told to try again (the
    // batch is then not committed and is published again with the same ids): never silence.
    if (outcome !== 'published') {
      expect(outcome).toBeInstanceOf(PublishError);
      expect((outcome as PublishError).retriable).toBe(true);
    }
    expect(p.threadId).toBeUndefined();
  });
});
