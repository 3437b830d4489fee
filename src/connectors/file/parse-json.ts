/**
 * JSON exports. A JSON document is parsed whole, so its size is capped (`maxFileSize`, checked
 * before reading); JSON Lines is read line by line, memory bounded by one line.
 */
import type { Readable } from 'node:stream';
import { parsePath, PathSyntaxError, type PathSegment } from '../../core/record-path.js';
import type { JsonFormat, JsonLinesFormat } from './config.js';
import { clip, UnreadableFileError, type ParsedItem } from './parsed.js';

function segments(path: string | undefined): PathSegment[] {
  if (!path) return [];
  try {
    return parsePath(path);
  } catch (e) {
    if (e instanceof PathSyntaxError) throw new UnreadableFileError(`format.recordPath: ${e.message}`);
    throw e;
  }
}

function at(value: unknown, segs: PathSegment[]): unknown {
  let cur = value;
  for (const s of segs) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[s];
  }
  return cur;
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** JSON.parse without prototype setters: "__proto__" keys become inert own properties. */
function safeParse(text: string): unknown {
  return JSON.parse(text, function (this: Record<string, unknown>, key, value: unknown) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') return undefined;
    return value;
  });
}

export async function* parseJson(text: Readable, format: JsonFormat, size: number): AsyncGenerator<ParsedItem[]> {
  if (size > format.maxFileSize) {
    text.destroy();
    throw new UnreadableFileError(`the JSON document is ${size} bytes, more than format.maxFileSize ${format.maxFileSize}; large exports should be JSON Lines (format.type: jsonl)`);
  }
  const segs = segments(format.recordPath);
  let body = '';
  for await (const chunk of text as AsyncIterable<string>) body += chunk;
  if (body.trim() === '') return;
  let doc: unknown;
  try {
    doc = safeParse(body);
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    const line = m ? body.slice(0, Number(m[1])).split('\n').length : undefined;
    throw new UnreadableFileError(`the file is not valid JSON${line ? ` (line ${line})` : ''}: ${(e as Error).message}`, line);
  }
  const found = at(doc, segs);
  const where = format.recordPath ?? '(document)';
  if (found === undefined) throw new UnreadableFileError(`format.recordPath "${where}" is not in the document`);
  const list = Array.isArray(found) ? found : [found];
  const out: ParsedItem[] = [];
  for (const [i, item] of list.entries()) {
    const cursor = Array.isArray(found) ? `${format.recordPath ?? ''}[${i}]` : where;
    if (isRecord(item)) out.push({ kind: 'record', raw: item, cursor });
    else out.push({ kind: 'reject', reason: `${cursor}: expected an object, found ${item === null ? 'null' : Array.isArray(item) ? 'an array' : typeof item}`, original: item, cursor });
  }
  if (out.length) yield out;
}

export async function* parseJsonLines(text: Readable, format: JsonLinesFormat): AsyncGenerator<ParsedItem[]> {
  const segs = segments(format.recordPath);
  let line = 0;
  let pending = '';
  let oversized = false;

  let out: ParsedItem[] = [];
  function one(textLine: string, tooLong: boolean): void {
    line++;
    if (tooLong) {
      out.push({ kind: 'reject', reason: `line ${line}: longer than format.maxRecordSize (${format.maxRecordSize} characters)`, original: clip(textLine), line });
      return;
    }
    if (textLine.trim() === '') return;
    let v: unknown;
    try {
      v = safeParse(textLine);
    } catch (e) {
      // V8 quotes the start of the text in its message; that text can be a resident's details.
      const why = (e as Error).message.replace(/,\s*(?:\.\.\.)?"[\s\S]*is not valid JSON$/, '');
      out.push({ kind: 'reject', reason: `line ${line}: not valid JSON: ${why}`, original: clip(textLine), line });
      return;
    }
    const rec = at(v, segs);
    if (isRecord(rec)) out.push({ kind: 'record', raw: rec, line });
    else out.push({ kind: 'reject', reason: `line ${line}: ${format.recordPath ? `"${format.recordPath}" is` : 'the line is'} not an object`, original: clip(textLine), line });
  }

  try {
    for await (const chunk of text as AsyncIterable<string>) {
      let start = 0;
      for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', start)) {
        const piece = chunk.slice(start, nl);
        one(oversized ? pending : pending + piece, oversized || pending.length + piece.length > format.maxRecordSize);
        pending = '';
        oversized = false;
        start = nl + 1;
      }
      const rest = chunk.slice(start);
      if (!oversized) {
        if (pending.length + rest.length > format.maxRecordSize) {
          oversized = true;
          pending = (pending + rest).slice(0, 200); // keep a prefix to show in the reject
        } else pending += rest;
      }
      if (out.length) {
        yield out;
        out = [];
      }
    }
    if (pending !== '' || oversized) one(pending, oversized);
    if (out.length) yield out;
  } finally {
    text.destroy();
  }
}
