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
import type { Readable } from 'node:stream';
import type { CsvFormat } from './config.js';
import { clip, UnreadableFileError, type ParsedItem } from './parsed.js';

interface Row {
  kind: 'row';
  fields: string[];
  /** Line the record ends on (csv-parse's count; exact because line breaks are LF-only). */
  endLine: number;
  raw: string;
}

interface Skipped {
  kind: 'skip';
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

export async function* parseCsv(text: Readable, format: CsvFormat): AsyncGenerator<ParsedItem[]> {
  /** Rows and skipped pieces in file order, as csv-parse reports them during a write. */
  const events: (Row | Skipped)[] = [];
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
    // Collected here instead of pushed through the stream: one array per input chunk, no
    // per-row promise, memory bounded by one chunk's rows.
    on_record: ((rec: { record: string[]; raw: string }, info: Info) => {
      events.push({ kind: 'row', fields: rec.record, endLine: info.lines, raw: rec.raw });
      return undefined;
    }) as unknown as Options['on_record'],
    on_skip: (err: CsvError | undefined, raw: string | undefined) => {
      if (!err) return undefined;
      const body = (raw ?? '').replace(/^\n+/, '');
      const errLine = (err as unknown as { lines?: number }).lines ?? 1;
      const line = Math.max(1, errLine - countNl(body.replace(/\n$/, '')));
      // csv-parse may report several errors while it looks for the end of one broken row: one reject.
      const last = events[events.length - 1] ?? pendingSkip;
      if (last && last.kind === 'skip' && last.line === line) last.raw = body;
      else events.push({ kind: 'skip', err, raw: body, line });
      return undefined;
    },
  };
  const parser = parse(options);
  let failure: unknown;
  parser.on('error', (e) => (failure ??= e));
  /** A trailing skip is held back one chunk: the rest of its row may still add to it. */
  let pendingSkip: Skipped | undefined;

  let columns: string[] | undefined = format.header ? undefined : format.columns;
  const expected = () => (columns ?? []).length;
  const describeColumns = () => {
    const c = columns ?? [];
    return c.length <= 4 ? c.join(', ') : `${c[0]}, ${c[1]} … ${c[c.length - 1]}`;
  };

  function fromSkip(s: Skipped): ParsedItem {
    const body = s.raw.replace(/\n$/, '');
    const lastLine = s.line + countNl(body);
    const span = lastLine > s.line && s.err.code !== 'CSV_QUOTE_NOT_CLOSED' ? `; lines ${s.line}-${lastLine} could not be split into rows and are kept whole in this reject` : '';
    return { kind: 'reject', reason: `line ${s.line}: ${describeCsvError(s.err, body)}${span}`, original: clip(body), line: s.line };
  }

  function fromRow(row: Row, out: ParsedItem[]): void {
    const fields0 = row.fields;
    let inner = 0;
    let blank = true;
    for (let i = 0; i < fields0.length; i++) {
      const f = fields0[i]!;
      if (f.indexOf('\n') !== -1) inner += countNl(f);
      if (blank && f.trim() !== '') blank = false;
    }
    const line = row.endLine - inner;
    if (blank) return; // ",,,," or spaces: an empty line in all but name
    if (!columns) {
      columns = headerColumns(fields0, line);
      return;
    }
    let fields = fields0;
    if (fields.length === columns.length + 1 && fields[fields.length - 1] === '') fields = fields.slice(0, -1);
    if (fields.length !== columns.length) {
      const what = fields.length < expected() ? 'the row is cut short (a truncated or badly quoted row?)' : 'the row has extra fields (an unquoted delimiter?)';
      out.push({
        kind: 'reject',
        reason: `line ${line}: expected ${expected()} fields (${describeColumns()}), found ${fields.length}: ${what}`,
        original: clip(row.raw.replace(/^\n+/, '').replace(/\n$/, '')),
        line,
      });
      return;
    }
    const raw: Record<string, unknown> = {};
    // Header names were checked (no __proto__ and friends), so plain assignment is safe.
    for (let i = 0; i < columns.length; i++) raw[columns[i]!] = fields[i];
    out.push({ kind: 'record', raw, line });
  }

  function drainEvents(final: boolean): ParsedItem[] {
    const out: ParsedItem[] = [];
    if (pendingSkip && (events.length || final)) {
      out.push(fromSkip(pendingSkip));
      pendingSkip = undefined;
    }
    const n = events.length;
    for (let i = 0; i < n; i++) {
      const e = events[i]!;
      if (e.kind === 'row') fromRow(e, out);
      else if (i === n - 1 && !final) pendingSkip = e;
      else out.push(fromSkip(e));
    }
    events.length = 0;
    return out;
  }

  const fail = (e: unknown): never => {
    if (e instanceof UnreadableFileError) throw e;
    const err = e as CsvError & { lines?: number };
    throw new UnreadableFileError(`CSV cannot be read${err.lines ? ` at line ${err.lines}` : ''}: ${err.message}`, err.lines);
  };

  try {
    for await (const chunk of text as AsyncIterable<string>) {
      parser.write(chunk);
      if (failure) fail(failure);
      const out = drainEvents(false);
      if (out.length) yield out;
    }
    await new Promise<void>((resolve) => parser.end(() => resolve()));
    if (failure) fail(failure);
    const out = drainEvents(true);
    if (out.length) yield out;
  } finally {
    parser.destroy();
    text.destroy();
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
