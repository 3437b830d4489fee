/** How kafkajs failures are classified and how its logs reach ours (no broker needed). */
import { Writable } from 'node:stream';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { isRetriableKafkaError, toPublishError } from '../../src/publish/kafka/errors.js';
import { kafkaLogCreator } from '../../src/publish/kafka/log.js';
import { chunks } from '../../src/publish/kafka/publisher.js';
import { encodeEvent } from '../../src/publish/kafka/encode.js';
import { createLogger } from '../../src/core/logger.js';
import { makeEvent } from './helpers.js';

const { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSNonRetriableError, KafkaJSProtocolError, KafkaJSSASLAuthenticationError, logLevel } = kafkajs;

const protocolError = (type: string, retriable: boolean) => new KafkaJSProtocolError({ message: type.toLowerCase(), type, code: 1, retriable } as never);

describe('kafkajs error classification', () => {
  it('treats an unreachable broker as retriable, even after kafkajs gave up retrying', () => {
    const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092', { broker: '127.0.0.1:9092', code: 'ECONNREFUSED' });
    expect(isRetriableKafkaError(refused)).toBe(true);
    const exhausted = new KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 3, retryTime: 2000 });
    expect(exhausted.retriable).toBe(false); // kafkajs' own flag says no…
    expect(isRetriableKafkaError(exhausted)).toBe(true); // …but the cause is a broker outage
    const e = toPublishError(exhausted, 'cannot publish 3 events', { connector: 'x' });
    expect(e).toMatchObject({ retriable: true, code: 'kafka_unreachable', context: { connector: 'x' } });
    expect(e.message).toBe('cannot publish 3 events: Connection error: connect ECONNREFUSED 127.0.0.1:9092');
  });

  it("treats kafkajs' plain Error('Broker not connected') as a connection error (seen with a SIGSTOPped broker, fault suite)", () => {
    // kafkajs throws a plain Error (not a KafkaJS one) when a request goes to a broker whose
    // connection was dropped, e.g. after a hang; it stopped `run --once` as `failed`.
    const notConnected = new Error('Broker not connected');
    expect(isRetriableKafkaError(notConnected)).toBe(true);
    expect(toPublishError(notConnected, 'cannot publish 20 events', {})).toMatchObject({ retriable: true, code: 'kafka_unreachable' });
  });

  it('treats a record the broker refuses, or bad credentials, as needing a person', () => {
    const tooLarge = new (KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: Error }) => Error)(protocolError('MESSAGE_TOO_LARGE', false), { cause: protocolError('MESSAGE_TOO_LARGE', false) });
    expect(isRetriableKafkaError(tooLarge)).toBe(false);
    expect(toPublishError(tooLarge, 'cannot publish', {}).code).toBe('kafka_message_too_large');
    expect(isRetriableKafkaError(new (KafkaJSSASLAuthenticationError as unknown as new (m: string) => Error)('SASL SCRAM SHA512 authentication failed'))).toBe(false);
    expect(isRetriableKafkaError(new Error('plain bug'))).toBe(false);
  });

  it('retries leader changes and forgotten producer ids (a new producer fixes those)', () => {
    expect(isRetriableKafkaError(protocolError('NOT_LEADER_OR_FOLLOWER', true))).toBe(true);
    const seq = protocolError('OUT_OF_ORDER_SEQUENCE_NUMBER', false);
    expect(isRetriableKafkaError(new (KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: Error }) => Error)(seq, { cause: seq }))).toBe(true);
  });
});

describe('kafkajs logs', () => {
  it('go through our logger: request errors at debug, warnings at warn, repeats collapsed', () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    });
    let now = 0;
    const logger = createLogger({ level: 'debug', destination: sink });
    const log = kafkaLogCreator(logger, () => now)(logLevel.DEBUG);
    const entry = (level: number, message: string) => log({ namespace: 'Connection', level, label: '', log: { timestamp: '', message, broker: 'b:1' } });
    entry(logLevel.ERROR, 'Connection error: connect ECONNREFUSED b:1');
    entry(logLevel.ERROR, 'Connection error: connect ECONNREFUSED b:1');
    entry(logLevel.ERROR, 'Connection error: connect ECONNREFUSED b:1');
    entry(logLevel.WARN, 'Limiting retries for the idempotent producer may invalidate EoS guarantees');
    entry(logLevel.WARN, 'something worth a look');
    now += 31_000;
    entry(logLevel.ERROR, 'Connection error: connect ECONNREFUSED b:1');
    logger.flush();
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        expect(lines.map((l) => [l.level, l.msg, l.repeated])).toEqual([
          ['debug', 'Connection error: connect ECONNREFUSED b:1', undefined],
          ['warn', 'something worth a look', undefined],
          ['debug', 'Connection error: connect ECONNREFUSED b:1', 2],
        ]);
        expect(lines[0]).toMatchObject({ component: 'kafkajs', namespace: 'Connection', broker: 'b:1' });
        resolve();
      }),
    );
  });
});

describe('request splitting', () => {
  it('keeps order and puts an oversized record alone', () => {
    const items = Array.from({ length: 50 }, (_, i) => ({ topic: 't', record: encodeEvent(makeEvent({ reference: `R${i}`, version: 0 }), 'binary') }));
    const parts = chunks(items, 5_000);
    expect(parts.length).toBeGreaterThan(5);
    expect(parts.flat()).toEqual(items);
    expect(chunks(items, 16).every((p) => p.length === 1)).toBe(true);
  });
});
