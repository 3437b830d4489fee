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
 *
 * csv-parse's `raw` option copies every input byte a second time and builds each row's text twice,
 * though the text is needed only for rejects. So rows are read without it, and a row with the wrong
 * number of fields takes its text from the kept bytes (from the end of the row before). Skipped rows
 * are harder: csv-parse reports them mid-row, with the text read so far, and no position. At the
 * first one, reading resumes from the end of the last good row with a second parser that keeps the
 * raw text (the same code on the same bytes, so the same rows, errors and texts as before), and
 * goes back to the cheaper parser once the broken stretch is closed by a good row.
 */
import { parse, type CsvError, type Info, type Options, type Parser } from 'csv-parse';
import type { Readable } from 'node:stream';
import type { CsvFormat } from './config.js';
import { clip, UnreadableFileError, type ParsedItem } from './parsed.js';

interface Row {
  kind: 'row';
  fields: string[];
  /** Line the record ends on (csv-parse's count; exact because line breaks are LF-only). */
  endLine: number;
  /** Text as csv-parse's `raw` gave it; without it, the bytes [start, end) hold the same text. */
  raw?: string;
  start: number;
  end: number;
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
    return this.bytes(from, to).toString('utf8');
  }

  /** Copies only the chunks the range touches: a reject per row must not copy the whole window. */
  bytes(from: number, to: number): Buffer {
    const a = Math.max(from, this.start);
    const b = Math.min(to, this.start + this.kept);
    if (b <= a) return Buffer.alloc(0);
    const parts: Buffer[] = [];
    let at = this.start;
    for (const c of this.chunks) {
      const end = at + c.length;
      if (end > a && at < b) parts.push(c.subarray(Math.max(a - at, 0), Math.min(b, end) - at));
      if (end >= b) break;
      at = end;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }
}

/** Errors after which csv-parse drops the rest of its buffer and its byte count falls behind. */
const DROPS_INPUT = new Set(['CSV_MAX_RECORD_SIZE', 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE']);

/**
 * csv-parse's live state, public on its Parser for compatibility; used to resume mid-file. Not a
 * documented API: package.json pins csv-parse to the exact version tests/file/parse-csv-resume
 * checks it against, so an update is a deliberate change that runs those tests.
 */
interface ParserState {
  state: { previousBuf?: Buffer; bufBytesStart: number };
  info: { lines: number };
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

  /** Line the last good row ends on, and whether there was one (a known place to resume from). */
  let lastGoodLine = 0;
  let anyGood = false;
  /** csv-parse dropped input after an error: its byte count is off from here on, so stay raw. */
  let dropped = false;
  const delimiter = unescapeDelimiter(format.delimiter);
  // Without `raw`, a row's text is its bytes only if csv-parse copies every byte it reads; it
  // skips the tail of multi-byte delimiters, quotes and escapes.
  const byteExact = [delimiter, format.quote, format.escape].every((t) => Buffer.byteLength(t) === 1);

  const base: Options = {
    delimiter,
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
  };

  let parser!: Parser;
  let rawMode = false;
  /** The cheap parser met a skipped row: its callbacks are ignored until a raw one takes over. */
  let wantRaw = false;
  let failure: unknown;

  function rawCallbacks(me: { p?: Parser }): Options {
    return {
      raw: true,
      // Collected here instead of pushed through the stream: one array per input chunk, no
      // per-row promise, memory bounded by one chunk's rows.
      on_record: ((rec: { record: string[]; raw: string }, info: Info) => {
        if (me.p !== parser) return undefined;
        if (open.length) closeSkips(info.bytes - Buffer.byteLength(rec.raw));
        events.push({ kind: 'row', fields: rec.record, endLine: info.lines, raw: rec.raw, start: lastGoodEnd, end: info.bytes });
        lastGoodEnd = info.bytes;
        lastGoodLine = info.lines;
        anyGood = true;
        return undefined;
      }) as unknown as Options['on_record'],
      on_skip: (err: CsvError | undefined, raw: string | undefined) => {
        if (!err || me.p !== parser) return undefined;
        if (DROPS_INPUT.has(err.code)) dropped = true;
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
  }

  function fastCallbacks(me: { p?: Parser }): Options {
    return {
      on_record: ((fields: string[], info: Info) => {
        if (me.p !== parser || wantRaw) return undefined;
        events.push({ kind: 'row', fields, endLine: info.lines, start: lastGoodEnd, end: info.bytes });
        lastGoodEnd = info.bytes;
        lastGoodLine = info.lines;
        anyGood = true;
        return undefined;
      }) as unknown as Options['on_record'],
      on_skip: (err: CsvError | undefined) => {
        if (err && me.p === parser) wantRaw = true;
        return undefined;
      },
    };
  }

  /**
   * A parser that carries on from the end of the last good row, where csv-parse holds no state but
   * its line and byte counts (set here so errors and offsets read as if it had read from the start).
   */
  function startParser(withRaw: boolean): void {
    parser?.destroy();
    const resume = anyGood;
    // Callbacks of a replaced parser (still inside its write) must not add anything.
    const me: { p?: Parser } = {};
    const p = parse({ ...base, ...(resume ? { from_line: 1 } : {}), ...(withRaw ? rawCallbacks : fastCallbacks)(me) });
    me.p = p;
    if (resume) {
      const s = p as unknown as ParserState;
      s.info.lines = lastGoodLine + 1;
      s.state.bufBytesStart = lastGoodEnd;
    }
    p.on('error', (e) => {
      if (p === parser) failure ??= e;
    });
    parser = p;
    rawMode = withRaw;
    wantRaw = false;
  }

  /** Feeds the bytes since the last good row (already read by the previous parser) to a new one. */
  function replay(): void {
    const before = parser as unknown as ParserState;
    const prev = before.state.previousBuf;
    const prevStart = before.state.bufBytesStart;
    startParser(true);
    parser.write(window.bytes(lastGoodEnd, window.fed));
    const s = parser as unknown as ParserState;
    if (s.state.previousBuf === undefined && dropped) {
      // csv-parse returned mid-buffer without saving its position: the old parser would still hold
      // what it held before this chunk, and reads that again with the next one.
      s.state.previousBuf = prev;
      s.state.bufBytesStart = prevStart;
    }
  }

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
        original: clip((row.raw ?? window.slice(row.start, row.end)).replace(/^\n+/, '').replace(/\n$/, '')),
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

  // A skip before the first good row is read again from the start of the file, which is kept then.
  startParser(!byteExact || format.skipLines > 0);
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
      if (wantRaw) replay();
      if (failure) fail(failure);
      if (rawMode && byteExact && !dropped && anyGood && !open.length) {
        // The broken stretch is closed: read on cheaply from the last good row.
        startParser(false);
        const tail = window.bytes(lastGoodEnd, window.fed);
        if (tail.length) parser.write(tail);
        if (wantRaw) replay();
        if (failure) fail(failure);
      }
      const out = drainEvents();
      if (!open.length) window.dropBefore(lastGoodEnd);
      if (out.length) yield out;
    }
    await new Promise<void>((resolve) => parser.end(() => resolve()));
    if (wantRaw) {
      replay();
      await new Promise<void>((resolve) => parser.end(() => resolve()));
    }
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
