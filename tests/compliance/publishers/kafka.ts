/** The Kafka publisher on the real broker at $KAFKA_BROKERS, read back by an independent consumer. */
import { brokers, freePort, readTopic, uid } from '../../kafka/helpers.js';
import { COUNCIL } from '../kinds/types.js';
import { publisherFrom } from './make.js';
import type { PublisherKind, Stored } from './types.js';

export const kafka: PublisherKind = {
  name: 'kafka',
  async open() {
    const prefix = `cbcompliance-${uid()}`;
    const publisher = await publisherFrom({ type: 'kafka', brokers: brokers(), topic: `${prefix}.{council}.cases`, deadLetterTopic: `${prefix}.{council}.dead-letters`, createTopics: true, partitions: 3, replicationFactor: 1 });
    return {
      publisher,
      async readEvents(): Promise<Stored[]> {
        const read = await readTopic(`${prefix}.${COUNCIL.gss}.cases`);
        // One partition's order is the stored order; a key always lands on one partition.
        read.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
        return read.map((m) => ({ id: m.headers.ce_id!, subject: m.headers.ce_subject! }));
      },
      async readDeadLetters() {
        return (await readTopic(`${prefix}.${COUNCIL.gss}.dead-letters`)).map((m) => String((JSON.parse(m.value) as { id: string }).id));
      },
      teardown: async () => undefined,
    };
  },
  errors: {
    async unreachable() {
      const publisher = await publisherFrom({ type: 'kafka', brokers: [`127.0.0.1:${await freePort()}`], topic: 'cbcompliance.{council}.cases', connectionTimeout: '1s', requestTimeout: '2s' });
      return { publisher, teardown: () => publisher.close() };
    },
    async misconfigured() {
      // A topic that does not exist, and the gateway may not create topics: a person must.
      const publisher = await publisherFrom({ type: 'kafka', brokers: brokers(), topic: `cbcompliance-missing-${uid()}.{council}.cases`, createTopics: false });
      return { publisher, teardown: () => publisher.close() };
    },
  },
};
