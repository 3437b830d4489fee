/**
 * kafkajs 2.2.4's produce request (requests/produce/v3, which v4–v7 reuse with their own version
 * number) with each record batch copied once. kafkajs wraps every partition's batch in an Encoder
 * of its own, that in the topic's Encoder, that in the request's, each a copy into a buffer that
 * grows by doubling; the request framing then copied it again: four copies of every event's bytes
 * after encoding (2.9% of a PostgreSQL → Kafka run's main thread in `_copyActual` alone). Here the
 * request is a list of the batches' own buffers and the small fields between them, and the framing
 * (kafkajs-preload.ts) writes the list into the one buffer the socket is given.
 *
 * The fields, their order and the batches are kafkajs' own (the batches are made by the record and
 * record-batch modules kafkajs would use, so the replacements in kafkajs-record.ts apply);
 * tests/kafka/kafkajs-preload.test.ts compares the framed bytes with kafkajs' module.
 */

/**
 * A request payload as buffers in order. To anything but casebridge's framing it is an Encoder as
 * kafkajs' own framing checks one (`buf` a Buffer, `buffer` its bytes, `size()`): the buffers joined
 * once, when asked. So a produce request framed by kafkajs' module (when its framing was loaded
 * before casebridge's could replace it) is the same bytes, copied once more.
 */
export class ChunkedPayload {
  private joined: Buffer | undefined;

  constructor(
    readonly chunks: readonly Buffer[],
    private readonly length: number,
  ) {}

  size(): number {
    return this.length;
  }

  get buffer(): Buffer {
    return (this.joined ??= Buffer.concat(this.chunks as Buffer[], this.length));
  }

  get buf(): Buffer {
    return this.buffer;
  }
}

interface ProduceMessage {
  key?: unknown;
  value?: unknown;
  headers?: Record<string, unknown>;
  timestamp?: number | string | null;
}

interface ProduceArgs {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  producerId?: unknown;
  producerEpoch?: number;
  compression?: number;
  topicData: { topic: string; partitions: { partition: number; firstSequence?: number; messages: ProduceMessage[] }[] }[];
}

/** kafkajs' Encoder, for the small fields between the batches. */
interface FieldEncoder {
  readonly buffer: Buffer;
  size(): number;
  writeInt16(v: number): FieldEncoder;
  writeInt32(v: number): FieldEncoder;
  writeString(v: string | null): FieldEncoder;
}

export interface ProduceDeps {
  Encoder: new () => FieldEncoder;
  apiKey: number;
  None: number;
  Long: { fromInt(v: number): unknown };
  Record: (r: object) => unknown;
  RecordBatch: (b: object) => Promise<{ buffer: Buffer }>;
}

export function produceRequest(deps: ProduceDeps): (args: ProduceArgs) => object {
  const { Encoder, apiKey, None, Long, Record, RecordBatch } = deps;
  return ({ acks, timeout, transactionalId = null, producerId = Long.fromInt(-1), producerEpoch = 0, compression = None, topicData }) => {
    const encodeBatch = async (messages: ProduceMessage[], firstSequence: number | undefined): Promise<Buffer> => {
      const dateNow = Date.now();
      let firstTimestamp: unknown = dateNow;
      let maxTimestamp: unknown = dateNow;
      if (messages.some((m) => m.timestamp != null)) {
        // kafkajs' own choice, its default (text) sort included.
        const sorted = messages
          .map((m) => m.timestamp)
          .filter((t) => t != null)
          .sort();
        firstTimestamp = sorted[0];
        maxTimestamp = sorted[sorted.length - 1];
      }
      // kafkajs spreads each message into the record's arguments; the record reads only these.
      const records = messages.map((m, i) =>
        Record({ key: m.key, value: m.value, headers: m.headers, offsetDelta: i, timestampDelta: ((m.timestamp || dateNow) as number) - (firstTimestamp as number) }),
      );
      const batch = await RecordBatch({
        compression,
        records,
        firstTimestamp,
        maxTimestamp,
        producerId,
        producerEpoch,
        firstSequence,
        transactional: !!transactionalId,
        lastOffsetDelta: records.length - 1,
      });
      return batch.buffer;
    };

    return {
      apiKey,
      apiVersion: 3,
      apiName: 'Produce',
      expectResponse: () => acks !== 0,
      encode: async () => {
        // Every batch is made before any byte is written, in kafkajs' order.
        const batches: Buffer[][] = [];
        for (const { partitions } of topicData) {
          const made: Buffer[] = [];
          for (const { messages, firstSequence } of partitions) made.push(await encodeBatch(messages, firstSequence));
          batches.push(made);
        }
        const chunks: Buffer[] = [];
        let length = 0;
        let fields = new Encoder();
        const add = (b: Buffer) => {
          chunks.push(b);
          length += b.length;
        };
        // The fields written since the last batch become a chunk of their own, then the batch.
        const addBatch = (batch: Buffer) => {
          add(fields.buffer);
          fields = new Encoder();
          add(batch);
        };
        fields.writeString(transactionalId).writeInt16(acks).writeInt32(timeout).writeInt32(topicData.length);
        topicData.forEach(({ topic, partitions }, t) => {
          fields.writeString(topic).writeInt32(partitions.length);
          partitions.forEach(({ partition }, p) => {
            const batch = batches[t]![p]!;
            fields.writeInt32(partition).writeInt32(batch.length);
            addBatch(batch);
          });
        });
        if (fields.size()) add(fields.buffer);
        return new ChunkedPayload(chunks, length);
      },
    };
  };
}
