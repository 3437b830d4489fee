/**
 * One streaming pass over a dropped file before any record is read: its SHA-256 (the ledger's
 * identity of a file, so an identical re-drop is recognised before anything is emitted), and what
 * the bytes say about their encoding. Memory is one read buffer whatever the file size.
 */
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import iconv from 'iconv-lite';
import { invalidOffset } from './utf8-offset.js';

export interface FileInspection {
  sha256: string;
  size: number;
  /** BOM found at the start, if any. */
  bom?: 'utf-8' | 'utf-16le' | 'utf-16be';
  /** Every byte sequence is valid UTF-8 (pure ASCII included). */
  validUtf8: boolean;
  /** Byte offset in the file of the first byte of the first invalid UTF-8 sequence. */
  invalidUtf8At?: number;
  /** The first bytes, for sniffing an XML declaration. */
  head: Buffer;
}

const HEAD_BYTES = 512;

export async function inspectFile(path: string, signal?: AbortSignal): Promise<FileInspection> {
  const hash = createHash('sha256');
  // Validated with isUtf8, not decoded: decoding a large file only to throw the text away made
  // as much garbage as the file's size (docs/performance.md, memory).
  let pending: Buffer = Buffer.alloc(0);
  let size = 0;
  let validUtf8 = true;
  let invalidUtf8At: number | undefined;
  const headParts: Buffer[] = [];
  let headLen = 0;
  // The end of the previous chunk: a sequence it left unfinished continues in the next one.
  let tail: Buffer = Buffer.alloc(0);
  const stream = createReadStream(path, { highWaterMark: 256 * 1024, ...(signal ? { signal } : {}) });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    if (headLen < HEAD_BYTES) {
      headParts.push(chunk.subarray(0, HEAD_BYTES - headLen));
      headLen += Math.min(chunk.length, HEAD_BYTES - headLen);
    }
    if (validUtf8) {
      const data = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      const cut = completeUpTo(data);
      if (isUtf8(data.subarray(0, cut))) {
        pending = Buffer.from(data.subarray(cut));
      } else {
        validUtf8 = false;
        invalidUtf8At = invalidOffset(tail, chunk, size);
      }
      tail = Buffer.from(chunk.subarray(Math.max(0, chunk.length - 3)));
    }
    size += chunk.length;
  }
  if (validUtf8 && pending.length) {
    // A multi-byte sequence cut off at the end of the file.
    validUtf8 = false;
    invalidUtf8At = invalidOffset(tail, Buffer.alloc(0), size);
  }
  const head = Buffer.concat(headParts);
  let bom: FileInspection['bom'];
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) bom = 'utf-8';
  else if (head[0] === 0xff && head[1] === 0xfe) bom = 'utf-16le';
  else if (head[0] === 0xfe && head[1] === 0xff) bom = 'utf-16be';
  return { sha256: hash.digest('hex'), size, ...(bom ? { bom } : {}), validUtf8, ...(invalidUtf8At !== undefined ? { invalidUtf8At } : {}), head };
}

/**
 * Where the last sequence of `data` that may continue in the next read begins: a lead byte whose
 * sequence runs past the end. Everything before it can be validated now.
 */
function completeUpTo(data: Buffer): number {
  const n = data.length;
  for (let j = n - 1; j >= Math.max(0, n - 4); j--) {
    const b = data[j]!;
    if (b < 0x80) return n;
    if (b >= 0xc0) {
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      return j + need > n ? j : n;
    }
  }
  return n;
}

export class EncodingProblem extends Error {}

/**
 * The encoding to decode with. "auto": a BOM wins; then an XML declaration's encoding (XML only);
 * then UTF-8 when every byte sequence is valid UTF-8; otherwise windows-1252, which is what
 * "ANSI" exports from Windows back-office software are (£ is 0xA3, € 0x80, curly quotes 0x91-0x94).
 * An explicit utf-8 over bytes that are not UTF-8 is refused rather than decoded into U+FFFD.
 */
export function chooseEncoding(configured: string, insp: FileInspection, opts: { xml?: boolean } = {}): string {
  const wanted = configured.trim().toLowerCase();
  if (wanted !== 'auto') {
    if (!iconv.encodingExists(wanted)) throw new EncodingProblem(`unknown encoding "${configured}"`);
    if ((wanted === 'utf-8' || wanted === 'utf8') && !insp.validUtf8) {
      throw new EncodingProblem(
        `the file is not valid UTF-8 (first bad byte at byte offset ${insp.invalidUtf8At ?? 0}, counting from 0); exports from Windows software are often windows-1252: set format.encoding to windows-1252 or auto`,
      );
    }
    return wanted;
  }
  if (insp.bom) return insp.bom;
  if (opts.xml) {
    const decl = /^<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(insp.head.toString('latin1'));
    const named = decl?.[1]?.toLowerCase();
    if (named && iconv.encodingExists(named) && !(named.replace('-', '') === 'utf8' && !insp.validUtf8)) return named;
  }
  return insp.validUtf8 ? 'utf-8' : 'windows-1252';
}

/**
 * Decoded text of a file as a stream of strings, BOM removed, and every line break (CRLF, CR, LF)
 * turned into LF so that line numbers count physical lines however the supplier ends them.
 */
export function openText(path: string, encoding: string, opts: { highWaterMark?: number } = {}): Readable {
  const bytes = createReadStream(path, { highWaterMark: opts.highWaterMark ?? 256 * 1024 });
  const text = bytes.pipe(iconv.decodeStream(encoding, { stripBOM: true }) as unknown as Transform);
  bytes.on('error', (e) => text.destroy(e));
  const out = text.pipe(new LineBreakNormalizer());
  text.on('error', (e) => out.destroy(e));
  // Closing the consumer side closes the file.
  out.on('close', () => {
    bytes.destroy();
  });
  return out;
}

/**
 * A file already known to be valid UTF-8, as bytes rather than text: the same content as
 * openText (BOM removed, line breaks made LF) for a parser that takes bytes, without decoding
 * every byte to a string and encoding it back.
 */
export function openUtf8Bytes(path: string, opts: { highWaterMark?: number } = {}): Readable {
  const bytes = createReadStream(path, { highWaterMark: opts.highWaterMark ?? 256 * 1024 });
  const out = bytes.pipe(new ByteLineBreakNormalizer());
  bytes.on('error', (e) => out.destroy(e));
  out.on('close', () => {
    bytes.destroy();
  });
  return out;
}

/** Whether openUtf8Bytes gives the same text as openText would with this encoding. */
export function isUtf8Choice(encoding: string, insp: FileInspection): boolean {
  return insp.validUtf8 && /^utf-?8$/i.test(encoding);
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const CR = 0x0d;
const LF = 0x0a;

/** Leading BOM removed; CRLF and lone CR → LF, across chunk boundaries. CR never occurs inside a UTF-8 sequence. */
class ByteLineBreakNormalizer extends Transform {
  private pendingCr = false;
  /** The first bytes while they may still be a BOM split across reads; null once decided. */
  private head: Buffer | null = Buffer.alloc(0);

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let b = chunk;
    if (this.head) {
      b = Buffer.concat([this.head, b]);
      if (b.length < 3 && BOM.subarray(0, b.length).equals(b)) {
        this.head = b;
        return done();
      }
      this.head = null;
      if (b.subarray(0, 3).equals(BOM)) b = b.subarray(3);
    }
    if (this.pendingCr) {
      this.pendingCr = false;
      if (b[0] === LF) b = b.subarray(1);
      this.push(Buffer.of(LF));
    }
    if (b.length && b[b.length - 1] === CR) {
      this.pendingCr = true;
      b = b.subarray(0, -1);
    }
    if (b.indexOf(CR) === -1) return done(null, b);
    const out = Buffer.allocUnsafe(b.length);
    let n = 0;
    for (let i = 0; i < b.length; i++) {
      const c = b[i]!;
      if (c !== CR) out[n++] = c;
      else {
        out[n++] = LF;
        if (b[i + 1] === LF) i++;
      }
    }
    done(null, out.subarray(0, n));
  }

  override _flush(done: TransformCallback): void {
    // A file shorter than a BOM that began like one: what there is, is the content.
    if (this.head?.length) this.push(this.head);
    done(null, this.pendingCr ? Buffer.of(LF) : undefined);
  }
}

/** CRLF and lone CR → LF, across chunk boundaries. */
export class LineBreakNormalizer extends Transform {
  private pendingCr = false;

  constructor() {
    super({ decodeStrings: false, readableObjectMode: false, encoding: 'utf8' });
  }

  override _transform(chunk: string | Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let s = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (this.pendingCr) {
      s = '\r' + s;
      this.pendingCr = false;
    }
    if (s.endsWith('\r')) {
      this.pendingCr = true;
      s = s.slice(0, -1);
    }
    done(null, s.indexOf('\r') === -1 ? s : s.replace(/\r\n?/g, '\n'));
  }

  override _flush(done: TransformCallback): void {
    done(null, this.pendingCr ? '\n' : '');
  }
}
