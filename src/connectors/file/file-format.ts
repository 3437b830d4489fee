/** The format one file is read with: the configured one, or the defaults for its extension. */
import { CsvFormat, JsonFormat, JsonLinesFormat, type FileFormat } from './config.js';
import { formatTypeFromName, KNOWN_EXTENSIONS } from './format-inference.js';
import { UnreadableFileError } from './parsed.js';

export function formatForFile(configured: FileFormat | undefined, fileName: string): FileFormat {
  if (configured) return configured;
  const type = formatTypeFromName(fileName);
  switch (type) {
    case 'csv':
      return CsvFormat.parse({ type });
    case 'json':
      return JsonFormat.parse({ type });
    case 'jsonl':
      return JsonLinesFormat.parse({ type });
    default:
      // The config check refuses patterns without a known extension, so only an odd name gets here.
      throw new UnreadableFileError(
        `cannot tell how to read ${fileName}: the connector has no format and the name does not end in ${KNOWN_EXTENSIONS}${type === 'xml' ? ' (XML needs format.recordElement)' : ''}; set format in the config`,
      );
  }
}
