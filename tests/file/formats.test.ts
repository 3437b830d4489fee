/**
 * Reading realistic exports: encodings, BOMs, banners, embedded line breaks, truncated rows,
 * XML with namespaces/CDATA/entities, JSON and JSON Lines. Each record must carry the file and the
 * physical line it starts on; each unreadable piece becomes a reject naming file and line.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileSource } from '../../src/connectors/file/create.js';
import { deps, drain, fileConfig, openState, tempDir } from './harness.js';

const FIX = join(import.meta.dirname, '../fixtures/file');
const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

async function readFixture(fixture: string, extra: Record<string, unknown>) {
  const t = tempDir();
  const { store, state } = openState(t.dir);
  cleanups.push(() => {
    store.close();
    t.cleanup();
  });
  const drop = join(t.dir, 'drop');
  mkdirSync(drop, { recursive: true });
  copyFileSync(join(FIX, fixture), join(drop, fixture));
  const source = createFileSource(fileConfig({ path: 'drop', ready: { stableFor: '0s' }, ...extra }), deps(state, t.dir));
  const out = await drain(source, state);
  await source.close();
  return { ...out, dir: drop, state };
}

describe('CSV', () => {
  it('decodes a windows-1252 export (£ € curly quotes) and keeps embedded line breaks and commas', async () => {
    const { records, rejects, dir } = await readFixture('enforcement-cases-ansi.csv', { format: { type: 'csv' } });
    expect(rejects).toEqual([]);
    expect(records.map((r) => r.raw['Case Ref'])).toEqual(['ENF/25/0412', 'ENF/25/0413', 'ENF/25/0414', 'ENF/25/0412']);
    expect(records[0]!.raw.Notes).toBe('Bags of trade waste; officer noted “Smith’s Café” receipts');
    expect(records[0]!.raw.Fine).toBe('£400');
    expect(records[1]!.raw.Notes).toBe('Transfer note requested, € receipt from EU carrier');
    expect(records[1]!.raw.Location).toBe('Flat 2,\n31 Essex Road\nLondon N1 2SA');
    expect(records[2]!.raw.Location).toBe('Junction of Holloway Road, Seven Sisters Road');
    expect(records[3]!.raw.Notes).toBe('FPN issued — £400, paid by card');
    // Physical lines: the second record spans lines 3-5, so the third starts on line 6.
    expect(records.map((r) => r.position)).toEqual([
      { file: 'enforcement-cases-ansi.csv', line: 2 },
      { file: 'enforcement-cases-ansi.csv', line: 3 },
      { file: 'enforcement-cases-ansi.csv', line: 6 },
      { file: 'enforcement-cases-ansi.csv', line: 7 },
    ]);
    // Blank trailing lines are not rows; the file was processed and moved.
    expect(existsSync(join(dir, 'processed', 'enforcement-cases-ansi.csv'))).toBe(true);
  });

  it('refuses to read windows-1252 bytes as UTF-8 when utf-8 is configured, with a reason file', async () => {
    const { records, rejects, dir } = await readFixture('enforcement-cases-ansi.csv', { format: { type: 'csv', encoding: 'utf-8' } });
    expect(records).toEqual([]);
    expect(rejects).toHaveLength(1);
    expect(rejects[0]!.reason).toMatch(/enforcement-cases-ansi\.csv rejected: the file is not valid UTF-8.*windows-1252/);
    const reason = readFileSync(join(dir, 'rejected', 'enforcement-cases-ansi.csv.reason.txt'), 'utf8');
    expect(reason).toMatch(/not valid UTF-8/);
    expect(existsSync(join(dir, 'rejected', 'enforcement-cases-ansi.csv'))).toBe(true);
  });

  it('reads a UTF-8 export with a BOM, banner lines to skip, semicolons and a trailing delimiter', async () => {
    const { records, rejects } = await readFixture('housing-repairs-bom.csv', { pattern: '*.csv', format: { type: 'csv', delimiter: ';', skipLines: 2 } });
    expect(rejects).toEqual([]);
    expect(Object.keys(records[0]!.raw)[0]).toBe('Job No'); // no BOM glued to the first column name
    expect(records.map((r) => [r.raw['Job No'], r.position.line])).toEqual([
      ['R000981', 4],
      ['R000982', 5],
      ['R000983', 6],
      ['R000984', 7],
    ]);
    expect(records[2]!.raw.UPRN).toBe('005300001234'); // text stays text: no number guessing
    expect(records[3]!.raw.Status).toBe('Survey Booked – Café Block');
  });

  it('turns a cut-short row and a truncated last row into rejects naming file and line, and keeps the good rows', async () => {
    const { records, rejects, dir } = await readFixture('street-services-truncated.csv', { format: { type: 'csv' } });
    expect(records.map((r) => [r.raw.CRNo, r.raw.Stage, r.position.line])).toEqual([
      ['2511034', '1', 2],
      ['2511020', '4', 3],
      ['2511034', '2', 5],
    ]);
    expect(rejects.map((r) => r.position)).toEqual([
      { file: 'street-services-truncated.csv', line: 4 },
      { file: 'street-services-truncated.csv', line: 6 },
    ]);
    expect(rejects[0]!.reason).toMatch(/^street-services-truncated\.csv line 4: expected 10 fields \(History Date\/Time, Recorded Date … Stage\), found 6/);
    expect(rejects[0]!.original).toContain('"2510977","Works Ordered"');
    expect(rejects[1]!.reason).toMatch(/line 6: a quoted field is never closed/);
    expect(rejects[1]!.original).toContain('"2511051","Inspection Due"');
    // 2 of 5 rows bad is under the default 50% threshold: the file counts as processed.
    expect(existsSync(join(dir, 'processed', 'street-services-truncated.csv'))).toBe(true);
  });

  it('keeps exact line numbers deep into a large file, across read chunks, with multi-line rows and a broken row', async () => {
    const t = tempDir();
    const { store, state } = openState(t.dir);
    cleanups.push(() => {
      store.close();
      t.cleanup();
    });
    const lines = ['Ref,Notes,Stage'];
    const expected: [string, number][] = [];
    let line = 2;
    for (let i = 0; i < 12_000; i++) {
      const multi = i % 7 === 0;
      if (i === 9_001) {
        lines.push(`R${i},"bad "quote" here,3`); // broken quoting: one reject
        line += 1;
        continue;
      }
      expected.push([`R${i}`, line]);
      lines.push(multi ? `R${i},"first line\r\nsecond, with comma\r\nthird",${i % 9}` : `R${i},plain note number ${i} padded to make the file longer than several read chunks,${i % 9}`);
      line += multi ? 3 : 1;
    }
    writeFileSync(join(t.dir, 'big.csv'), lines.join('\r\n') + '\r\n');
    const source = createFileSource(fileConfig({ path: '.', ready: { stableFor: '0s' }, format: { type: 'csv' }, batchSize: 1000 }), deps(state, t.dir));
    const out = await drain(source, state);
    // csv-parse cannot tell where a row with a stray quote ends: it reads on to the next quote,
    // here into the multi-line row R9002. Both stay together in one reject (a dead letter holding
    // their text) whose reason says which lines it covers; every row after it is back in step.
    const badLine = expected.find(([ref]) => ref === 'R9000')![1] + 1;
    expect(out.rejects.map((r) => r.position.line)).toEqual([badLine]);
    expect(out.rejects[0]!.original).toMatch(/^R9001,"bad "quote" here,3\nR9002,"first line/);
    expect(out.rejects[0]!.reason).toMatch(new RegExp(`line ${badLine}: a quote inside a quoted field is not doubled.*lines ${badLine}-${badLine + 3} could not be split`));
    expect(out.records.map((r) => [r.raw.Ref, r.position.line])).toEqual(expected.filter(([ref]) => ref !== 'R9002'));
    expect(out.records[7]!.raw.Notes).toBe('first line\nsecond, with comma\nthird');
  });

  it('rejects a file whole when a quote opened on one row is never closed for megabytes, after the rows before it', async () => {
    const t = tempDir();
    const { store, state } = openState(t.dir);
    cleanups.push(() => {
      store.close();
      t.cleanup();
    });
    const rows = ['Ref,Notes,Stage', 'R1,ok,1', 'R2,"never closed,2'];
    for (let i = 3; i < 40_000; i++) rows.push(`R${i},note ${i} with some padding to make the file a few megabytes long,${i % 9}`);
    writeFileSync(join(t.dir, 'runaway.csv'), rows.join('\n') + '\n');
    const source = createFileSource(fileConfig({ path: '.', ready: { stableFor: '0s' }, format: { type: 'csv', maxRecordSize: 100_000 } }), deps(state, t.dir));
    const out = await drain(source, state);
    expect(out.records.map((r) => r.raw.Ref)).toEqual(['R1']);
    expect(existsSync(join(t.dir, 'rejected', 'runaway.csv'))).toBe(true);
    const reason = readFileSync(join(t.dir, 'rejected', 'runaway.csv.reason.txt'), 'utf8');
    expect(reason).toMatch(/reason: +line 3: the row is longer than format.maxRecordSize.*runs on for more than \d+ bytes/);
    expect(reason).toMatch(/records passed on: +1/);
  });

  it('treats a 0-byte delta export as processed and a 0-byte snapshot as rejected', async () => {
    const t = tempDir();
    const { store, state } = openState(t.dir);
    cleanups.push(() => {
      store.close();
      t.cleanup();
    });
    writeFileSync(join(t.dir, 'empty.csv'), '');
    const delta = createFileSource(fileConfig({ path: '.', ready: { stableFor: '0s' }, format: { type: 'csv' } }), deps(state, t.dir));
    const d = await drain(delta, state);
    expect(d.records).toEqual([]);
    expect(existsSync(join(t.dir, 'processed', 'empty.csv'))).toBe(true);

    writeFileSync(join(t.dir, 'empty-snapshot.csv'), '');
    const snap = createFileSource(fileConfig({ path: '.', ready: { stableFor: '0s' }, format: { type: 'csv' }, mode: 'snapshot' }), deps(state, t.dir));
    const s = await drain(snap, state);
    expect(s.batches.some((b) => b.snapshot?.final)).toBe(false); // nothing is closed
    expect(s.rejects[0]!.reason).toMatch(/empty.*would close every open case/);
    expect(readFileSync(join(t.dir, 'rejected', 'empty-snapshot.csv.reason.txt'), 'utf8')).toMatch(/snapshot file is empty/);
  });

  it('rejects a file with a broken header whole', async () => {
    const t = tempDir();
    const { store, state } = openState(t.dir);
    cleanups.push(() => {
      store.close();
      t.cleanup();
    });
    writeFileSync(join(t.dir, 'dup.csv'), 'CRNo,Stage,CRNo\n1,2,3\n');
    const source = createFileSource(fileConfig({ path: '.', ready: { stableFor: '0s' }, format: { type: 'csv' } }), deps(state, t.dir));
    const out = await drain(source, state);
    expect(out.records).toEqual([]);
    expect(readFileSync(join(t.dir, 'rejected', 'dup.csv.reason.txt'), 'utf8')).toMatch(/line 1: header names "CRNo" twice \(columns 1 and 3\)/);
  });
});

describe('XML', () => {
  it('reads record elements one at a time: namespaces, attributes, CDATA, entities, windows-1252; a broken record is a reject with its line', async () => {
    const { records, rejects } = await readFixture('waste-requests.xml', { pattern: '*.xml', format: { type: 'xml', recordElement: 'ServiceRequest' } });
    expect(records.map((r) => [r.raw.ServiceCode, r.position.line])).toEqual([
      ['SR00051688', 4],
      ['SR00051689', 11],
      ['SR00051691', 23],
    ]);
    expect(records[0]!.raw.ServiceLocation).toEqual({ $attributes: { Easting: '530123', Northing: '184567' } });
    expect(records[0]!.raw.Notes).toBe('Paid £45 & bin to follow');
    expect(records[1]!.raw.Notes).toBe('resident says "</ex:ServiceRequest>" was on the bin tag <honest>');
    expect(records[2]!.raw.Notes).toBe('€0 charge – “exempt”');
    expect(rejects).toHaveLength(1);
    expect(rejects[0]!.position).toEqual({ file: 'waste-requests.xml', line: 18 });
    expect(rejects[0]!.reason).toMatch(/line 18: <ServiceRequest> element cannot be read/);
  });

  it('refuses a file with a DTD', async () => {
    const t = tempDir();
    const { store, state } = openState(t.dir);
    cleanups.push(() => {
      store.close();
      t.cleanup();
    });
    writeFileSync(join(t.dir, 'evil.xml'), '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "aaaa">]>\n<Export><R><A>&a;</A></R></Export>\n');
    const source = createFileSource(fileConfig({ path: '.', pattern: '*.xml', ready: { stableFor: '0s' }, format: { type: 'xml', recordElement: 'R' } }), deps(state, t.dir));
    const out = await drain(source, state);
    expect(out.records).toEqual([]);
    expect(readFileSync(join(t.dir, 'rejected', 'evil.xml.reason.txt'), 'utf8')).toMatch(/line 2: the file declares a DTD/);
  });
});

describe('JSON', () => {
  it('reads the records at recordPath of a JSON document; a non-object is a reject with its cursor', async () => {
    const { records, rejects } = await readFixture('crm-cases.json', { pattern: '*.json', format: { type: 'json', recordPath: 'data.cases' } });
    expect(records.map((r) => [r.raw.ref, r.position.cursor])).toEqual([
      ['CRM-1001', 'data.cases[0]'],
      ['CRM-1002', 'data.cases[1]'],
    ]);
    expect(rejects.map((r) => r.reason)).toEqual(['crm-cases.json data.cases[2]: expected an object, found string']);
  });

  it('reads JSON Lines line by line; a broken line is a reject with its line number', async () => {
    const { records, rejects } = await readFixture('crm-updates.jsonl', { pattern: '*.jsonl', format: { type: 'jsonl', recordPath: 'case' } });
    expect(records.map((r) => [r.raw.ref, r.position.line])).toEqual([
      ['CRM-1001', 1],
      ['CRM-1004', 4],
    ]);
    expect(records[1]!.raw.note).toBe('£ quote “accepted”');
    expect(rejects.map((r) => r.position.line)).toEqual([3]);
    expect(rejects[0]!.reason).toMatch(/crm-updates\.jsonl line 3: not valid JSON/);
  });
});
