/**
 * Valid UTF-8 CSV goes to the parser as bytes (openUtf8Bytes), everything else as decoded text
 * (openText). Both must hand the parser the same content: BOM gone, every line break LF.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectFile, isUtf8Choice, openText, openUtf8Bytes } from '../../src/connectors/file/inspect.js';

const dir = mkdtempSync(join(tmpdir(), 'cb-bytes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function text(stream: Readable): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of stream as AsyncIterable<string | Buffer>) parts.push(typeof c === 'string' ? Buffer.from(c, 'utf8') : c);
  return Buffer.concat(parts).toString('utf8');
}

const samples: Record<string, Buffer> = {
  plain: Buffer.from('Ref,Stage\nA1,2\nA2,3\n'),
  bom: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('Ref,Stage\r\nA1,2\r\n')]),
  crlf: Buffer.from('Ref,Notes\r\nA1,"two\r\nlines"\r\nA2,x\r\n'),
  loneCr: Buffer.from('Ref,Stage\rA1,2\rA2,3'),
  mixed: Buffer.from('Ref,Notes\r\n\r\nA1,Café £5 €9 😀\rA2,\r\r\nA3,end\r'),
  bomOnly: Buffer.from([0xef, 0xbb, 0xbf]),
  empty: Buffer.alloc(0),
};

describe('UTF-8 CSV as bytes', () => {
  for (const [name, bytes] of Object.entries(samples)) {
    it(`gives the parser what decoding would: ${name}, at every read size`, async () => {
      const path = join(dir, `${name}.csv`);
      writeFileSync(path, bytes);
      // Read sizes of 1–5 bytes put a CR, a CRLF, a BOM and every multi-byte character across a read boundary.
      for (const highWaterMark of [1, 2, 3, 4, 5, 64 * 1024]) {
        expect(await text(openUtf8Bytes(path, { highWaterMark })), `${name}, reads of ${highWaterMark}`).toBe(await text(openText(path, 'utf-8', { highWaterMark })));
      }
    });
  }

  it('is used only for valid UTF-8', async () => {
    const good = join(dir, 'good.csv');
    const bad = join(dir, 'bad.csv');
    writeFileSync(good, 'Ref\nCafé\n');
    writeFileSync(bad, Buffer.from([0x52, 0x65, 0x66, 0x0a, 0xa3, 0x35, 0x0a]));
    expect(isUtf8Choice('utf-8', await inspectFile(good))).toBe(true);
    expect(isUtf8Choice('UTF8', await inspectFile(good))).toBe(true);
    expect(isUtf8Choice('windows-1252', await inspectFile(good))).toBe(false);
    expect(isUtf8Choice('utf-8', await inspectFile(bad))).toBe(false);
  });
});
