/** An encoding error points at the bad byte itself, not at the start of the read holding it. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chooseEncoding, inspectFile } from '../../src/connectors/file/inspect.js';
import { scanUtf8 } from '../../src/connectors/file/utf8-offset.js';

const dir = mkdtempSync(join(tmpdir(), 'cb-enc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const CHUNK = 256 * 1024; // inspectFile's read size

function file(name: string, bytes: Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

function ascii(n: number): Buffer {
  return Buffer.alloc(n, 'a');
}

describe('first invalid UTF-8 byte', () => {
  it('names offset 309 for a bad byte at offset 309, in the message council IT sees', async () => {
    const insp = await inspectFile(file('a.csv', Buffer.concat([Buffer.from('CRNo,Stage\n'), ascii(298), Buffer.from([0xa3]), Buffer.from('12\n')])));
    expect(insp.validUtf8).toBe(false);
    expect(insp.invalidUtf8At).toBe(309);
    expect(() => chooseEncoding('utf-8', insp)).toThrow(/at byte offset 309\b/);
  });

  it('is exact deep inside a large file, and for a sequence split across two reads', async () => {
    const deep = await inspectFile(file('b.csv', Buffer.concat([ascii(CHUNK + 1234), Buffer.from([0xff]), ascii(10)])));
    expect(deep.invalidUtf8At).toBe(CHUNK + 1234);
    // A three-byte lead as the last byte of the first read, its continuation broken in the second.
    const split = await inspectFile(file('c.csv', Buffer.concat([ascii(CHUNK - 1), Buffer.from([0xe2, 0x82, 0x41]), ascii(10)])));
    expect(split.invalidUtf8At).toBe(CHUNK - 1);
    // A valid euro sign split across the reads, then a bad byte later in the second read.
    const later = await inspectFile(file('d.csv', Buffer.concat([ascii(CHUNK - 2), Buffer.from([0xe2, 0x82, 0xac]), ascii(500), Buffer.from([0xc0, 0x80])])));
    expect(later.invalidUtf8At).toBe(CHUNK - 2 + 3 + 500);
  });

  it('points at a sequence cut off by the end of the file', async () => {
    const insp = await inspectFile(file('e.csv', Buffer.concat([ascii(40), Buffer.from([0xf0, 0x9f, 0x98])])));
    expect(insp.invalidUtf8At).toBe(40);
  });

  it('follows the WHATWG rules: overlong, surrogate and out-of-range forms are invalid', () => {
    expect(scanUtf8(Buffer.from('Café £5 €9 😀', 'utf8'))).toEqual({ ok: true });
    expect(scanUtf8(Buffer.from([0x41, 0xc0, 0xaf]))).toEqual({ ok: false, at: 1, incomplete: false });
    expect(scanUtf8(Buffer.from([0x41, 0x42, 0xed, 0xa0, 0x80]))).toEqual({ ok: false, at: 2, incomplete: false });
    expect(scanUtf8(Buffer.from([0xf4, 0x90, 0x80, 0x80]))).toEqual({ ok: false, at: 0, incomplete: false });
    expect(scanUtf8(Buffer.from([0x41, 0xe2, 0x82]))).toEqual({ ok: false, at: 1, incomplete: true });
  });

  it('agrees with a whole-file decode when sequences straddle a read boundary, valid or not', async () => {
    // Every kind of sequence placed across the 256 KiB read boundary at every split point:
    // the streaming check must say what decoding the whole file at once says.
    const seqs = [[0xc3, 0xa9], [0xe2, 0x82, 0xac], [0xf0, 0x9f, 0x98, 0x80], [0xe2, 0x82, 0x41], [0xf0, 0x9f, 0x41], [0xc3], [0xed, 0xa0, 0x80], [0xff], [0x80, 0x80]];
    let n = 0;
    for (const seq of seqs) {
      for (let shift = -4; shift <= 1; shift++) {
        for (const after of [0, 7]) {
          const bytes = Buffer.concat([ascii(CHUNK + shift), Buffer.from(seq), ascii(after)]);
          const insp = await inspectFile(file(`straddle-${n++}.csv`, bytes));
          const scan = scanUtf8(bytes);
          expect({ valid: insp.validUtf8, at: insp.invalidUtf8At }, `${seq.map((b) => b.toString(16)).join(' ')} at ${CHUNK + shift}, ${after} after`).toEqual(
            scan.ok ? { valid: true, at: undefined } : { valid: false, at: scan.at },
          );
        }
      }
    }
  });
});
