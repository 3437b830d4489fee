/**
 * kafkajs 2.2.4 checksums every record batch (CRC-32C) in JavaScript, one byte per step: 1.5 ms
 * for a 650 KB batch of 500 events, about 3 µs an event on the publishing thread. @node-rs/crc32
 * computes the same checksum with the processor's CRC instructions in 0.11 ms (bench figures in
 * docs/performance.md). kafkajs takes the function once, when its record-batch module loads, so
 * this module puts the native one in its place in Node's module cache (which Node documents as open
 * to adding entries) and must be evaluated before kafkajs is: it is the first import of every module
 * in this folder that loads kafkajs.
 *
 * Only on the kafkajs version it was tested against, only when the native module loads (a platform
 * without a prebuilt binary keeps kafkajs' own), and never once kafkajs' checksum module is loaded:
 * then kafkajs keeps its own, which is slower, not wrong. tests/kafka/kafkajs-crc32c.test.ts checks
 * the checksums against kafkajs' and that a record batch goes through this one.
 */
import { Module, createRequire } from 'node:module';

const require = createRequire(import.meta.url);

const PATCHED_KAFKAJS_VERSION = '2.2.4';
const CRC_MODULE = 'kafkajs/src/protocol/recordBatch/crc32C/index.js';

export type Crc32cState = { native: true; calls: () => number } | { native: false; reason: string };

let calls = 0;
const state = install();

function install(): Crc32cState {
  try {
    const version = (require('kafkajs/package.json') as { version: string }).version;
    if (version !== PATCHED_KAFKAJS_VERSION) return { native: false, reason: `kafkajs ${version} is not the tested ${PATCHED_KAFKAJS_VERSION}` };
    const path = require.resolve(CRC_MODULE);
    if (require.cache[path]) return { native: false, reason: 'kafkajs loaded its checksum before this module ran' };
    const { crc32c } = require('@node-rs/crc32') as { crc32c: (input: Buffer) => number };
    // kafkajs' own returns the checksum as an unsigned 32-bit number.
    const checksum = (buffer: Buffer): number => {
      calls++;
      return crc32c(buffer) >>> 0;
    };
    const entry = new Module(path);
    entry.filename = path;
    entry.loaded = true;
    entry.exports = checksum;
    require.cache[path] = entry;
    return { native: true, calls: () => calls };
  } catch (e) {
    return { native: false, reason: (e as Error).message };
  }
}

/** Whether kafkajs checksums record batches natively, for the tests and the bench. */
export function kafkajsCrc32cState(): Crc32cState {
  return state;
}
