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

export interface ProduceDeps {
  apiKey: number;
  None: number;
  Long: { fromInt(v: number): unknown };
  Record: (r: object) => unknown;
  RecordBatch: (b: object) => Promise<{ buffer: Buffer }>;
}

/** Small fields between the batches, written into buffers of their own as they come. */
class Fields {
  private buf = Buffer.allocUnsafe(256);
  private at = 0;
  readonly chunks: Buffer[] = [];
  length = 0;

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    this.flush();
    this.buf = Buffer.allocUnsafe(Math.max(256, n));
  }

  int16(v: number): this {
    this.room(2);
    this.at = this.buf.writeInt16BE(v, this.at);
    return this;
  }

  int32(v: number): this {
    this.room(4);
    this.at = this.buf.writeInt32BE(v, this.at);
    return this;
  }

  /** kafkajs' writeString: a null string is a length of -1 alone. */
  string(v: string | null): this {
    if (v == null) return this.int16(-1);
    const n = Buffer.byteLength(v, 'utf8');
    this.room(2 + n);
    this.at = this.buf.writeInt16BE(n, this.at);
    this.at += this.buf.write(v, this.at, n, 'utf8');
    return this;
  }

  bytes(b: Buffer): this {
    this.flush();
    this.chunks.push(b);
    this.length += b.length;
    return this;
  }

  flush(): void {
    if (this.at === 0) return;
    this.chunks.push(this.buf.subarray(0, this.at));
    this.length += this.at;
    this.buf = this.buf.subarray(this.at);
    this.at = 0;
  }
}

export function produceRequest(deps: ProduceDeps): (args: ProduceArgs) => object {
  const { apiKey, None, Long, Record, RecordBatch } = deps;
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
        const out = new Fields();
        out.string(transactionalId).int16(acks).int32(timeout).int32(topicData.length);
        topicData.forEach(({ topic, partitions }, t) => {
          out.string(topic).int32(partitions.length);
          partitions.forEach(({ partition }, p) => {
            const batch = batches[t]![p]!;
            out.int32(partition).int32(batch.length).bytes(batch);
          });
        });
        out.flush();
        return new ChunkedPayload(out.chunks, out.length);
      },
    };
  };
}
