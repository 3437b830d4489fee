/**
 * XML exports, read one record element at a time: a small scanner finds each
 * `<recordElement …>…</recordElement>` in the decoded text stream and only that slice is parsed
 * (fast-xml-parser through the shared xml-safety rules: no DTD, entity processing off, values kept
 * as text). Memory is bounded by one record (`maxRecordSize`), not by the file.
 *
 * The scanner understands what can hide a `<` or `>` — comments, CDATA, processing instructions,
 * quoted attribute values — and refuses a DTD anywhere in the file.
 */
import type { Readable } from 'node:stream';
import { parseXmlSafely } from '../shared/xml-safety/index.js';
import type { XmlFormat } from './config.js';
import { clip, UnreadableFileError, type ParsedItem } from './parsed.js';

const NO_ARRAYS: ReadonlySet<string> = new Set();

function countNl(s: string, from = 0, to = s.length): number {
  let n = 0;
  for (let i = s.indexOf('\n', from); i !== -1 && i < to; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/** End index (of the closing `>`) of the tag starting at `i`, skipping quoted values; -1 if not in the buffer yet. */
function tagEnd(buf: string, i: number): number {
  let quote = '';
  for (let j = i + 1; j < buf.length; j++) {
    const c = buf[j]!;
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') return j;
  }
  return -1;
}

function localName(tag: string): string {
  const m = /^<\/?\s*([^\s/>]+)/.exec(tag);
  const name = m?.[1] ?? '';
  const colon = name.indexOf(':');
  return colon === -1 ? name : name.slice(colon + 1);
}

export async function* parseXml(text: Readable, format: XmlFormat): AsyncGenerator<ParsedItem[]> {
  const want = format.recordElement;
  let buf = '';
  /** Line number of buf[0]. */
  let baseLine = 1;
  let pos = 0;
  let recStart = -1;
  let recLine = 0;
  let depth = 0;
  let sawMarkup = false;
  let sawText = false;

  const lineAt = (i: number) => baseLine + countNl(buf, 0, i);
  const drop = (upTo: number) => {
    if (upTo <= 0) return;
    baseLine += countNl(buf, 0, upTo);
    buf = buf.slice(upTo);
    pos -= upTo;
    if (recStart >= 0) recStart -= upTo;
  };

  function emit(end: number): ParsedItem {
    const slice = buf.slice(recStart, end);
    const line = recLine;
    recStart = -1;
    try {
      const parsed = parseXmlSafely(slice, { removeNamespacePrefixes: format.removeNamespacePrefix, alwaysArray: NO_ARRAYS });
      const value = Object.values(parsed)[0];
      const raw = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : { $value: value ?? '' };
      return { kind: 'record', raw, line };
    } catch (e) {
      return { kind: 'reject', reason: `line ${line}: <${want}> element cannot be read: ${(e as Error).message}`, original: clip(slice), line };
    }
  }

  /** Scan as far as the buffer allows; returns the records completed. */
  function scan(final: boolean): ParsedItem[] {
    const out: ParsedItem[] = [];
    for (;;) {
      const i = buf.indexOf('<', pos);
      if (i === -1) {
        if (recStart < 0) {
          if (/\S/.test(buf.slice(pos))) sawText = true;
          pos = buf.length;
        } else pos = buf.length;
        break;
      }
      if (recStart < 0 && /\S/.test(buf.slice(pos, i))) sawText = true;
      sawMarkup = true;
      const skipTo = (close: string, from: number): boolean => {
        const e = buf.indexOf(close, from);
        if (e === -1) return false;
        pos = e + close.length;
        return true;
      };
      if (buf.startsWith('<!--', i)) {
        if (!skipTo('-->', i + 4)) break;
        continue;
      }
      if (buf.startsWith('<![CDATA[', i)) {
        if (!skipTo(']]>', i + 9)) break;
        continue;
      }
      if (buf.startsWith('<?', i)) {
        if (!skipTo('?>', i + 2)) break;
        continue;
      }
      if (buf.length - i < 9 && !final) break; // cannot classify "<!" yet
      if (buf.startsWith('<!', i)) {
        throw new UnreadableFileError(`line ${lineAt(i)}: the file declares a DTD (<!DOCTYPE or <!ENTITY); XML with a DTD is refused (entity attacks)`, lineAt(i));
      }
      const end = tagEnd(buf, i);
      if (end === -1) break;
      const tag = buf.slice(i, end + 1);
      const closing = tag.startsWith('</');
      const selfClosing = !closing && tag.endsWith('/>');
      pos = end + 1;
      if (recStart < 0) {
        if (!closing && localName(tag) === want) {
          recStart = i;
          recLine = lineAt(i);
          if (selfClosing) out.push(emit(end + 1));
          else depth = 1;
        }
        continue;
      }
      // Only the record element's own tags count, so broken markup inside one record does not
      // swallow the records after it: it is that record's reject.
      if (localName(tag) !== want) continue;
      if (closing) depth--;
      else if (!selfClosing) depth++;
      if (depth === 0) out.push(emit(end + 1));
    }
    // Keep only what a record still needs.
    if (recStart >= 0) {
      drop(recStart);
      if (buf.length > format.maxRecordSize) {
        throw new UnreadableFileError(`line ${recLine}: a <${want}> element is longer than format.maxRecordSize (${format.maxRecordSize} characters); is the file truncated or recordElement wrong?`, recLine);
      }
    } else {
      const keep = Math.min(pos, buf.length);
      drop(keep);
      if (buf.length > format.maxRecordSize) throw new UnreadableFileError(`line ${baseLine}: markup longer than format.maxRecordSize`, baseLine);
    }
    return out;
  }

  try {
    for await (const chunk of text as AsyncIterable<string>) {
      buf += chunk;
      const out = scan(false);
      if (out.length) yield out;
    }
    const out = scan(true);
    if (recStart >= 0) {
      out.push({
        kind: 'reject',
        reason: `line ${recLine}: <${want}> element is never closed (a truncated file?)`,
        original: clip(buf.slice(recStart)),
        line: recLine,
      });
    }
    if (out.length) yield out;
    if (!sawMarkup && sawText) throw new UnreadableFileError('the file is not XML (no markup found)');
  } finally {
    text.destroy();
  }
}
