/** What every format parser yields, in file order: a record, or a piece it could not read. */
export type ParsedItem =
  | { kind: 'record'; raw: Record<string, unknown>; line?: number; cursor?: string }
  | { kind: 'reject'; reason: string; original: unknown; line?: number; cursor?: string };

/**
 * The file as a whole cannot be read (a broken header, a DTD, a document too big, JSON that does
 * not parse): it goes to the rejected folder with this message in its reason file.
 */
export class UnreadableFileError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = 'UnreadableFileError';
  }
}

/** Text kept in a reject's `original`: enough to find and fix the row, bounded in size. */
export function clip(text: string, max = 4096): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}
