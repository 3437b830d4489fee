import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it, vi } from 'vitest';
// The publisher, as the gateway loads it: its first import replaces the modules.
import '../../src/publish/kafka/publisher.js';
import { kafkajsReplacements } from '../../src/publish/kafka/kafkajs-preload.js';
import { kafkajsEncoderOriginals } from '../../src/publish/kafka/kafkajs-encoder.js';

const require = createRequire(import.meta.url);
const kafkajsCrc = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js') as (b: Buffer) => number;
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (r: object) => { buffer: Buffer };
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (b: object) => Promise<{ buffer: Buffer }>;
};

/** kafkajs' own module, evaluated from its file beside the replaced one in the cache. */
function kafkajsOwn<T>(id: string): T {
  const path = require.resolve(id);
  const mod = { exports: {} as unknown };
  new Function('require', 'module', 'exports', readFileSync(path, 'utf8'))(createRequire(path), mod, mod.exports);
  return mod.exports as T;
}
const kafkajsRecord = () => kafkajsOwn<(r: object) => { buffer: Buffer }>('kafkajs/src/protocol/recordBatch/record/v0/index.js');

/**
 * Where two buffers first differ (-1 when equal). toEqual walks a Buffer element by element and
 * took most of a minute over these tests' batches; this says the same, and where.
 */
function firstDifference(a: Buffer, b: Buffer): number {
  if (a.equals(b)) return -1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

function prng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 0x100000000);
}

describe('kafkajs modules replaced before kafkajs loads', () => {
  it('are installed when the publisher is imported', () => {
    // The Encoder's prototype fixes too (kafkajs-encoder.ts), by the same import.
    expect(kafkajsEncoderOriginals()).toBeDefined();
    expect(kafkajsReplacements().crc32c).toMatchObject({ installed: true });
    expect(kafkajsReplacements().record).toMatchObject({ installed: true });
    expect(kafkajsReplacements().group).toMatchObject({ installed: true });
    expect(kafkajsReplacements().request).toMatchObject({ installed: true });
    expect(kafkajsReplacements().batch).toMatchObject({ installed: true });
    expect(kafkajsReplacements().produce).toMatchObject({ installed: true });
  });

  it('produce request, framed: the same bytes as kafkajs’ produce and framing modules', async () => {
    type Produce = (a: object) => { apiKey: number; apiVersion: number; apiName: string; expectResponse(): boolean; encode(): Promise<unknown> };
    type Framer = (a: object) => Promise<{ buffer: Buffer }>;
    const ours = require('kafkajs/src/protocol/requests/produce/v3/request.js') as Produce;
    const theirs = kafkajsOwn<Produce>('kafkajs/src/protocol/requests/produce/v3/request.js');
    const frame = require('kafkajs/src/protocol/request.js') as Framer;
    const theirFrame = kafkajsOwn<Framer>('kafkajs/src/protocol/request.js');
    expect(ours).not.toBe(theirs);
    // Versions 4–7 are version 3 with another number: through the replacement too.
    const v7 = require('kafkajs/src/protocol/requests/produce/v7/request.js') as Produce;
    const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: number): unknown };
    const r = prng(23);
    const text = (n: number) => Array.from({ length: n }, () => String.fromCharCode(32 + Math.floor(r() * 300))).join('');
    // Messages without a timestamp take Date.now(): the same clock for both.
    const now = vi.spyOn(Date, 'now').mockReturnValue(1_764_633_600_123);
    try {
      for (let i = 0; i < 60; i++) {
        const stamp = (j: number) => {
          const roll = (i + j) % 5;
          // None, numbers, numbers of another length (kafkajs sorts them as text), text, a mix.
          if (i % 4 === 0) return {};
          if (roll === 0) return { timestamp: 1_764_633_600_000 + j * 7 };
          if (roll === 1) return { timestamp: 99_999_999 + j };
          if (roll === 2) return { timestamp: String(1_764_633_600_500 - j) };
          return roll === 3 ? { timestamp: null } : {};
        };
        const topicData = Array.from({ length: 1 + (i % 3) }, (_, t) => ({
          topic: `council.${text(5)}.cases.${t}`,
          partitions: Array.from({ length: 1 + Math.floor(r() * 4) }, (_, p) => ({
            partition: p * 3 + t,
            firstSequence: Math.floor(r() * 10_000),
            messages: Array.from({ length: Math.floor(r() * (i % 10 === 0 ? 600 : 30)) }, (_, j) => ({
              key: r() < 0.1 ? null : `E09000019|${text(12)}`,
              value: r() < 0.05 ? null : text(Math.floor(r() * 1_200)),
              ...(r() < 0.2 ? {} : { headers: { ce_id: text(40), ce_type: 'uk.gov.council.case.updated' } }),
              partition: p,
              ...stamp(j),
            })),
          })),
        }));
        const args = {
          acks: [-1, 0, 1][i % 3],
          timeout: 30_000 + i,
          ...(i % 6 === 1 ? { transactionalId: `casebridge-${text(8)}` } : {}),
          ...(i % 2 ? { producerId: Long.fromValue(9_000 + i), producerEpoch: i % 4 } : {}),
          compression: i % 5 === 0 ? 1 : 0,
          topicData,
        };
        const [a, b] = [ours(args), theirs(args)];
        expect({ ...a, encode: 0, expectResponse: a.expectResponse() }).toEqual({ ...b, encode: 0, expectResponse: b.expectResponse() });
        const framing = { correlationId: i * 31, clientId: i % 7 ? 'casebridge' : null };
        const [x, y] = [await frame({ ...framing, request: a }), await theirFrame({ ...framing, request: b })];
        expect(firstDifference(x.buffer, y.buffer), `produce request ${i}: first byte that differs`).toBe(-1);
        // Framed by kafkajs' own module (as when kafkajs loaded its framing first), the same bytes too.
        const z = await theirFrame({ ...framing, request: ours(args) });
        expect(firstDifference(z.buffer, y.buffer), `produce request ${i} through kafkajs' framing`).toBe(-1);
        // Asked for its bytes as a whole (nothing in kafkajs does), the payload gives them too.
        expect(firstDifference(((await a.encode()) as { buffer: Buffer }).buffer, ((await b.encode()) as { buffer: Buffer }).buffer)).toBe(-1);
      }
      expect(v7({ acks: -1, timeout: 1, topicData: [] }).apiVersion).toBe(7);
      const seen = kafkajsReplacements().produce;
      if (!seen.installed) throw new Error('not installed');
      const before = seen.calls();
      v7({ acks: -1, timeout: 1, topicData: [] });
      expect(seen.calls()).toBe(before + 1);
    } finally {
      now.mockRestore();
    }
  });

  it('record batch: the same bytes as kafkajs’ module, plain and gzip, idempotent and transactional', async () => {
    type Batcher = { RecordBatch: (b: object) => Promise<{ buffer: Buffer }>; MAGIC_BYTE: number };
    const theirs = kafkajsOwn<Batcher>('kafkajs/src/protocol/recordBatch/v0/index.js');
    const ours = require('kafkajs/src/protocol/recordBatch/v0/index.js') as Batcher;
    expect(ours.RecordBatch).not.toBe(theirs.RecordBatch);
    expect(ours.MAGIC_BYTE).toBe(theirs.MAGIC_BYTE);
    const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: number): unknown };
    const r = prng(17);
    const text = (n: number) => Array.from({ length: n }, () => String.fromCharCode(32 + Math.floor(r() * 300))).join('');
    for (let i = 0; i < 120; i++) {
      const records = Array.from({ length: Math.floor(r() * (i % 10 === 0 ? 900 : 40)) }, (_, j) => Record({ offsetDelta: j, timestampDelta: j * 3, key: text(20), value: text(Math.floor(r() * 1_500)), headers: { ce_id: text(32) } }));
      const args = {
        compression: i % 4 === 0 ? 1 : 0,
        firstOffset: i % 3 === 0 ? Long.fromValue(i * 1_000) : 0,
        firstTimestamp: 1_700_000_000_000 + i,
        maxTimestamp: 1_700_000_000_500 + i,
        partitionLeaderEpoch: i % 5,
        lastOffsetDelta: Math.max(records.length - 1, 0),
        transactional: i % 7 === 0,
        producerId: Long.fromValue(i % 2 ? 4_000 + i : -1),
        producerEpoch: i % 3,
        firstSequence: i * 11,
        records,
      };
      const [a, b] = [await ours.RecordBatch(args), await theirs.RecordBatch(args)];
      expect(firstDifference(a.buffer, b.buffer), `batch ${i}: first byte that differs`).toBe(-1);
    }
  });

  it('request framing: the same bytes as kafkajs’ module for any client id and payload', async () => {
    type Framer = (a: object) => Promise<{ buffer: Buffer }>;
    const ours = require('kafkajs/src/protocol/request.js') as Framer;
    const theirs = kafkajsOwn<Framer>('kafkajs/src/protocol/request.js');
    expect(ours).not.toBe(theirs);
    const Encoder = require('kafkajs/src/protocol/encoder.js') as new () => { writeInt32(v: number): unknown; writeBuffer(b: Buffer): unknown };
    const r = prng(13);
    for (let i = 0; i < 200; i++) {
      const bytes = Buffer.alloc(Math.floor(r() * (i % 10 === 0 ? 300_000 : 3_000)));
      for (let j = 0; j < bytes.length; j += 97) bytes[j] = Math.floor(r() * 256);
      const encode = async () => {
        const e = new Encoder();
        e.writeBuffer(bytes);
        return e;
      };
      const clientId = [null, '', 'casebridge', 'gateway-ü-😀', 'x'.repeat(300)][i % 5];
      const args = { correlationId: Math.floor(r() * 2 ** 31), clientId, request: { apiKey: i % 70, apiVersion: i % 12, encode } };
      expect(firstDifference((await ours(args)).buffer, (await theirs(args)).buffer), `request ${i}: first byte that differs`).toBe(-1);
    }
  });

  it('grouping by partition: the same object as kafkajs’, messages in order, keys in order', () => {
    type Group = (a: { topic: string; partitionMetadata: unknown[]; messages: unknown[]; partitioner: (a: { message: unknown }) => number }) => Record<number, unknown[]>;
    const ours = require('kafkajs/src/producer/groupMessagesPerPartition.js') as Group;
    const theirs = kafkajsOwn<Group>('kafkajs/src/producer/groupMessagesPerPartition.js');
    expect(ours).not.toBe(theirs);
    const r = prng(3);
    for (let i = 0; i < 200; i++) {
      const partitions = Math.floor(r() * 12);
      const partitionMetadata = Array.from({ length: partitions }, (_, p) => ({ partitionId: p }));
      const messages = Array.from({ length: Math.floor(r() * 600) }, (_, m) => ({ key: `k${Math.floor(r() * 50)}`, value: String(m) }));
      const partitioner = ({ message }: { message: unknown }) => Number((message as { key: string }).key.slice(1)) % Math.max(partitions, 1);
      const a = ours({ topic: 't', partitionMetadata, messages, partitioner });
      const b = theirs({ topic: 't', partitionMetadata, messages, partitioner });
      expect(Object.keys(a)).toEqual(Object.keys(b));
      for (const k of Object.keys(b)) expect(a[Number(k)]!.every((m, j) => m === b[Number(k)]![j]) && a[Number(k)]!.length === b[Number(k)]!.length).toBe(true);
    }
  });

  it('checksum: kafkajs’ own CRC-32C for every length and content', () => {
    const r = prng(7);
    const lengths = [0, 1, 2, 3, 7, 8, 15, 16, 63, 64, 1000, 4096, 65_537, ...Array.from({ length: 200 }, () => Math.floor(r() * 20_000))];
    const ours = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (b: Buffer) => number;
    for (const n of lengths) {
      const b = Buffer.alloc(n);
      for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
      expect(ours(b), `length ${n}`).toBe(kafkajsCrc(b));
    }
  });

  it('record: the same bytes as kafkajs’ module for keys, values and headers of every kind it takes', () => {
    const original = kafkajsRecord();
    expect(original).not.toBe(Record);
    const r = prng(5);
    const text = (n: number) => Array.from({ length: n }, () => String.fromCharCode(32 + Math.floor(r() * 300))).join('');
    const valueOf = (): unknown => {
      const roll = r();
      if (roll < 0.1) return null;
      if (roll < 0.2) return Buffer.from(text(Math.floor(r() * 300)));
      return text(Math.floor(r() * 5_000));
    };
    for (let i = 0; i < 400; i++) {
      const headers: Record<string, unknown> = {};
      for (let h = Math.floor(r() * 12); h > 0; h--) {
        const roll = r();
        headers[`ce_${text(3)}`] = roll < 0.15 ? Array.from({ length: Math.floor(r() * 3) }, () => text(20)) : roll < 0.25 ? Buffer.from(text(30)) : text(Math.floor(r() * 200));
      }
      const record = {
        offsetDelta: Math.floor(r() * 600),
        timestampDelta: Math.floor((r() - 0.2) * 2 ** Math.floor(r() * 45)),
        key: r() < 0.1 ? null : text(Math.floor(r() * 40)),
        value: valueOf(),
        ...(r() < 0.1 ? {} : { headers }),
      };
      expect(firstDifference(Record(record).buffer, original(record).buffer), `record ${i}: first byte that differs`).toBe(-1);
    }
    // A null header value: kafkajs throws while sizing it, and so does the replacement.
    expect(() => original({ key: 'k', value: 'v', headers: { a: null } })).toThrow(TypeError);
    expect(() => Record({ key: 'k', value: 'v', headers: { a: null } })).toThrow(TypeError);
  });

  it('are what a record batch is written with', async () => {
    const { crc32c, record } = kafkajsReplacements();
    if (!crc32c.installed || !record.installed) throw new Error('not installed');
    const [crcBefore, recordsBefore] = [crc32c.calls(), record.calls()];
    // The produce request's own path: records made by the module kafkajs bound, then the batch.
    const produce = require('kafkajs/src/protocol/requests/produce/v3/request.js') as (a: object) => { encode(): Promise<{ buffer: Buffer }> };
    await produce({
      acks: -1,
      timeout: 1000,
      topicData: [{ topic: 't', partitions: [{ partition: 0, firstSequence: 0, messages: [0, 1, 2].map((i) => ({ key: `E09000019|ref-${i}`, value: `{"a":${i}}`, headers: { ce_id: `id-${i}` } })) }] }],
    }).encode();
    expect(record.calls()).toBe(recordsBefore + 3);
    expect(crc32c.calls()).toBe(crcBefore + 1);
    const batch = await RecordBatch({ firstOffset: 0, records: [0, 1].map((i) => Record({ offsetDelta: i, key: `k${i}`, value: `v${i}` })) });
    // v2 batch layout: baseOffset(8) length(4) leaderEpoch(4) magic(1) crc(4), then the checksummed body.
    expect(batch.buffer.readUInt32BE(17)).toBe(kafkajsCrc(batch.buffer.subarray(21)));
  });
});
