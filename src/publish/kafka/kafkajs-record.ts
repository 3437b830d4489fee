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
