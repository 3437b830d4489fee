/** Open a fetched file as a stream of parsed items, with the parser and encoding its format calls for. */
import type { FileFormat } from './config.js';
import { chooseEncoding, isUtf8Choice, openText, openUtf8Bytes, type FileInspection } from './inspect.js';
import { formatForFile } from './file-format.js';
import { parseCsv } from './parse-csv.js';
import { parseJson, parseJsonLines } from './parse-json.js';
import { parseXml } from './parse-xml.js';
import type { ParsedItem } from './parsed.js';

/** Throws EncodingProblem or UnreadableFileError when the file cannot be opened as its format. */
export function openItems(configured: FileFormat | undefined, path: string, name: string, insp: FileInspection): AsyncGenerator<ParsedItem[]> {
  const format = formatForFile(configured, name);
  const encoding = chooseEncoding(format.encoding, insp, { xml: format.type === 'xml' });
  switch (format.type) {
    case 'csv':
      // csv-parse reads bytes: valid UTF-8 goes to it undecoded (far less garbage on wide rows).
      return parseCsv(isUtf8Choice(encoding, insp) ? openUtf8Bytes(path) : openText(path, encoding), format);
    case 'xml':
      return parseXml(openText(path, encoding), format);
    case 'json':
      return parseJson(openText(path, encoding), format, insp.size);
    case 'jsonl':
      return parseJsonLines(openText(path, encoding), format);
  }
}
