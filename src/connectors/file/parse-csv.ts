/**
 * Streaming CSV (csv-parse) over decoded, LF-normalised text. Memory holds a few records whatever
 * the file size. Each record carries the physical line it starts on; a row that cannot be read
 * (wrong number of fields, broken quoting, oversized) becomes a reject naming its line, and the
 * rest of the file is still read.
 *
 * Header and field counts are handled here rather than by csv-parse's `columns`, so that the
 * header's own line is counted, a trailing delimiter on every line ("a,b,c,") is tolerated, and a
 * wrong row says which columns were expected.
 */
import { parse, type CsvError, type Info, type Options } from 'csv-parse';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { CsvFormat } from './config.js';
import { clip, UnreadableFileError, type ParsedItem } from './parsed.js';

interface Row {
  seq: number;
  fields: string[];
  /** Line the record ends on (csv-parse's count; exact because line breaks are LF-only). */
  endLine: number;
  raw: string;
}

interface Skipped {
  seq: number;
  err: CsvError;
  raw: string;
  line: number;
}

const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function countNl(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

function unescapeDelimiter(d: string): string {
  return d === '\\t' ? '\t' : d;
}

export async function* parseCsv(text: Readable, format: CsvFormat): AsyncGenerator<ParsedItem> {
  let seq = 0;
  const skipped: Skipped[] = [];
  const options: Options = {
    delimiter: unescapeDelimiter(format.delimiter),
    quote: format.quote,
    escape: format.escape,
    record_delimiter: '\n',
    from_line: format.skipLines + 1,
    relax_column_count: true,
    relax_quotes: format.relaxQuotes,
    skip_empty_lines: true,
    skip_records_with_error: true,
    trim: format.trim,
    max_record_size: format.maxRecordSize,
    raw: true,
    on_record: ((rec: { record: string[]; raw: string }, info: Info): Row => ({ seq: seq++, fields: rec.record, endLine: info.lines, raw: rec.raw })) as unknown as Options['on_record'],
    on_skip: (err: CsvError | undefined, raw: string | undefined) => {
      if (!err) return;
      const body = (raw ?? '').replace(/^\n+/, '');
      const errLine = (err as unknown as { lines?: number }).lines ?? 1;
      const line = Math.max(1, errLine - countNl(body.replace(/\n$/, '')));
      // csv-parse may report several errors while it looks for the end of one broken row: one reject.
      const last = skipped[skipped.length - 1];
      if (last && last.line === line) last.raw = body;
      else skipped.push({ seq: seq++, err, raw: body, line });
      return undefined;
    },
  };
  const parser = parse(options);

  // Feed the parser in the background; its errors surface through the iteration below.
  const feeding = pipeline(text, parser).catch((e: unknown) => {
    parser.destroy(e as Error);
  });

  let columns: string[] | undefined = format.header ? undefined : format.columns;
  const expected = () => (columns ?? []).length;
  const describeColumns = () => {
    const c = columns ?? [];
    return c.length <= 4 ? c.join(', ') : `${c[0]}, ${c[1]} … ${c[c.length - 1]}`;
  };

  function* rejectsBefore(limit: number): Generator<ParsedItem> {
    while (skipped.length && skipped[0]!.seq < limit) {
      const s = skipped.shift()!;
      const body = s.raw.replace(/\n$/, '');
      const lastLine = s.line + countNl(body);
      const span = lastLine > s.line && s.err.code !== 'CSV_QUOTE_NOT_CLOSED' ? `; lines ${s.line}-${lastLine} could not be split into rows and are kept whole in this reject` : '';
      yield { kind: 'reject', reason: `line ${s.line}: ${describeCsvError(s.err, body)}${span}`, original: clip(body), line: s.line };
    }
  }

  try {
    for await (const row of parser as AsyncIterable<Row>) {
      if (skipped.length) yield* rejectsBefore(row.seq);
      const fields0 = row.fields;
      let inner = 0;
      let blank = true;
      for (let i = 0; i < fields0.length; i++) {
        const f = fields0[i]!;
        if (f.indexOf('\n') !== -1) inner += countNl(f);
        if (blank && f.trim() !== '') blank = false;
      }
      const line = row.endLine - inner;
      if (blank) continue; // ",,,," or spaces: an empty line in all but name

      if (!columns) {
        columns = headerColumns(row.fields, line);
        continue;
      }
      let fields = row.fields;
      if (fields.length === expected() + 1 && fields[fields.length - 1] === '') fields = fields.slice(0, -1);
      if (fields.length !== expected()) {
        const what = fields.length < expected() ? 'the row is cut short (a truncated or badly quoted row?)' : 'the row has extra fields (an unquoted delimiter?)';
        yield {
          kind: 'reject',
          reason: `line ${line}: expected ${expected()} fields (${describeColumns()}), found ${fields.length}: ${what}`,
          original: clip(row.raw.replace(/^\n+/, '').replace(/\n$/, '')),
          line,
        };
        continue;
      }
      const raw: Record<string, unknown> = {};
      // Header names were checked (no __proto__ and friends), so plain assignment is safe.
      for (let i = 0; i < columns.length; i++) raw[columns[i]!] = fields[i];
      yield { kind: 'record', raw, line };
    }
    yield* rejectsBefore(Number.POSITIVE_INFINITY);
  } catch (e) {
    if (e instanceof UnreadableFileError) throw e;
    const err = e as CsvError & { lines?: number };
    throw new UnreadableFileError(`CSV cannot be read${err.lines ? ` at line ${err.lines}` : ''}: ${err.message}`, err.lines);
  } finally {
    parser.destroy();
    text.destroy();
    await feeding;
  }
}

function headerColumns(fields: string[], line: number): string[] {
  const names = fields.map((f) => f.trim());
  while (names.length && names[names.length - 1] === '') names.pop(); // "a,b,c," header
  if (names.length === 0) throw new UnreadableFileError(`line ${line}: the header row is empty`, line);
  const seen = new Map<string, number>();
  names.forEach((n, i) => {
    if (n === '') throw new UnreadableFileError(`line ${line}: header column ${i + 1} has no name`, line);
    if (UNSAFE_KEYS.has(n)) throw new UnreadableFileError(`line ${line}: header column ${i + 1} is named "${n}", which is not allowed`, line);
    if (seen.has(n)) throw new UnreadableFileError(`line ${line}: header names "${n}" twice (columns ${seen.get(n)! + 1} and ${i + 1})`, line);
    seen.set(n, i);
  });
  return names;
}

function describeCsvError(err: CsvError, raw: string): string {
  switch (err.code) {
    case 'CSV_QUOTE_NOT_CLOSED': {
      const span = countNl(raw) + 1;
      return span > 1
        ? `a quoted field opened on this line is never closed (the rest of the file, ${span} lines, could not be read as rows)`
        : 'a quoted field is never closed (a truncated last row?)';
    }
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'a quote inside a quoted field is not doubled, so the row cannot be split reliably';
    case 'INVALID_OPENING_QUOTE':
      return 'a quote appears in the middle of an unquoted field (set format.relaxQuotes: true if the supplier writes 5" pipes unquoted)';
    case 'CSV_MAX_RECORD_SIZE':
      return 'the row is longer than format.maxRecordSize (a quote that is never closed?)';
    default:
      return err.message;
  }
}
