/**
 * Streaming CSV (csv-parse) over decoded, LF-normalised text. Memory holds one input chunk's rows
 * whatever the file size. Each record carries the physical line it starts on; a row that cannot be
 * read (wrong number of fields, broken quoting, oversized) becomes a reject naming its line, and
 * the rest of the file is still read.
 *
 * Header and field counts are handled here rather than by csv-parse's `columns`, so that the
 * header's own line is counted, a trailing delimiter on every line ("a,b,c,") is tolerated, and a
 * wrong row says which columns were expected.
 *
 * A row with broken quoting is the awkward case: csv-parse reports the error part-way through the
 * row and then silently consumes the rest of it (with a stray quote, often the next rows too)
 * until it finds a row end again. So that no text is lost, the bytes fed to the parser since the
 * last good row are kept, and a reject's `original` is the whole stretch between the good rows
 * around it (bounded by `maxRecordSize`).
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
  /** The row's text as far as csv-parse had read it when it gave up; completed later. */
  raw: string;
  line: number;
  /** The row's full text once the next good row (or the end) shows where it stopped. */
  text?: string;
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

/** The input bytes from some offset on, so the text of skipped rows can be recovered. */
class ByteWindow {
  private chunks: Buffer[] = [];
  /** Parser offset of chunks[0][0]. */
  private start = 0;
  private kept = 0;
  /** Bytes fed so far: the parser offset where the next chunk starts. */
  fed = 0;
  /** A skipped stretch grew past the cap: what follows it is not kept. */
  truncated = false;

  constructor(readonly cap: number) {}

  append(buf: Buffer, growing: boolean): void {
    const at = this.fed;
    this.fed += buf.length;
    if (this.truncated) return;
    if (growing && this.kept >= this.cap) {
      this.truncated = true;
      return;
    }
    if (this.start + this.kept !== at) {
      // Nothing kept before this chunk (see dropBefore): start afresh here.
      this.chunks = [];
      this.start = at;
      this.kept = 0;
    }
    this.chunks.push(buf);
    this.kept += buf.length;
  }

  /** Forget everything before `offset`. */
  dropBefore(offset: number): void {
    if (this.truncated) {
      this.chunks = [];
      this.kept = 0;
      this.start = this.fed;
      this.truncated = false;
      return;
    }
    while (this.chunks.length && this.start + this.chunks[0]!.length <= offset) {
      const c = this.chunks.shift()!;
      this.start += c.length;
      this.kept -= c.length;
    }
  }

  slice(from: number, to: number): string {
    const a = Math.max(from, this.start);
    const b = Math.min(to, this.start + this.kept);
    if (b <= a) return '';
    return Buffer.concat(this.chunks).subarray(a - this.start, b - this.start).toString('utf8');
  }
}

export async function* parseCsv(text: Readable, format: CsvFormat): AsyncGenerator<ParsedItem[]> {
  /** Rows and skipped pieces in file order, as csv-parse reports them during a write. */
  const events: (Row | Skipped)[] = [];
  /** Skips whose full text is not known yet (waiting for the next good row). */
  let open: Skipped[] = [];
  const window = new ByteWindow(Math.max(2 * format.maxRecordSize, 1 << 20));
  /** Parser byte offset just after the last good row. */
  let lastGoodEnd = 0;

  function closeSkips(upTo: number): void {
    if (!open.length) return;
    const gap = window.slice(lastGoodEnd, upTo);
    // Each skipped row starts where its partial text starts; it runs up to the next one.
    const starts: number[] = [];
    let from = 0;
    for (const s of open) {
      const at = gap.indexOf(s.raw.slice(0, 200), from);
      starts.push(at === -1 ? from : at);
      from = at === -1 ? from : at + 1;
    }
    open.forEach((s, i) => {
      const next = i + 1 < starts.length ? starts[i + 1]! : gap.length;
      const whole = gap.slice(starts[i], next).replace(/\n+$/, '');
      s.text = whole.length >= s.raw.length ? whole : s.raw;
    });
    open = [];
  }

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
      if (open.length) closeSkips(info.bytes - Buffer.byteLength(rec.raw));
      lastGoodEnd = info.bytes;
      events.push({ kind: 'row', fields: rec.record, endLine: info.lines, raw: rec.raw });
      return undefined;
    }) as unknown as Options['on_record'],
    on_skip: (err: CsvError | undefined, raw: string | undefined) => {
      if (!err) return undefined;
      const body = (raw ?? '').replace(/^\n+/, '');
      const errLine = (err as unknown as { lines?: number }).lines ?? 1;
      const line = Math.max(1, errLine - countNl(body.replace(/\n$/, '')));
      // csv-parse may report several errors while it looks for the end of one broken row: one reject.
      const last = open[open.length - 1];
      if (last && last.line === line) {
        if (body.length > last.raw.length) last.raw = body;
      } else {
        const s: Skipped = { kind: 'skip', err, raw: body, line };
        open.push(s);
        events.push(s);
      }
      return undefined;
    },
  };
  const parser = parse(options);
  let failure: unknown;
  parser.on('error', (e) => (failure ??= e));

  let columns: string[] | undefined = format.header ? undefined : format.columns;
  const expected = () => (columns ?? []).length;
  const describeColumns = () => {
    const c = columns ?? [];
    return c.length <= 4 ? c.join(', ') : `${c[0]}, ${c[1]} … ${c[c.length - 1]}`;
  };

  function fromSkip(s: Skipped): ParsedItem {
    const body = s.text ?? s.raw.replace(/\n$/, '');
    const lastLine = s.line + countNl(body);
    const span = lastLine > s.line && s.err.code !== 'CSV_QUOTE_NOT_CLOSED' ? `; lines ${s.line}-${lastLine} could not be split into rows and are kept whole in this reject` : '';
    return { kind: 'reject', reason: `line ${s.line}: ${describeCsvError(s.err, body)}${span}`, original: clip(body, 65_536), line: s.line };
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

  /** Everything up to the first skip whose text is still open (it waits for the next chunk). */
  function drainEvents(): ParsedItem[] {
    const out: ParsedItem[] = [];
    let i = 0;
    for (; i < events.length; i++) {
      const e = events[i]!;
      if (e.kind === 'row') fromRow(e, out);
      else if (e.text === undefined) break;
      else out.push(fromSkip(e));
    }
    events.splice(0, i);
    return out;
  }

  const fail = (e: unknown): never => {
    if (e instanceof UnreadableFileError) throw e;
    const err = e as CsvError & { lines?: number };
    throw new UnreadableFileError(`CSV cannot be read${err.lines ? ` at line ${err.lines}` : ''}: ${err.message}`, err.lines);
  };

  try {
    for await (const chunk of text as AsyncIterable<string | Buffer>) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      window.append(buf, open.length > 0);
      if (window.truncated) {
        // A broken row that runs on for megabytes: no reliable rows can follow it. The file is
        // rejected whole (and kept in the rejected folder), rather than read on in the dark.
        const s = open[0]!;
        throw new UnreadableFileError(`line ${s.line}: ${describeCsvError(s.err, s.raw)}, and the text after it runs on for more than ${window.cap} bytes without a row that can be read`, s.line);
      }
      parser.write(buf);
      if (failure) fail(failure);
      if (!open.length) window.dropBefore(lastGoodEnd);
      const out = drainEvents();
      if (out.length) yield out;
    }
    await new Promise<void>((resolve) => parser.end(() => resolve()));
    if (failure) fail(failure);
    closeSkips(window.fed);
    const out = drainEvents();
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
