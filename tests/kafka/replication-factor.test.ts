/**
 * createTopics without a replication factor picks one the cluster can satisfy — min(3, brokers) —
 * and says which it chose. Against the real single-node broker: RF 1, where the old default of 3
 * failed the first run.
 */
import { Writable } from 'node:stream';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaPublisherConfig } from '../../src/publish/kafka/config.js';
import { createKafkaPublisher, type KafkaPublisher } from '../../src/publish/kafka/create.js';
import { systemClock } from '../../src/core/clock.js';
import { createLogger } from '../../src/core/logger.js';
import { brokers, uid } from './helpers.js';

const open: KafkaPublisher[] = [];
afterAll(async () => {
  for (const p of open) await p.close();
});

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, logger: createLogger({ level: 'info', destination }) };
}

async function replicationOf(topic: string): Promise<number[]> {
  const admin = new Kafka({ brokers: brokers(), clientId: 'cb-test-rf', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    return meta.topics[0]!.partitions.map((p) => p.replicas.length);
  } finally {
    await admin.disconnect();
  }
}

describe('replication factor of created topics', () => {
  it('is min(3, brokers) when not configured: 1 on the single-node broker, and the log says so and why', async () => {
    const prefix = `cbtest-${uid()}`;
    const { lines, logger } = capture();
    const config = KafkaPublisherConfig.parse({ type: 'kafka', brokers: brokers(), topic: `${prefix}.cases`, deadLetterTopic: `${prefix}.dlq`, createTopics: true, partitions: 2 });
    expect(config.replicationFactor).toBeUndefined();
    const p = createKafkaPublisher(config, { logger, councils: [{ gss: 'E09000019', name: 'Islington' }], clock: systemClock });
    open.push(p);
    await p.start();
    expect(await replicationOf(`${prefix}.cases`)).toEqual([1, 1]);
    expect(await replicationOf(`${prefix}.dlq`)).toEqual([1, 1]);
    const created = lines.find((l) => String(l.msg).startsWith('created Kafka topics'));
    expect(created, JSON.stringify(lines)).toBeDefined();
    expect(created).toMatchObject({ level: 'warn', replicationFactor: 1, partitions: 2 });
    expect(String(created!.msg)).toContain('replication factor 1 (publisher.replicationFactor not set: min(3, 1 broker in the cluster))');
  });

  it('uses a configured replication factor as given, and names it as the reason', async () => {
    const prefix = `cbtest-${uid()}`;
    const { lines, logger } = capture();
    const config = KafkaPublisherConfig.parse({ type: 'kafka', brokers: brokers(), topic: `${prefix}.cases`, deadLetterTopic: `${prefix}.dlq`, createTopics: true, partitions: 1, replicationFactor: 1 });
    const p = createKafkaPublisher(config, { logger, councils: [{ gss: 'E09000019', name: 'Islington' }], clock: systemClock });
    open.push(p);
    await p.start();
    expect(await replicationOf(`${prefix}.cases`)).toEqual([1]);
    const created = lines.find((l) => String(l.msg).startsWith('created Kafka topics'));
    expect(String(created?.msg)).toContain('replication factor 1 (publisher.replicationFactor)');
  });
});
