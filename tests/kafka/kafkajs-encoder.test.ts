import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { installKafkajsEncoderFixes, kafkajsEncoderOriginals, loadKafkajsEncoder } from '../../src/publish/kafka/kafkajs-encoder.js';

const require = createRequire(import.meta.url);
type Enc = { buffer: Buffer; writeUVarInt(v: number): Enc; writeVarInt(v: number): Enc; writeVarLong(v: unknown): Enc };
const Encoder = loadKafkajsEncoder() as unknown as { new (): Enc & { buf: Buffer }; prototype: Record<string, unknown>; sizeOfVarLong(v: unknown): number; nextPowerOfTwo(v: number): number };
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (r: object) => Enc;

/** Run fn with kafkajs' own methods back in place, then the replacements again. */
function withOriginals<T>(fn: () => T): T {
  const o = kafkajsEncoderOriginals()!;
  const mine = { e: Encoder.prototype.ensureAvailable, w: Encoder.prototype.writeUVarInt, l: Encoder.prototype.writeVarLong, s: Encoder.sizeOfVarLong, p: Encoder.nextPowerOfTwo };
  Object.assign(Encoder.prototype, { ensureAvailable: o.ensureAvailable, writeUVarInt: o.writeUVarInt, writeVarLong: o.writeVarLong });
  Encoder.sizeOfVarLong = o.sizeOfVarLong;
  Encoder.nextPowerOfTwo = o.nextPowerOfTwo;
  try {
    return fn();
  } finally {
    Object.assign(Encoder.prototype, { ensureAvailable: mine.e, writeUVarInt: mine.w, writeVarLong: mine.l });
    Encoder.sizeOfVarLong = mine.s;
    Encoder.nextPowerOfTwo = mine.p;
  }
}

function prng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 0x100000000);
}

describe('kafkajs Encoder without per-integer garbage', () => {
  it('is installed on the pinned kafkajs version', () => {
    expect(installKafkajsEncoderFixes()).toBe(true);
    expect(kafkajsEncoderOriginals()).toBeDefined();
  });

  it('starts each Encoder empty, taking its first 128 bytes from the pool, and kafkajs itself at 512', () => {
    installKafkajsEncoderFixes();
    const e = new Encoder();
    expect(e.buf.length).toBe(0);
    e.writeUVarInt(300);
    expect(e.buf.length).toBe(128);
    // From Node's shared pool, not an ArrayBuffer of its own.
    expect(e.buf.buffer.byteLength).toBe(Buffer.poolSize);
    expect(e.buffer).toEqual(withOriginals(() => new Encoder().writeUVarInt(300).buffer));
    expect(withOriginals(() => new Encoder().buf.length)).toBe(512);
    // Every other size still rounds as kafkajs rounds it.
    for (const v of [1, 100, 128, 510, 512, 513, 4096, 100_000]) expect(Encoder.nextPowerOfTwo(v), String(v)).toBe(kafkajsEncoderOriginals()!.nextPowerOfTwo(v));
  });

  it('writes every variable-length integer byte for byte as kafkajs does', () => {
    installKafkajsEncoderFixes();
    const r = prng(11);
    const edges = [0, 1, -1, 63, 64, -64, -65, 127, 128, 8191, 8192, 2 ** 20, -(2 ** 20), 2 ** 30 - 1, -(2 ** 30) + 1, 2 ** 30, -(2 ** 30), 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 32 - 1, 2 ** 40, -(2 ** 40), Number.MAX_SAFE_INTEGER];
    const randoms = Array.from({ length: 3_000 }, () => Math.floor((r() - 0.5) * 2 ** Math.floor(r() * 53)));
    for (const v of [...edges, ...randoms]) {
      const ours = { u: new Encoder().writeUVarInt(v).buffer, i: new Encoder().writeVarInt(v).buffer, l: new Encoder().writeVarLong(v).buffer, s: Encoder.sizeOfVarLong(v) };
      const theirs = withOriginals(() => ({ u: new Encoder().writeUVarInt(v).buffer, i: new Encoder().writeVarInt(v).buffer, l: new Encoder().writeVarLong(v).buffer, s: Encoder.sizeOfVarLong(v) }));
      expect(ours, String(v)).toEqual(theirs);
    }
  });

  it('encodes whole records (key, value, headers, timestamp deltas) to the same bytes', () => {
    installKafkajsEncoderFixes();
    const r = prng(5);
    const text = (n: number) => Array.from({ length: n }, () => String.fromCharCode(32 + Math.floor(r() * 300))).join('');
    for (let i = 0; i < 300; i++) {
      const headers: Record<string, string> = {};
      for (let h = Math.floor(r() * 12); h > 0; h--) headers[`ce_${text(3)}`] = text(Math.floor(r() * 200));
      const record = { offsetDelta: Math.floor(r() * 600), timestampDelta: Math.floor((r() - 0.2) * 2 ** Math.floor(r() * 45)), key: text(Math.floor(r() * 40)), value: text(Math.floor(r() * 5_000)), headers };
      expect(Record(record).buffer, `record ${i}`).toEqual(withOriginals(() => Record(record).buffer));
    }
  });
});
