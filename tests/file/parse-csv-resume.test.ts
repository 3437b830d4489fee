/**
 * The CSV reader runs csv-parse without its `raw` option and takes a row's text from the bytes it
 * keeps; at a row csv-parse skips, it resumes from the last good row with a parser that keeps the
 * raw text, and goes back once a good row closes the broken stretch. Rejects must read exactly as
 * when every row's raw text was kept — whatever the read size, so switches land mid-row and
 * mid-quote. Expected values are those the reader gave with `raw: true` on every row.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CsvFormat } from '../../src/connectors/file/config.js';
import { parseCsv } from '../../src/connectors/file/parse-csv.js';
import type { ParsedItem } from '../../src/connectors/file/parsed.js';

async function read(text: string, format: Partial<CsvFormat>, size: number): Promise<ParsedItem[]> {
  const bytes = Buffer.from(text);
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  const out: ParsedItem[] = [];
  for await (const batch of parseCsv(Readable.from(parts, { objectMode: true }), CsvFormat.parse({ type: 'csv', ...format }))) out.push(...batch);
  return out;
}

const SIZES = [1, 2, 3, 7, 1000];
const cutShort = 'the row is cut short (a truncated or badly quoted row?)';
const extra = 'the row has extra fields (an unquoted delimiter?)';
const openingQuote = 'a quote appears in the middle of an unquoted field (set format.relaxQuotes: true if the supplier writes 5" pipes unquoted)';

describe('CSV rejects without csv-parse raw text', () => {
  it.each(SIZES)('wrong rows before and after a skipped row keep their exact text and line (read size %i)', async (size) => {
    const text = 'id,name,note\n1,a,x\n\n  \n2,b\n3,"c\nd",y,z\n4,x"y,q\n5,e,f\n6,g\n7,"h\ni",j\n8,"unclosed,k\n9\n';
    expect(await read(text, { trim: true }, size)).toEqual([
      { kind: 'record', raw: { id: '1', name: 'a', note: 'x' }, line: 2 },
      // With trim, a line of spaces counts as empty, and csv-parse's text of the next row includes it.
      { kind: 'reject', reason: `line 5: expected 3 fields (id, name, note), found 2: ${cutShort}`, original: '  \n2,b', line: 5 },
      { kind: 'reject', reason: `line 6: expected 3 fields (id, name, note), found 4: ${extra}`, original: '3,"c\nd",y,z', line: 6 },
      { kind: 'reject', reason: `line 8: ${openingQuote}`, original: '4,x"y,q', line: 8 },
      { kind: 'record', raw: { id: '5', name: 'e', note: 'f' }, line: 9 },
      { kind: 'reject', reason: `line 10: expected 3 fields (id, name, note), found 2: ${cutShort}`, original: '6,g', line: 10 },
      { kind: 'record', raw: { id: '7', name: 'h\ni', note: 'j' }, line: 11 },
      { kind: 'reject', reason: 'line 13: a quoted field opened on this line is never closed (the rest of the file, 3 lines, could not be read as rows)', original: '8,"unclosed,k\n9\n', line: 13 },
    ]);
  });

  it.each(SIZES)('a file with skipped leading lines reads the same (read size %i)', async (size) => {
    const text = 'title line\nid;name\n1;a\n2;"b\nc";d\n3;x"y\n4;e\n5\n6;"f"\n';
    expect(await read(text, { skipLines: 1, delimiter: ';' }, size)).toEqual([
      { kind: 'record', raw: { id: '1', name: 'a' }, line: 3 },
      { kind: 'reject', reason: `line 4: expected 2 fields (id, name), found 3: ${extra}`, original: '2;"b\nc";d', line: 4 },
      { kind: 'reject', reason: `line 6: ${openingQuote}`, original: '3;x"y', line: 6 },
      { kind: 'record', raw: { id: '4', name: 'e' }, line: 7 },
      { kind: 'reject', reason: `line 8: expected 2 fields (id, name), found 1: ${cutShort}`, original: '5', line: 8 },
      { kind: 'record', raw: { id: '6', name: 'f' }, line: 9 },
    ]);
  });

  it.each(SIZES)('a stray quote keeps the rows csv-parse swallowed with it, after a good row with an escaped quote (read size %i)', async (size) => {
    const text = 'id,name\n1,"a""b"\n2,"bad"quote\n3,c\n4,d,e\n5,"ok\nok"\n';
    expect(await read(text, {}, size)).toEqual([
      { kind: 'record', raw: { id: '1', name: 'a"b' }, line: 2 },
      {
        kind: 'reject',
        reason: 'line 3: a quote inside a quoted field is not doubled, so the row cannot be split reliably; lines 3-7 could not be split into rows and are kept whole in this reject',
        original: '2,"bad"quote\n3,c\n4,d,e\n5,"ok\nok"',
        line: 3,
      },
    ]);
  });
});
