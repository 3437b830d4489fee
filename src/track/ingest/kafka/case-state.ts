/**
 * The optional compacted `case-state` topic: key = case key, value = the case's latest state
 * as the API shows it (no personal data, privacy by service applied), so another portal can bootstrap from it instead of replaying
 * the whole stream. Written after the projection commits, from the store's rows, so a redelivered
 * batch republishes the same current state rather than an older one.
 */
import { waitForTopics } from '../../../core/topic-wait.js';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { z } from 'zod';
import { PublicCase, type Privacy } from '../../privacy.js';
import type { ProjectionStore } from '../../store/store.js';

/** The case as the API shows it (privacy by service applied), under its case key. */
export const CaseStateValue = PublicCase.extend({ caseKey: z.string() });
export type CaseStateValue = z.infer<typeof CaseStateValue>;

export interface CaseStatePublisher {
  start(): Promise<void>;
  publish(caseKeys: string[]): Promise<void>;
  stop(): Promise<void>;
}

export function createCaseStatePublisher(opts: { brokers: string[]; clientId: string; topic: string; replicationFactor: number; partitions?: number; store: ProjectionStore; privacy: Privacy }): CaseStatePublisher {
  const kafka = new Kafka({ clientId: `${opts.clientId}-case-state`, brokers: opts.brokers, logLevel: logLevel.NOTHING });
  let producer: Producer | undefined;
  return {
    async start() {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const existing = await admin.listTopics();
        if (!existing.includes(opts.topic)) {
          await admin.createTopics({
            // waitForLeaders gives up on UNKNOWN_TOPIC_OR_PARTITION from a broker that has not seen the topic yet.
            waitForLeaders: false,
            topics: [{ topic: opts.topic, numPartitions: opts.partitions ?? 6, replicationFactor: opts.replicationFactor, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
          });
          await waitForTopics(admin, [opts.topic], { timeoutMs: 30_000 });
        }
      } finally {
        await admin.disconnect();
      }
      producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
    },
    async publish(caseKeys) {
      if (!producer || !caseKeys.length) return;
      const rows = await opts.store.casesByKey(caseKeys);
      await producer.send({
        topic: opts.topic,
        acks: -1,
        messages: rows.map((r) => ({ key: r.caseKey, value: JSON.stringify({ caseKey: r.caseKey, ...opts.privacy.show(r) } satisfies CaseStateValue), headers: { 'content-type': 'application/json' } })),
      });
    },
    async stop() {
      await producer?.disconnect();
    },
  };
}
