/**
 * kafkajs 2.2.4's protocol Encoder writes every variable-length integer by pushing its bytes into
 * a new array and copying that through a new Buffer, and every 64-bit one through its Long type:
 * about 24 such integers per Kafka record (lengths of the key, value and each header), the largest
 * single source of garbage in a CSV → Kafka run (122 of 1,176 MiB allocated for 20,000 rows, and
 * the garbage collector was 15% of the CPU); and every time an Encoder grows, it zero-fills a new
 * buffer it is about to overwrite. And every Encoder starts with 512 zero-filled bytes of its own,
 * a new ArrayBuffer each, although one is made per record and per header (ten per event in binary
 * mode) and a header needs under 100. kafkajs is in maintenance mode, so the fix cannot go
 * upstream; these replacements write the same bytes straight into the Encoder's buffer.
 *
 * They are installed once, by kafkajs-preload.ts (the first import of every module here that loads
 * kafkajs), only on the exact kafkajs version they were written and tested against
 * (package.json pins it); on any other the Encoder is left as it is, which is slower, not wrong.
 * tests/kafka/kafkajs-encoder.test.ts checks the bytes against the original methods.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const PATCHED_KAFKAJS_VERSION = '2.2.4';

interface EncoderInstance {
  buf: Buffer;
  offset: number;
  ensureAvailable(length: number): void;
}

interface EncoderClass {
  prototype: EncoderInstance & Record<string, unknown>;
  sizeOfVarLong(value: unknown): number;
  nextPowerOfTwo(value: number): number;
}

/** The original methods, for the test that compares bytes. */
export interface EncoderOriginals {
  ensureAvailable: (this: EncoderInstance, length: number) => void;
  writeUVarInt: (this: EncoderInstance, value: number) => EncoderInstance;
  writeVarLong: (this: EncoderInstance, value: unknown) => EncoderInstance;
  sizeOfVarLong: (value: unknown) => number;
  nextPowerOfTwo: (value: number) => number;
}

let state: { installed: boolean; originals?: EncoderOriginals } | undefined;

/** Below this magnitude a zig-zag encoded 64-bit value fits 32 bits and its bytes are the same. */
const SMALL = 0x3fffffff;

/**
 * The constructor's default `initialSize`, which it rounds up with nextPowerOfTwo; kafkajs 2.2.4
 * never passes another, and nothing else calls nextPowerOfTwo with it (ensureAvailable below uses
 * its own rounding). The constructor's `Buffer.alloc` makes a new zero-filled ArrayBuffer outside
 * the heap for any size over 64 bytes, which cost about 2 µs an Encoder (20 µs an event); so an
 * Encoder starts empty and its first write takes FIRST_CAPACITY bytes from Node's buffer pool
 * (`allocUnsafe` slices one shared ArrayBuffer for sizes under 4 KiB). A header fits 128 bytes.
 */
const CONSTRUCTOR_INITIAL_SIZE = 511;
const FIRST_CAPACITY = 128;

export function loadKafkajsEncoder(): EncoderClass {
  return require('kafkajs/src/protocol/encoder.js') as EncoderClass;
}

/** Install the replacements (idempotent); false when the installed kafkajs is another version. */
export function installKafkajsEncoderFixes(): boolean {
  if (state) return state.installed;
  const version = (require('kafkajs/package.json') as { version: string }).version;
  if (version !== PATCHED_KAFKAJS_VERSION) return (state = { installed: false }).installed;
  const Encoder = loadKafkajsEncoder();
  const proto = Encoder.prototype;
  const nextPowerOfTwo = Encoder.nextPowerOfTwo.bind(Encoder);
  const originals: EncoderOriginals = {
    ensureAvailable: proto.ensureAvailable as EncoderOriginals['ensureAvailable'],
    writeUVarInt: proto.writeUVarInt as EncoderOriginals['writeUVarInt'],
    writeVarLong: proto.writeVarLong as EncoderOriginals['writeVarLong'],
    sizeOfVarLong: Encoder.sizeOfVarLong.bind(Encoder),
    nextPowerOfTwo,
  };

  // Growing the buffer: kafkajs zero-fills the new one, then overwrites every byte it will ever
  // read (only bytes below offset are read: the buffer getter slices there). allocUnsafe skips
  // the fill and takes small buffers from Node's pool.
  proto.ensureAvailable = function ensureAvailable(this: EncoderInstance, length: number) {
    const needed = this.offset + length;
    if (needed <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(needed <= FIRST_CAPACITY ? FIRST_CAPACITY : nextPowerOfTwo(needed));
    if (this.offset > 0) this.buf.copy(grown, 0, 0, this.offset);
    this.buf = grown;
  };

  Encoder.nextPowerOfTwo = (value: number) => (value === CONSTRUCTOR_INITIAL_SIZE ? 0 : nextPowerOfTwo(value));

  proto.writeUVarInt = function writeUVarInt(this: EncoderInstance, value: number) {
    this.ensureAvailable(5);
    const buf = this.buf;
    let offset = this.offset;
    // The original's loop: 7 bits at a time while bits above the lowest 7 remain (in 32 bits).
    while ((value & 0xffffff80) !== 0) {
      buf[offset++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    buf[offset++] = value & 0x7f;
    this.offset = offset;
    return this;
  };

  proto.writeVarLong = function writeVarLong(this: EncoderInstance, value: unknown) {
    if (typeof value === 'number' && Number.isInteger(value) && value >= -SMALL && value <= SMALL) {
      return (this as unknown as { writeUVarInt(v: number): EncoderInstance }).writeUVarInt(((value << 1) ^ (value >> 31)) >>> 0);
    }
    return originals.writeVarLong.call(this, value);
  };

  Encoder.sizeOfVarLong = (value: unknown) => {
    if (typeof value === 'number' && Number.isInteger(value) && value >= -SMALL && value <= SMALL) {
      let v = ((value << 1) ^ (value >> 31)) >>> 0;
      let bytes = 1;
      while ((v & 0xffffff80) !== 0) {
        bytes++;
        v >>>= 7;
      }
      return bytes;
    }
    return originals.sizeOfVarLong(value);
  };

  state = { installed: true, originals };
  return true;
}

export function kafkajsEncoderOriginals(): EncoderOriginals | undefined {
  return state?.originals;
}
