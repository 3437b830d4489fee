import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
// The publisher, as the gateway loads it: its first import installs the native checksum.
import '../../src/publish/kafka/publisher.js';
import { kafkajsCrc32cState } from '../../src/publish/kafka/kafkajs-crc32c.js';

const require = createRequire(import.meta.url);
const kafkajsCrc = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js') as (b: Buffer) => number;
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (r: object) => unknown;
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (b: object) => Promise<{ buffer: Buffer }>;
};

function prng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 0x100000000);
}

describe('record-batch checksums (CRC-32C) computed natively', () => {
  it('is installed before kafkajs loads, when the publisher is imported', () => {
    expect(kafkajsCrc32cState()).toMatchObject({ native: true });
  });

  it('gives kafkajs’ own checksum for every length and content', () => {
    const r = prng(7);
    const lengths = [0, 1, 2, 3, 7, 8, 15, 16, 63, 64, 1000, 4096, 65_537, ...Array.from({ length: 200 }, () => Math.floor(r() * 20_000))];
    const ours = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (b: Buffer) => number;
    for (const n of lengths) {
      const b = Buffer.alloc(n);
      for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
      expect(ours(b), `length ${n}`).toBe(kafkajsCrc(b));
    }
  });

  it('is the checksum a record batch is written with, and the batch carries kafkajs’ value', async () => {
    const state = kafkajsCrc32cState();
    if (!state.native) throw new Error(state.reason);
    const before = state.calls();
    const batch = await RecordBatch({
      firstOffset: 0,
      firstTimestamp: 1_700_000_000_000,
      maxTimestamp: 1_700_000_000_000,
      records: [0, 1, 2].map((i) => Record({ offsetDelta: i, key: `E09000019|ref-${i}`, value: `{"a":${i}}`, headers: { ce_id: `id-${i}` } })),
    });
    expect(state.calls()).toBe(before + 1);
    // v2 batch layout: baseOffset(8) length(4) leaderEpoch(4) magic(1) crc(4), then the checksummed body.
    const buf = batch.buffer;
    expect(buf.readUInt32BE(17)).toBe(kafkajsCrc(buf.subarray(21)));
  });
});
