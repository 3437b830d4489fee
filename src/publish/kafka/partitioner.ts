/**
 * The Java client's default partitioner for keyed records (murmur2 of the key's UTF-8 bytes,
 * made positive, modulo the partition count), as kafkajs' `Partitioners.DefaultPartitioner`
 * computes it, so every case key lands on the same partition as before and as a Java or librdkafka
 * (`murmur2_random`) producer would put it: a case's events stay in one partition, in order.
 *
 * kafkajs computes the hash with its 64-bit Long type, allocating on every step (about 3 KB per
 * record); 32-bit `Math.imul` gives the same low 32 bits, which is all the hash keeps.
 * tests/kafka/partitioner.test.ts compares the two on random keys and partition counts.
 */
import type { ICustomPartitioner, PartitionerArgs } from 'kafkajs';

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Java's `Utils.murmur2(byte[])`, as a signed 32-bit integer. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & ~3;
  const rest = length & 3;
  if (rest === 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) h = Math.imul(h ^ data[tail]!, M);
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

const encoder = new TextEncoder();
/** Scratch space for keys up to 1 KiB (case keys are far shorter); longer ones get their own bytes. */
const scratch = new Uint8Array(1024);

function keyBytes(key: Buffer | string): Uint8Array {
  if (typeof key !== 'string') return key;
  const { read, written } = encoder.encodeInto(key, scratch);
  return read === key.length ? scratch.subarray(0, written) : encoder.encode(key);
}

/**
 * kafkajs' default partitioner with the hash above: a given partition wins, a key picks its
 * partition by hash, and only a record without either (casebridge always sets a key) goes round
 * robin over the partitions that have a leader.
 */
export const javaCompatiblePartitioner: ICustomPartitioner = () => {
  const counters = new Map<string, number>();
  return ({ topic, partitionMetadata, message }: PartitionerArgs) => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    const numPartitions = partitionMetadata.length;
    if (message.key !== null && message.key !== undefined) return (murmur2(keyBytes(message.key)) & 0x7fffffff) % numPartitions;
    const next = (counters.get(topic) ?? Math.floor(Math.random() * 0x100000000)) + 1;
    counters.set(topic, next);
    const available = partitionMetadata.filter((p) => p.leader >= 0);
    if (available.length) return available[(next & 0x7fffffff) % available.length]!.partitionId;
    return (next & 0x7fffffff) % numPartitions;
  };
};
