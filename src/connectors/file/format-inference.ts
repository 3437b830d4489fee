/**
 * A file connector without `format` reads each file by its extension: most exports are plainly
 * named, and making council IT write `format: { type: csv }` for a `*.csv` pattern is a trap.
 */

export type InferredFormatType = 'csv' | 'xml' | 'json' | 'jsonl';

const BY_EXTENSION: Record<string, InferredFormatType> = { csv: 'csv', xml: 'xml', json: 'json', jsonl: 'jsonl', ndjson: 'jsonl' };

export const KNOWN_EXTENSIONS = '.csv, .xml, .json, .jsonl or .ndjson';

/** The format a file name (or a glob such as "*.csv" or "CRM_*.{csv,CSV}") implies, if one. */
export function formatTypeFromName(name: string): InferredFormatType | undefined {
  const m = /\.([A-Za-z0-9]+|\{[A-Za-z0-9,]+\})$/.exec(name);
  if (!m) return undefined;
  const alternatives = m[1]!.replace(/^\{|\}$/g, '').split(',');
  const types = new Set(alternatives.map((ext) => BY_EXTENSION[ext.toLowerCase()]));
  if (types.size !== 1) return undefined;
  return [...types][0];
}
