import { Partitioners, type PartitionerArgs } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { javaCompatiblePartitioner, murmur2 } from '../../src/publish/kafka/partitioner.js';

/** A small deterministic generator, so a failure names keys that can be tried again. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

const ALPHABET = ['a', 'Z', '0', '-', ':', '/', ' ', 'é', '£', 'ß', '🏠', '中', '\u0000', '\uffff'];

function randomKeys(n: number, seed: number): string[] {
  const r = prng(seed);
  return Array.from({ length: n }, () => {
    const len = Math.floor(r() * 48);
    let key = '';
    for (let i = 0; i < len; i++) key += r() < 0.7 ? String.fromCharCode(32 + Math.floor(r() * 95)) : ALPHABET[Math.floor(r() * ALPHABET.length)]!;
    return key;
  });
}

const metadata = (n: number): PartitionerArgs['partitionMetadata'] => Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: 1, replicas: [1], isr: [1], offlineReplicas: [], partitionErrorCode: 0 }));

describe('Java-compatible partitioner', () => {
  it("matches Java's murmur2 on the reference values", () => {
    // Known outputs of org.apache.kafka.common.utils.Utils.murmur2 (its own unit test, KAFKA-3178).
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, want] of cases) expect(murmur2(Buffer.from(key)), key).toBe(want);
  });

  it("puts every key on the partition kafkajs' DefaultPartitioner picks", () => {
    const ours = javaCompatiblePartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    const keys = [...randomKeys(4_000, 7), 'E09000019:street-services:SR-000123', '', '0', 'x'.repeat(2_000)];
    for (const partitions of [1, 3, 6, 7, 50]) {
      const partitionMetadata = metadata(partitions);
      for (const key of keys) {
        const args = { topic: 't', partitionMetadata, message: { key, value: 'v' } };
        expect(ours(args), `${JSON.stringify(key)} over ${partitions}`).toBe(theirs(args));
        const asBuffer = { ...args, message: { key: Buffer.from(key), value: 'v' } };
        expect(ours(asBuffer)).toBe(theirs(asBuffer));
      }
    }
  });

  it('keeps a partition the message names, and spreads keyless records over partitions with a leader', () => {
    const p = javaCompatiblePartitioner();
    const partitionMetadata = metadata(4).map((m) => (m.partitionId === 2 ? { ...m, leader: -1 } : m));
    expect(p({ topic: 't', partitionMetadata, message: { key: 'k', value: 'v', partition: 3 } })).toBe(3);
    const seen = new Set(Array.from({ length: 30 }, () => p({ topic: 't', partitionMetadata, message: { value: 'v' } })));
    expect([...seen].sort()).toEqual([0, 1, 3]);
  });
});
