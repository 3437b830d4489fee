/**
 * kafkajs 2.2.4's Kafka record (protocol v2 record, recordBatch/record/v0) in one buffer. kafkajs
 * builds a record from an Encoder of its own plus one Encoder, and so one buffer, per header, then
 * copies each header's bytes into the record: ten Encoders, ten buffers and ten copies per event in
 * binary mode (nine headers). This writes the same bytes with the same Encoder methods, in the same
 * order, into one Encoder sized once. tests/kafka/kafkajs-preload.test.ts compares the bytes with
 * kafkajs' own module for records of every shape it accepts.
 */

interface RecordEncoder {
  ensureAvailable(length: number): void;
  writeVarInt(value: number): RecordEncoder;
  writeInt8(value: number): RecordEncoder;
  writeVarLong(value: unknown): RecordEncoder;
  writeVarIntBytes(value: unknown): RecordEncoder;
  writeVarIntString(value: unknown): RecordEncoder;
}

export interface EncoderStatics {
  new (): RecordEncoder;
  sizeOfVarInt(value: number): number;
  sizeOfVarLong(value: unknown): number;
  sizeOfVarIntBytes(value: unknown): number;
}

export interface KafkajsRecord {
  offsetDelta?: number;
  timestampDelta?: unknown;
  key?: unknown;
  value?: unknown;
  headers?: Record<string, unknown>;
}

export function recordEncoder(Encoder: EncoderStatics): (record: KafkajsRecord) => RecordEncoder {
  return ({ offsetDelta = 0, timestampDelta = 0, key, value, headers = {} }) => {
    // kafkajs flattens array values into one header each, in key order; its size formula is kept
    // as it is (Buffer.byteLength of each value, which throws on a null value there as here).
    const keys = Object.keys(headers);
    let count = 0;
    let headerBytes = 0;
    for (const k of keys) {
      const v = headers[k];
      if (Array.isArray(v)) for (const one of v) headerBytes += headerSize(Encoder, k, one);
      else headerBytes += headerSize(Encoder, k, v);
      count += Array.isArray(v) ? v.length : 1;
    }
    const sizeOfBody =
      1 + Encoder.sizeOfVarLong(timestampDelta) + Encoder.sizeOfVarInt(offsetDelta) + Encoder.sizeOfVarIntBytes(key) + Encoder.sizeOfVarIntBytes(value) + Encoder.sizeOfVarInt(count) + headerBytes;

    const out = new Encoder();
    out.ensureAvailable(Encoder.sizeOfVarInt(sizeOfBody) + sizeOfBody);
    out.writeVarInt(sizeOfBody).writeInt8(0).writeVarLong(timestampDelta).writeVarInt(offsetDelta).writeVarIntBytes(key).writeVarIntBytes(value).writeVarInt(count);
    for (const k of keys) {
      const v = headers[k];
      if (Array.isArray(v)) for (const one of v) out.writeVarIntString(k).writeVarIntBytes(one);
      else out.writeVarIntString(k).writeVarIntBytes(v);
    }
    return out;
  };
}

function headerSize(Encoder: EncoderStatics, key: string, value: unknown): number {
  const keySize = Buffer.byteLength(key);
  const valueSize = Buffer.byteLength(value as string);
  return Encoder.sizeOfVarInt(keySize) + keySize + (value === null ? Encoder.sizeOfVarInt(-1) : Encoder.sizeOfVarInt(valueSize) + valueSize);
}

interface BatchEncoder {
  offset: number;
  buf: Buffer;
  size(): number;
  ensureAvailable(length: number): void;
  writeInt8(v: number): BatchEncoder;
  writeInt16(v: number): BatchEncoder;
  writeInt32(v: number): BatchEncoder;
  writeUInt32(v: number): BatchEncoder;
  writeInt64(v: unknown): BatchEncoder;
  writeArray(array: unknown[], type?: string): BatchEncoder;
  writeBuffer(b: Buffer): BatchEncoder;
  writeEncoderArray(array: unknown[]): BatchEncoder;
}

export interface BatchDeps {
  Encoder: new () => BatchEncoder;
  Long: { fromInt(v: number): unknown; fromValue(v: number): unknown };
  crc32C: (b: Buffer) => number;
  lookupCodec: (type: number) => { compress(e: BatchEncoder): Promise<Buffer> } | null;
  COMPRESSION_CODEC_MASK: number;
  None: number;
}

export interface KafkajsRecordBatch {
  compression?: number;
  firstOffset?: unknown;
  firstTimestamp?: number;
  maxTimestamp?: number;
  partitionLeaderEpoch?: number;
  lastOffsetDelta?: number;
  transactional?: boolean;
  producerId?: unknown;
  producerEpoch?: number;
  firstSequence?: number;
  records?: { size(): number }[];
}

const MAGIC_BYTE = 2;
const TIMESTAMP_MASK = 0;
const TRANSACTIONAL_MASK = 16;
/** attributes, lastOffsetDelta, first/max timestamp, producer id, epoch, first sequence. */
const BATCH_HEADER = 2 + 4 + 8 + 8 + 8 + 2 + 4;

/**
 * kafkajs 2.2.4's record batch (recordBatch/v0) in one buffer. kafkajs writes the records into a
 * growing body (copying it at every doubling), the body into a second buffer after the checksum,
 * and that into a third after the batch's offset and length: three copies of every produce
 * request's records. This sizes one buffer, writes the same fields with the same Encoder methods
 * in the same order, and puts the checksum of the body in its place afterwards.
 */
export function recordBatchEncoder(deps: BatchDeps): (batch: KafkajsRecordBatch) => Promise<BatchEncoder> {
  const { Encoder, Long, crc32C, lookupCodec, COMPRESSION_CODEC_MASK, None } = deps;
  return async ({
    compression = None,
    firstOffset = Long.fromInt(0),
    firstTimestamp = Date.now(),
    maxTimestamp = Date.now(),
    partitionLeaderEpoch = 0,
    lastOffsetDelta = 0,
    transactional = false,
    producerId = Long.fromValue(-1),
    producerEpoch = 0,
    firstSequence = 0,
    records = [],
  }) => {
    const attributes = (compression & COMPRESSION_CODEC_MASK) | TIMESTAMP_MASK | (transactional ? TRANSACTIONAL_MASK : 0);
    let compressed: Buffer | undefined;
    if (compression !== None) {
      const codec = lookupCodec(compression)!;
      const all = new Encoder();
      all.writeEncoderArray(records);
      compressed = await codec.compress(all);
    }
    let recordBytes = 0;
    if (compressed) recordBytes = compressed.length;
    else for (const r of records) recordBytes += r.size();
    const body = BATCH_HEADER + 4 + recordBytes;

    const out = new Encoder();
    // first offset (8), then the batch as bytes: its length (4), leader epoch (4), magic (1), checksum (4), body.
    out.ensureAvailable(8 + 4 + 4 + 1 + 4 + body);
    out.writeInt64(firstOffset).writeInt32(4 + 1 + 4 + body).writeInt32(partitionLeaderEpoch).writeInt8(MAGIC_BYTE).writeUInt32(0);
    const bodyStart = out.offset;
    out.writeInt16(attributes).writeInt32(lastOffsetDelta).writeInt64(firstTimestamp).writeInt64(maxTimestamp).writeInt64(producerId).writeInt16(producerEpoch).writeInt32(firstSequence);
    if (compressed) out.writeInt32(records.length).writeBuffer(compressed);
    else if (records.every((v) => typeof v === typeof records[0])) out.writeArray(records, typeof records[0]);
    else out.writeArray(records);
    out.buf.writeUInt32BE(crc32C(out.buf.subarray(bodyStart, out.offset)), bodyStart - 4);
    return out;
  };
}
