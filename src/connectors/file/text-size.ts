/**
 * About how much text a parsed record holds: the characters of its strings, keys included, and a
 * few for every other value. Batches are bounded by it (file connector `batchBytes`) so a file of
 * wide rows does not gather megabytes of them in memory before the batch is handed on.
 */
export function textSize(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (value === null || typeof value !== 'object') return 8;
  let n = 0;
  if (Array.isArray(value)) {
    for (const v of value) n += textSize(v);
    return n;
  }
  for (const key in value) n += key.length + textSize((value as Record<string, unknown>)[key]);
  return n;
}
