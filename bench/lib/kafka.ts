/**
 * Topic housekeeping and read-back for the bench, with kafkajs directly: this is measuring
 * equipment, not casebridge code (casebridge's own Kafka access stays in src/publish/kafka).
 */
import { waitForTopics } from '../../src/core/topic-wait.js';
import { Kafka, logLevel, type Admin } from 'kafkajs';

export interface BenchKafka {
  createTopic(topic: string, partitions: number, configs?: Record<string, string>): Promise<void>;
  deleteTopics(topics: string[]): Promise<void>;
  /** Records in a topic: the sum over partitions of high watermark minus low watermark. */
  countRecords(topic: string): Promise<number>;
  /** Read a topic from the start, calling onMessage for each record until stop() resolves. */
  consume(topic: string, onMessage: (m: { key: string | undefined; headers: Record<string, string>; timestamp: number; value: string }) => void): Promise<{ stop(): Promise<void> }>;
  close(): Promise<void>;
}

export async function benchKafka(brokers: string[]): Promise<BenchKafka> {
  const kafka = new Kafka({ clientId: 'casebridge-bench', brokers, logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 200 } });
  const admin: Admin = kafka.admin();
  await admin.connect();
  return {
    async createTopic(topic, partitions, configs = {}) {
      await admin.createTopics({
        waitForLeaders: false,
        topics: [{ topic, numPartitions: partitions, replicationFactor: 1, configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }],
      });
      // The Connect failure in an earlier run ("not the leader") was this race; see src/core/topic-wait.ts.
      await waitForTopics(admin, [topic], { timeoutMs: 30_000 });
    },
    async deleteTopics(topics) {
      if (topics.length) await admin.deleteTopics({ topics, timeout: 30_000 }).catch(() => undefined);
    },
    async countRecords(topic) {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
    },
    async consume(topic, onMessage) {
      const consumer = kafka.consumer({ groupId: `bench-${topic}-${process.pid}`, maxWaitTimeInMs: 50 });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = String(v);
          onMessage({ key: message.key?.toString(), headers, timestamp: Number(message.timestamp), value: message.value?.toString() ?? '' });
        },
      });
      return {
        async stop() {
          await consumer.disconnect().catch(() => undefined);
        },
      };
    },
    async close() {
      await admin.disconnect().catch(() => undefined);
    },
  };
}

/** A topic name no other run uses. */
export function uniqueTopic(prefix: string): string {
  return `bench.${prefix}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}
