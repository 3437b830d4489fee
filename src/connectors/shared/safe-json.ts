/**
 * JSON from a supplier is untrusted. JSON.parse itself never pollutes prototypes, but a `__proto__`
 * key survives as an own property and turns dangerous the moment anything copies the object with
 * plain assignment (`target[key] = value`). Drop such keys at the door and say how many.
 */
export interface SafeJsonResult {
  value: unknown;
  /** Keys removed (`__proto__`), for a warning; the rest of the document is kept. */
  droppedKeys: number;
}

export class JsonSyntaxError extends Error {}

export function parseJsonSafely(text: string): SafeJsonResult {
  let droppedKeys = 0;
  let value: unknown;
  try {
    value = JSON.parse(text, function reviver(key, v) {
      if (key === '__proto__') {
        droppedKeys++;
        return undefined;
      }
      return v;
    });
  } catch (err) {
    // A deeply nested document overflows the stack: same answer, not a crash.
    throw new JsonSyntaxError(err instanceof RangeError ? 'JSON nested too deeply' : (err as Error).message);
  }
  return { value, droppedKeys };
}

/** First characters of a body for an error message, on one line. */
export function snippet(text: string, max = 200): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max)}…` : one;
}
