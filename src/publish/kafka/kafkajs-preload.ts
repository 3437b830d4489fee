/**
 * Six of kafkajs 2.2.4's per-event costs live in modules that kafkajs binds once, when its
 * connection, producer, produce request and record-batch modules load, so they cannot be patched
 * afterwards:
 * - the record-batch checksum (CRC-32C), computed in JavaScript one byte per step: 1.5 ms for a
 *   650 KB batch of 500 events, about 3 µs an event; @node-rs/crc32 computes the same checksum with
 *   the processor's CRC instructions in 0.11 ms;
 * - each record, built from an Encoder per header and a copy of each (kafkajs-record.ts writes the
 *   same bytes into one buffer);
 * - each record batch, whose records were copied three times into three growing buffers
 *   (kafkajs-record.ts again: one buffer, the checksum put in its place);
 * - grouping a send's messages by partition, which copies the partition's array for every message
 *   (`[...current, message]`): 5% of all that a CSV → Kafka run allocated. The replacement pushes;
 * - framing each request (size, api key, version, correlation id, client id), which copied the
 *   whole request twice, into two new buffers (2.6% of a CSV run's main thread for 650 KB
 *   produce requests). The replacement writes the same bytes into one buffer sized once;
 * - the produce request, which copied each partition's record batch into an Encoder per partition,
 *   per topic and per request (kafkajs-produce.ts hands the framing the batches' own buffers, so
 *   each is copied once, into the framed request).
 * This module puts them in their place in Node's module cache, which Node documents as open to
 * adding entries, so it must be evaluated before kafkajs is: it is the first import of every module
 * in this folder that loads kafkajs.
 *
 * Only on the kafkajs version they were tested against, and never once kafkajs has loaded the
 * module (then kafkajs keeps its own, which is slower, not wrong); the checksum only when the native
 * module loads (a platform without a prebuilt binary keeps kafkajs' own).
 * tests/kafka/kafkajs-preload.test.ts checks the bytes against kafkajs' and that the producer's
 * path goes through these.
 */
import { Module, createRequire } from 'node:module';
import { installKafkajsEncoderFixes, loadKafkajsEncoder, PATCHED_KAFKAJS_VERSION } from './kafkajs-encoder.js';
import { ChunkedPayload, produceRequest, type ProduceDeps } from './kafkajs-produce.js';
import { recordBatchEncoder, recordEncoder, type BatchDeps, type EncoderStatics } from './kafkajs-record.js';

const require = createRequire(import.meta.url);

// The Encoder's own methods are patched on its prototype, which works at any time; done here so
// every kafkajs fix is in place as soon as a module that loads kafkajs is.
installKafkajsEncoderFixes();

const CRC_MODULE = 'kafkajs/src/protocol/recordBatch/crc32C/index.js';
const RECORD_MODULE = 'kafkajs/src/protocol/recordBatch/record/v0/index.js';
const BATCH_MODULE = 'kafkajs/src/protocol/recordBatch/v0/index.js';
const COMPRESSION_MODULE = 'kafkajs/src/protocol/message/compression/index.js';
const LONG_MODULE = 'kafkajs/src/utils/long.js';
const GROUP_MODULE = 'kafkajs/src/producer/groupMessagesPerPartition.js';
const REQUEST_MODULE = 'kafkajs/src/protocol/request.js';
const PRODUCE_MODULE = 'kafkajs/src/protocol/requests/produce/v3/request.js';
const API_KEYS_MODULE = 'kafkajs/src/protocol/requests/apiKeys.js';

export type Replacement = { installed: true; calls: () => number } | { installed: false; reason: string };

const kafkajsVersion = (require('kafkajs/package.json') as { version: string }).version;

/** Replace a kafkajs module before kafkajs loads it; `make` builds the replacement's exports. */
function replace(id: string, make: (count: () => void) => unknown): Replacement {
  try {
    if (kafkajsVersion !== PATCHED_KAFKAJS_VERSION) return { installed: false, reason: `kafkajs ${kafkajsVersion} is not the tested ${PATCHED_KAFKAJS_VERSION}` };
    const path = require.resolve(id);
    if (require.cache[path]) return { installed: false, reason: `kafkajs loaded ${id} before this module ran` };
    let calls = 0;
    const exports = make(() => calls++);
    const entry = new Module(path);
    entry.filename = path;
    entry.loaded = true;
    entry.exports = exports;
    require.cache[path] = entry;
    return { installed: true, calls: () => calls };
  } catch (e) {
    return { installed: false, reason: (e as Error).message };
  }
}

const crc32c = replace(CRC_MODULE, (count) => {
  const native = (require('@node-rs/crc32') as { crc32c: (input: Buffer) => number }).crc32c;
  // kafkajs' own returns the checksum as an unsigned 32-bit number.
  return (buffer: Buffer): number => {
    count();
    return native(buffer) >>> 0;
  };
});

const record = replace(RECORD_MODULE, (count) => {
  const encode = recordEncoder(loadKafkajsEncoder() as unknown as EncoderStatics);
  return (r: Parameters<typeof encode>[0]) => {
    count();
    return encode(r);
  };
});

const batch = replace(BATCH_MODULE, (count) => {
  const compression = require(COMPRESSION_MODULE) as Pick<BatchDeps, 'lookupCodec' | 'COMPRESSION_CODEC_MASK'> & { Types: { None: number } };
  const encode = recordBatchEncoder({
    Encoder: loadKafkajsEncoder() as unknown as BatchDeps['Encoder'],
    Long: require(LONG_MODULE) as BatchDeps['Long'],
    // The checksum module as kafkajs would load it: the native one when that was put in place above.
    crc32C: require(CRC_MODULE) as BatchDeps['crc32C'],
    lookupCodec: compression.lookupCodec,
    COMPRESSION_CODEC_MASK: compression.COMPRESSION_CODEC_MASK,
    None: compression.Types.None,
  });
  return {
    RecordBatch: (b: Parameters<typeof encode>[0]) => {
      count();
      return encode(b);
    },
    MAGIC_BYTE: 2,
  };
});

interface GroupArgs {
  topic: string;
  partitionMetadata: unknown[];
  messages: unknown[];
  partitioner: (args: { topic: string; partitionMetadata: unknown[]; message: unknown }) => number;
}

const group = replace(GROUP_MODULE, (count) => ({ topic, partitionMetadata, messages, partitioner }: GroupArgs) => {
  count();
  // The same object as kafkajs': partition → its messages in send order ({} when no partitions).
  const out: Record<number, unknown[]> = {};
  if (partitionMetadata.length === 0) return out;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    (out[partition] ??= []).push(message);
  }
  return out;
});

interface FramingEncoder {
  size(): number;
  ensureAvailable(length: number): void;
  writeInt16(v: number): FramingEncoder;
  writeInt32(v: number): FramingEncoder;
  writeString(v: string | null): FramingEncoder;
  writeEncoder(v: FramingEncoder): FramingEncoder;
  writeBuffer(v: Buffer): FramingEncoder;
}

interface RequestArgs {
  correlationId: number;
  clientId: string | null;
  request: { apiKey: number; apiVersion: number; encode: () => Promise<FramingEncoder | ChunkedPayload> };
}

const request = replace(REQUEST_MODULE, (count) => {
  const Encoder = loadKafkajsEncoder() as unknown as new () => FramingEncoder;
  return async ({ correlationId, clientId, request: { apiKey, apiVersion, encode } }: RequestArgs) => {
    count();
    const payload = await encode();
    // api key, version (2 + 2), correlation id (4), client id (2 + its bytes; a null one is -1 alone), payload.
    const size = 2 + 2 + 4 + 2 + (clientId == null ? 0 : Buffer.byteLength(clientId, 'utf8')) + payload.size();
    const out = new Encoder();
    out.ensureAvailable(4 + size);
    out.writeInt32(size).writeInt16(apiKey).writeInt16(apiVersion).writeInt32(correlationId).writeString(clientId);
    // A produce request (kafkajs-produce.ts) comes as its batches' own buffers: each copied once, here.
    if (payload instanceof ChunkedPayload) for (const chunk of payload.chunks) out.writeBuffer(chunk);
    else out.writeEncoder(payload);
    return out;
  };
});

function produceReplacement(count: () => void) {
  const make = produceRequest({
    Encoder: loadKafkajsEncoder() as unknown as ProduceDeps['Encoder'],
    apiKey: (require(API_KEYS_MODULE) as { Produce: number }).Produce,
    None: (require(COMPRESSION_MODULE) as { Types: { None: number } }).Types.None,
    Long: require(LONG_MODULE) as ProduceDeps['Long'],
    // The modules kafkajs' produce request would bind: the replacements above when they are in place.
    Record: require(RECORD_MODULE) as ProduceDeps['Record'],
    RecordBatch: (require(BATCH_MODULE) as { RecordBatch: ProduceDeps['RecordBatch'] }).RecordBatch,
  });
  return (args: Parameters<typeof make>[0]) => {
    count();
    return make(args);
  };
}

// Only beside casebridge's framing, which writes the batches straight in. kafkajs' framing (loaded
// first when something imported kafkajs before this module, as the tracker's consumer does) would
// join them once more, which is the copy the replacement exists to save: kafkajs keeps its own.
const produce: Replacement = request.installed ? replace(PRODUCE_MODULE, produceReplacement) : { installed: false, reason: `the request framing is kafkajs' own: ${request.reason}` };

/** What was replaced, for the tests and the bench. */
export function kafkajsReplacements(): { crc32c: Replacement; record: Replacement; group: Replacement; request: Replacement; batch: Replacement; produce: Replacement } {
  return { crc32c, record, group, request, batch, produce };
}
