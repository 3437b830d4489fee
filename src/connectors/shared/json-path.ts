/**
 * Read a value at a dotted path (`data`, `meta.nextCursor`, `results[0].items`, `$` for the root;
 * `["@odata.nextLink"]` for a key that itself holds dots) in parsed JSON. Only own properties are followed, so a path such as `constructor` or
 * `__proto__` can never reach into Object.prototype.
 */
import { z } from 'zod';
import { parsePath as parseRecordPath, PathSyntaxError } from '../../core/record-path.js';

/** A field path inside a JSON response: `data`, `meta.nextCursor`, `results[0].items`, `["@odata.nextLink"]`; `$` is the whole body. */
export const JsonPath = z
  .string()
  .min(1)
  .refine(
    (p) => {
      try {
        parsePath(p);
        return true;
      } catch {
        return false;
      }
    },
    { message: 'a dotted path such as data, meta.nextCursor or results[0].items ($ for the whole body; ["@odata.nextLink"] for a key with dots)' },
  );

export function parsePath(path: string): (string | number)[] {
  if (path === '$') return [];
  const out = parseRecordPath(path);
  if (out.length === 0) throw new PathSyntaxError(`empty path`);
  return out;
}

export function getAtPath(value: unknown, path: string | (string | number)[]): unknown {
  const segments = typeof path === 'string' ? parsePath(path) : path;
  let cur: unknown = value;
  for (const seg of segments) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (typeof seg === 'number') {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[seg];
    } else {
      if (!Object.prototype.hasOwnProperty.call(cur, seg)) return undefined;
      cur = (cur as Record<string, unknown>)[seg];
    }
  }
  return cur;
}

/** For error messages: what the response does contain at the top level. */
export function describeShape(value: unknown): string {
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null) return 'null';
  if (typeof value === 'object') {
    const keys = Object.keys(value as object);
    return keys.length ? `an object with keys ${keys.slice(0, 12).join(', ')}${keys.length > 12 ? ', …' : ''}` : 'an empty object';
  }
  return `a ${typeof value}`;
}
